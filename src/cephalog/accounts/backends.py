"""Sign in with the email address or the username (issue 16.1).

Patients are invited by email and know their address, not the username made
for them; staff may use either. An address matches whatever its letter case
(accounts.User keeps addresses unique in any case). The throttle and the
session's user come from cephalog.ops.throttle.ThrottledModelBackend.
"""

from __future__ import annotations

from cephalog.accounts.models import User
from cephalog.ops.throttle import ThrottledModelBackend


def username_for(identifier: str | None) -> str | None:
    """The username of the account whose email address is `identifier` (any case), else
    `identifier` itself: a username may contain "@" too, and is then tried as typed."""
    if not identifier or "@" not in identifier:
        return identifier
    found = list(
        User._default_manager.filter(email__iexact=identifier.strip()).values_list(
            "username", flat=True
        )[:2]
    )
    return found[0] if len(found) == 1 else identifier


class EmailOrUsernameBackend(ThrottledModelBackend):
    def username_for(self, typed: str | None) -> str | None:
        return username_for(typed)
