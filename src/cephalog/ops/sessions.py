"""Sessions from the shared cache, with the session's user in the same round trip (issue 19.1).

`django.contrib.sessions.backends.cached_db` reads the session from the cache, then
the authentication backend reads the session's user from it (cephalog.ops.authcache):
two round trips per request. A session's user never changes while the session lives
(logging in cycles the key, logging out flushes it), so each process remembers, for the
sessions it has seen, whose they are: the next request of the session asks the cache
for both the session and that user's cached copy at once (`MGET`).

The remembered user id is a hint, nothing more: the prefetched user is used only when
the session just read names that same user, and only by that request's authentication
(ops.authcache.cached_user). It is the same cached copy the second round trip would
have read, dropped the same way when the account, a password or a role changes; when
it is missing, the user is read as before. So is the user's cached patient record, read
in the same `MGET` with their clinic's diary settings, and used only by that request's
diary API, for that user (accounts.rules_queries.own_patient_and_rules). Sessions stay
written through to the database as cached_db writes them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from cephalog.ops import authcache

#: Sessions whose user this process remembers (least recently used forgotten first).
MAX_HINTS = 20_000
_hints: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def _hint(session_key: str) -> str | None:
    with _lock:
        user_id = _hints.get(session_key)
        if user_id is not None:
            _hints.move_to_end(session_key)
        return user_id


def _remember(session_key: str, user_id: str) -> None:
    with _lock:
        _hints[session_key] = user_id
        _hints.move_to_end(session_key)
        while len(_hints) > MAX_HINTS:
            _hints.popitem(last=False)


class SessionStore(CachedDBStore):
    def load(self) -> dict[str, Any]:
        authcache.drop_prefetched()
        session_key = self.session_key
        if not session_key or not authcache.enabled():
            return super().load()
        hint = _hint(session_key)
        data = None
        if hint is not None:
            keys = authcache.session_keys(hint)
            try:
                found = self._cache.get_many([self.cache_key, *keys])  # type: ignore[attr-defined]
            except Exception:  # as cached_db: an unreadable key is a missing session
                found = {}
            data = found.get(self.cache_key)
            if data is not None and str(data.get(SESSION_KEY)) == hint:
                authcache.prefetched(hint, found)
        if data is None:
            data = super().load()
        user_id = data.get(SESSION_KEY)
        if user_id is not None:
            _remember(session_key, str(user_id))
        return data
