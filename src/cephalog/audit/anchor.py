"""Anchoring the audit chains outside the database (issue 18.3).

The head of every chain (its last row's id and hash) is written, signed with the
audit key, to an append-only place outside the database:

- a log file (``AUDIT_ANCHOR_FILE``, by default ``$CEPHALOG_DATA_DIR/audit-anchors.log``;
  make it append-only with ``chattr +a`` and copy it off the machine, docs/production.md),
- and, when ``AUDIT_ANCHOR_SYSLOG`` names a socket or ``host:port``, syslog (which can
  forward to a store the database's administrators cannot write).

Heads are written after a commit that added audit rows, at most every
``AUDIT_ANCHOR_SECONDS`` per process; a commit inside that interval schedules the write
for its end, so rows are anchored within that many seconds however the traffic ends.
`cephalog audit verify` and `cephalog audit anchor` write heads too.

`check` reads the file back: every anchored head must still be in the database with the
same hash, and no chain may end before its anchored head. Deleting the last rows,
deleting every row, or rebuilding the chain (even with the key) after the rows were
anchored is thus detected; a forged or edited anchor line fails its signature.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import logging.handlers
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cephalog.audit import keys

log = logging.getLogger(__name__)

#: chain -> (id, hash) of its last row
Heads = dict[int, tuple[int, str]]

_lock = threading.Lock()
_last_written = 0.0
_timer: threading.Timer | None = None


def enabled() -> bool:
    return bool(getattr(settings, "AUDIT_ANCHOR_FILE", None) or _syslog_address())


def _syslog_address() -> Any:
    where = getattr(settings, "AUDIT_ANCHOR_SYSLOG", "") or ""
    if not where:
        return None
    if ":" in where and not where.startswith("/"):
        host, _, port = where.rpartition(":")
        return (host, int(port))
    return where


def heads() -> Heads:
    """The last row of each chain (one indexed lookup per chain)."""
    from cephalog.audit.actions import CHAINS
    from cephalog.audit.models import AuditEvent

    found: Heads = {}
    chains = set(range(CHAINS)) | {0}
    if connection.vendor != "postgresql":
        chains = {0}
    for chain in sorted(chains):
        row = (
            AuditEvent.objects.filter(chain=chain).order_by("-id").values_list("id", "hash").first()
        )
        if row is not None:
            found[chain] = (int(row[0]), str(row[1]))
    return found


def _line(found: Heads, reason: str) -> str:
    body = {
        "v": 1,
        "at": timezone.now().isoformat(timespec="seconds"),
        "reason": reason,
        "heads": {str(chain): [id_, hash_] for chain, (id_, hash_) in sorted(found.items())},
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    key_id, signature = keys.mac(text)
    return json.dumps(
        {**body, "kid": key_id, "mac": signature}, sort_keys=True, separators=(",", ":")
    )


def write(reason: str = "periodic") -> Heads:
    """Write the chains' heads now (to the file and/or syslog); returns them."""
    global _last_written
    found = heads()
    if not found or not enabled():
        return found
    line = _line(found, reason)
    path = getattr(settings, "AUDIT_ANCHOR_FILE", None)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: one write() per line, so lines of several processes never interleave.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    address = _syslog_address()
    if address is not None:
        handler = logging.handlers.SysLogHandler(address=address)
        try:
            handler.emit(logging.makeLogRecord({"msg": "cephalog-audit-anchor " + line}))
        finally:
            handler.close()
    _last_written = time.monotonic()
    return found


def _write_in_background() -> None:
    global _timer
    from django.db import connections

    try:
        write()
    except Exception:  # never break anything; the next commit or verify anchors again
        log.exception("audit anchor could not be written")
    finally:
        connections.close_all()
        with _lock:
            _timer = None


def after_commit() -> None:
    """Called on commit of a transaction that wrote audit rows: anchor now if the last
    anchor of this process is older than the interval, else once it is."""
    global _timer
    interval = float(getattr(settings, "AUDIT_ANCHOR_SECONDS", 60))
    wait = _last_written + interval - time.monotonic()
    if wait <= 0:
        try:
            write()
        except Exception:
            log.exception("audit anchor could not be written")
        return
    with _lock:
        if _timer is None:
            _timer = threading.Timer(wait, _write_in_background)
            _timer.daemon = True
            _timer.start()


def on_commit() -> None:
    if enabled():
        transaction.on_commit(after_commit)


# --- reading the anchors back -------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorCheck:
    ok: bool
    lines: int
    problem: str = ""
    last_at: dt.datetime | None = None


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def check() -> AnchorCheck:
    """Every anchored head is still in the database, unchanged, and no chain ends before it."""
    from cephalog.audit.models import AuditEvent

    path = getattr(settings, "AUDIT_ANCHOR_FILE", None)
    if not path:
        return AnchorCheck(True, 0, "no anchor file configured")
    anchored: dict[int, tuple[int, str, str]] = {}  # id -> (chain, hash, when)
    last_at = None
    lines = _lines(Path(path))
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            entry = json.loads(text)
            body = {k: v for k, v in entry.items() if k not in ("kid", "mac")}
            signed = json.dumps(body, sort_keys=True, separators=(",", ":"))
            key = keys.key(entry["kid"])
            if key is None:
                return AnchorCheck(
                    False, number, f"anchor line {number} is signed with an unknown key"
                )
            expected = hmac.new(key, signed.encode(), "sha256").hexdigest()
            if not hmac.compare_digest(expected, entry["mac"]):
                return AnchorCheck(False, number, f"anchor line {number} was altered or forged")
            for chain, (id_, hash_) in entry["heads"].items():
                anchored[int(id_)] = (int(chain), str(hash_), entry["at"])
            last_at = dt.datetime.fromisoformat(entry["at"])
        except (ValueError, KeyError, TypeError):
            return AnchorCheck(False, number, f"anchor line {number} cannot be read")
    if not anchored:
        return AnchorCheck(True, len(lines), last_at=last_at)
    ids = sorted(anchored)
    found: dict[int, tuple[int, str]] = {}
    for start in range(0, len(ids), 5000):
        batch = ids[start : start + 5000]
        for id_, chain, hash_ in AuditEvent.objects.filter(id__in=batch).values_list(
            "id", "chain", "hash"
        ):
            found[id_] = (chain, hash_)
    for id_ in ids:
        chain, hash_, when = anchored[id_]
        if id_ not in found:
            return AnchorCheck(
                False,
                len(lines),
                f"row {id_} (head of chain {chain} at {when}) is missing: rows were removed",
            )
        if found[id_] != (chain, hash_):
            return AnchorCheck(
                False,
                len(lines),
                f"row {id_} (head of chain {chain} at {when}) has another hash: the chain was rebuilt",
            )
    return AnchorCheck(True, len(lines), last_at=last_at)
