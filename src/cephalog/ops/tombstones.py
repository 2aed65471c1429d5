"""Dropping a cached value so that a request already under way cannot put it back.

The shared caches (cephalog.ops.authcache, cephalog.ops.clinic_cache) fill a key from
the database on a miss. A request that read the rows just before a change committed,
and fills the key just after the change dropped it, would otherwise keep the old value
for the key's whole lifetime (five minutes for a user: a disabled account, a removed
role or an old password would keep working for that long on every server).

So a change deletes its keys at once and, when its transaction commits, writes a
tombstone in them for `GONE_SECONDS` (over whatever a request put back meanwhile); a
fill only adds a key that holds nothing (`SET ... NX`), so it cannot replace a
tombstone; and a tombstone reads as a miss (the request reads the database). A key is
filled again once its tombstone has expired: `GONE_SECONDS` must be longer than any
request takes from reading the database to filling the cache (milliseconds), and is
what a change costs: the changed user's, patient's or clinic's requests read the
database for that long.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

GONE = "cephalog:gone"
GONE_SECONDS = 5


def live(value: Any) -> Any:
    """`value` as read from the cache, or None for a tombstone."""
    return None if isinstance(value, str) and value == GONE else value


def fill(key: str, value: Any, seconds: int) -> None:
    """Cache `value` under `key` unless the key holds something (a tombstone, or a value
    another request filled meanwhile)."""
    cache.add(key, value, seconds)


def drop(keys: Iterable[str]) -> None:
    """Delete `keys` now, and put tombstones in them when the transaction commits (at
    once outside a transaction)."""
    keys = list(keys)
    cache.delete_many(keys)
    stones = dict.fromkeys(keys, GONE)
    transaction.on_commit(lambda: cache.set_many(stones, GONE_SECONDS))
