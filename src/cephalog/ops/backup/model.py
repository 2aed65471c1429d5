"""The backup's file names and format, its error, the database a URL names, and the
checksum and verification records."""

from __future__ import annotations

import dataclasses
import sqlite3
from typing import Any

import dj_database_url

MANIFEST = "manifest.json"
SQLITE_FILE = "cephalog.sqlite3"
PG_FILE = "cephalog.dump"
FORMAT = 1


class BackupError(RuntimeError):
    pass


@dataclasses.dataclass(frozen=True)
class Database:
    """A database: a SQLite file (or SQLite URI) or a PostgreSQL database on a server."""

    vendor: str
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict[str, Any]) -> Database:
        """From a Django DATABASES entry (or dj_database_url.parse's result)."""
        engine = str(settings_dict["ENGINE"])
        if engine.endswith("sqlite3"):
            vendor = "sqlite"
        elif "postgres" in engine:
            vendor = "postgresql"
        else:
            raise BackupError(f"unsupported database engine {engine}")
        return cls(
            vendor=vendor,
            name=str(settings_dict["NAME"]),
            host=str(settings_dict.get("HOST") or ""),
            port=str(settings_dict.get("PORT") or ""),
            user=str(settings_dict.get("USER") or ""),
            password=str(settings_dict.get("PASSWORD") or ""),
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls.from_settings(dict(dj_database_url.parse(url)))

    def __str__(self) -> str:
        if self.vendor == "sqlite":
            return f"SQLite {self.name}"
        return f"PostgreSQL database {self.name} on {self.host or 'localhost'}:{self.port or 5432}"

    def sqlite(self, *, readonly: bool = False) -> sqlite3.Connection:
        if self.name.startswith("file:"):  # a URI (Django's in-memory test database)
            return sqlite3.connect(self.name, uri=True)
        if readonly:
            return sqlite3.connect(f"file:{self.name}?mode=ro", uri=True)
        return sqlite3.connect(self.name)

    def pg_env(self) -> dict[str, str]:
        """libpq's environment for pg_dump/pg_restore (no password on the command line)."""
        env = {"PGDATABASE": self.name}
        for value, var in ((self.host, "PGHOST"), (self.port, "PGPORT"), (self.user, "PGUSER")):
            if value:
                env[var] = value
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def with_name(self, name: str) -> Database:
        """The same PostgreSQL server, another database."""
        return dataclasses.replace(self, name=name)


@dataclasses.dataclass(frozen=True)
class TableSum:
    rows: int
    sha256: str


@dataclasses.dataclass(frozen=True)
class Verification:
    tables: int
    rows: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems
