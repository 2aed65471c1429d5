"""Reads' audit rows through a local spool file (issue 19.1, docs/adr/0013-read-audit-spool.md).

A read of patient data outside a transaction (the diary API's list, a page) writes its
audit row to this process's spool file before the answer goes out, and a thread of the
same process appends the spooled rows to the hash chains every AUDIT_READ_SPOOL_SECONDS,
in one statement per batch: each read no longer pays for a statement and a commit of its
own. Writes are not spooled: their audit row commits with the write, as before.

Nothing acknowledged is lost when a process dies: a spool file is the rows themselves,
one JSON object per line, written with one `write()` each (in the kernel once it
returns, whatever happens to the process). Each process holds an exclusive `flock` on
its own files until their rows are in the database; a file nobody holds is a dead
process's, and the next process to start a spool (or `cephalog audit drain`) appends
its rows and removes it. A machine that loses power may lose the reads of its last
AUDIT_READ_SPOOL_SECONDS, as PostgreSQL with `synchronous_commit = off` would.

A row may be appended twice only if a process dies between committing a batch and
removing its file (microseconds): the reader then appears twice, never zero times.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "reads-"
SUFFIX = ".jsonl"
#: Rows per append statement (a spool this full is flushed without waiting).
BATCH = 500
#: How often the flusher also looks for dead processes' files.
ORPHAN_SECONDS = 30.0

Rows = list[dict[str, Any]]
Writer = Callable[[Rows], None]


@dataclass
class _File:
    path: Path
    fd: int
    rows: Rows = field(default_factory=list)


def _open_locked(path: Path) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def read_rows(path: Path) -> Rows:
    """The rows of a spool file; a last line cut short by a crash is not a row."""
    rows: Rows = []
    with path.open("rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                break
            try:
                rows.append(json.loads(line))
            except ValueError:
                log.warning("audit spool %s: an unreadable line skipped", path.name)
    return rows


def drain_orphans(directory: Path, write: Writer) -> int:
    """Append the rows of every spool file in `directory` that no live process holds,
    and remove those files. Returns how many rows were appended."""
    appended = 0
    if not directory.is_dir():
        return 0
    for path in sorted(directory.glob(f"{PREFIX}*{SUFFIX}")):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live process's file
            if not path.exists():
                continue  # drained by another process between glob and lock
            rows = read_rows(path)
            if rows:
                write(rows)
            path.unlink()
            appended += len(rows)
        finally:
            os.close(fd)
    return appended


class Spool:
    """One process's spool: `add` writes a row to the current file; `flush` appends the
    rows of every full file to the database through `write` (then removes it).

    `write(rows)` must append all the rows or raise: on an error the file is kept
    (still locked) and retried at the next flush."""

    def __init__(
        self,
        directory: Path,
        write: Writer,
        *,
        seconds: float,
        thread: bool,
        thread_done: Callable[[], None] | None = None,
    ) -> None:
        self.directory = directory
        self.write = write
        self._thread_done = thread_done  # e.g. close the flusher thread's connection
        self.seconds = seconds
        self.pid = os.getpid()
        self._lock = threading.Lock()  # the current file and its rows
        self._flushing = threading.Lock()  # one flush at a time
        self._backlog: list[_File] = []  # files whose rows are not in the database yet
        self._wake = threading.Event()
        self._stopped = False
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._current = self._new_file()
        self._next_orphans = 0.0
        if thread:
            threading.Thread(target=self._run, name="audit-spool", daemon=True).start()

    def _new_file(self) -> _File:
        name = f"{PREFIX}{socket.gethostname()}-{self.pid}-{uuid.uuid4().hex}{SUFFIX}"
        path = self.directory / name
        return _File(path, _open_locked(path))

    def add(self, row: dict[str, Any]) -> None:
        """Write `row` to the spool file; once this returns, the row survives the process."""
        line = (json.dumps(row, separators=(",", ":"), default=str) + "\n").encode()
        with self._lock:
            written = os.write(self._current.fd, line)
            if written != len(line):  # a full disk: the caller audits in the database
                raise OSError(f"audit spool: wrote {written} of {len(line)} bytes")
            self._current.rows.append(row)
            full = len(self._current.rows) >= BATCH
        if full:
            self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._current.rows) + sum(len(f.rows) for f in self._backlog)

    def flush(self) -> int:
        """Append every spooled row to the database; returns how many were appended.
        Raises what `write` raised (the rows stay spooled)."""
        with self._flushing:
            with self._lock:
                if self._current.rows:
                    self._backlog.append(self._current)
                    self._current = self._new_file()
            appended = 0
            while self._backlog:
                spooled = self._backlog[0]
                self.write(spooled.rows)
                spooled.path.unlink(missing_ok=True)
                os.close(spooled.fd)
                self._backlog.pop(0)
                appended += len(spooled.rows)
            return appended

    def drain_orphans(self) -> int:
        with self._flushing:
            return drain_orphans(self.directory, self.write)

    def close(self) -> None:
        """Flush and remove this process's empty file (at exit; a second call does nothing)."""
        if self._stopped:
            return
        self._stopped = True
        self._wake.set()
        try:
            self.flush()
        except Exception:  # the rows stay in their files for the next process
            log.exception("audit spool: rows left for the next process to append")
            return
        with self._lock:
            if not self._current.rows:
                self._current.path.unlink(missing_ok=True)
                os.close(self._current.fd)

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            if self._thread_done is not None:
                self._thread_done()

    def _loop(self) -> None:
        while not self._stopped:
            self._wake.wait(self.seconds)
            self._wake.clear()
            if self._stopped:
                return
            try:
                self.flush()
                if time.monotonic() >= self._next_orphans:
                    self._next_orphans = time.monotonic() + ORPHAN_SECONDS
                    self.drain_orphans()
            except Exception:
                log.exception("audit spool: append failed; retrying")
