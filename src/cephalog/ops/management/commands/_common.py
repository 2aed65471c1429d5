from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.db import connections

from cephalog.ops.backup import Database


def add_database_option(parser: CommandParser) -> None:
    parser.add_argument(
        "--database-url",
        help="Another database than the configured one (sqlite:////path or postgres://...).",
    )


def database(options: dict[str, Any]) -> Database:
    if options.get("database_url"):
        return Database.from_url(options["database_url"])
    return Database.from_settings(connections["default"].settings_dict)
