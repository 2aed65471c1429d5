"""Sign in with the email address or the username (issue 16.1).

Patients are invited by email and know their address, not the username made
for them; staff may use either. An address matches whatever its letter case
(accounts.User keeps addresses unique in any case). The throttle and the
session's user come from cephalog.ops.throttle.ThrottledModelBackend.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from cephalog.accounts.models import User
from cephalog.ops.throttle import ThrottledModelBackend, request_retry_after


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
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        # The throttle is checked on what was typed (the login pages count failures by it)
        # and again, by the parent, on the username it stands for.
        if request is not None and request_retry_after(request, username):
            raise PermissionDenied("too many failed logins")
        return super().authenticate(
            request, username=username_for(username), password=password, **kwargs
        )
