"""All writes to the treatment calendar: materialise the plan, move, cancel, feed tokens.

The rules (what is planned when) are cephalog.domain.schedule's; this module
only stores its output. Every function is atomic and writes an audit row in
the same transaction when it changes something.

The package: `plan` (the plan's slots and the change log), `sync` (the plan stored as
appointments), `changes` (a person's moves, cancellations and dates) and `feed` (calendar
feed tokens).
"""

from __future__ import annotations

from cephalog.scheduling.actions.changes import (
    cancel,
    mark_done,
    reschedule,
    set_authorisation_end,
)
from cephalog.scheduling.actions.feed import (
    feed_token_value,
    hash_token,
    issue_feed_token,
    revoke_feed_token,
)
from cephalog.scheduling.actions.plan import (
    REASON_MAX,
    SESSIONS_AHEAD,
    SyncResult,
    completed_session_dates,
    follow_moved_sessions,
    plan_key,
)
from cephalog.scheduling.actions.sync import (
    stale_plans,
    sync_plan,
    sync_plans,
    sync_stale_plans,
)

__all__ = [
    "REASON_MAX",
    "SESSIONS_AHEAD",
    "SyncResult",
    "cancel",
    "completed_session_dates",
    "feed_token_value",
    "follow_moved_sessions",
    "hash_token",
    "issue_feed_token",
    "mark_done",
    "plan_key",
    "reschedule",
    "revoke_feed_token",
    "set_authorisation_end",
    "stale_plans",
    "sync_plan",
    "sync_plans",
    "sync_stale_plans",
]
