"""The audit chain's keys, kept outside the database (issue 18.3).

Each audit row's hash is an HMAC-SHA256 of its canonical text (AuditEvent.canonical)
under the key named by the row's `key_id`, so nobody who can write the database but
does not hold the key can recompute the chain after removing or changing rows.

Keys come from the environment or a file, never from the database:

- ``CEPHALOG_AUDIT_KEY``: ``ID:SECRET`` pairs, comma-separated; the first signs new
  rows, the others only verify older ones (rotation: put the new key first, keep the
  old ones for as long as rows signed with them are kept);
- ``CEPHALOG_AUDIT_KEY_FILE``: a file of ``ID:SECRET`` lines (``#`` comments), same
  order; readable by the application only (docs/production.md).

Without either, a key is derived from SECRET_KEY (id ``secret-key``; a system check
warns outside development): it is still outside the database, but rotating SECRET_KEY
would then make older rows unverifiable. Rows written before keys existed have an
empty `key_id` and a plain SHA-256 hash; a keyed row is never followed by an unkeyed
one in its chain (verify_chain).

`chain_hash` is the single definition of a row's hash: a database function that appends
rows itself must compute exactly this (HMAC-SHA256, hex, of the canonical UTF-8 text).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LEGACY = ""
DERIVED_ID = "secret-key"
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


def parse(text: str, where: str) -> list[tuple[str, bytes]]:
    """``ID:SECRET`` items (comma- or line-separated) -> [(id, key bytes)], current first."""
    keys: list[tuple[str, bytes]] = []
    for raw in re.split(r"[,\n]", text):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        key_id, sep, secret = item.partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not sep or not _ID.match(key_id):
            raise ImproperlyConfigured(f"{where}: each key is ID:SECRET (id: letters, digits, .-_)")
        if len(secret) < 32:
            raise ImproperlyConfigured(
                f"{where}: the secret of key {key_id!r} is under 32 characters"
            )
        if any(k == key_id for k, _ in keys):
            raise ImproperlyConfigured(f"{where}: key id {key_id!r} appears twice")
        keys.append((key_id, secret.encode()))
    return keys


def configured(env_value: str, file_path: str) -> list[tuple[str, bytes]]:
    """The keys named by the settings (used by settings.py at start-up, to fail loudly)."""
    if env_value:
        return parse(env_value, "CEPHALOG_AUDIT_KEY")
    if file_path:
        path = Path(file_path)
        try:
            return parse(path.read_text(), f"CEPHALOG_AUDIT_KEY_FILE ({path})")
        except OSError as error:
            raise ImproperlyConfigured(f"CEPHALOG_AUDIT_KEY_FILE cannot be read: {error}") from None
    return []


@cache
def _keys(signature: tuple[tuple[str, bytes], ...], secret_key: str) -> dict[str, bytes]:
    keys = dict(signature)
    if not keys:
        derived = hmac.new(secret_key.encode(), b"cephalog.audit.chain", hashlib.sha256)
        keys[DERIVED_ID] = derived.hexdigest().encode()
    return keys


def keys() -> dict[str, bytes]:
    """key id -> key; the first is the current one."""
    return _keys(tuple(settings.AUDIT_KEYS), settings.SECRET_KEY)


def current_key_id() -> str:
    """The id new rows are signed with (also the model field's default)."""
    return next(iter(keys()))


def key(key_id: str) -> bytes | None:
    return keys().get(key_id)


def chain_hash(canonical: str, key: bytes | None) -> str:
    """A row's hash: HMAC-SHA256 of its canonical text under its key (hex); rows from before
    keys (key None) hash with plain SHA-256."""
    data = canonical.encode()
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def mac(text: str) -> tuple[str, str]:
    """(key id, HMAC) of a text under the current key: anchors are signed this way."""
    key_id = current_key_id()
    return key_id, hmac.new(keys()[key_id], text.encode(), hashlib.sha256).hexdigest()
