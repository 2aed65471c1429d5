"""Logins, logouts and failed logins go to the audit trail (without the password tried)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from cephalog.accounts.reauth import note_authenticated
from cephalog.audit.actions import record


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action="login", category="session", user=user)
    if getattr(request, "session", None) is not None:
        note_authenticated(request)  # signing in counts as entering the password again


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(action="logout", category="session", user=user)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # The username tried is kept (truncated); the password never is.
    record(
        action="login_failed",
        category="session",
        detail={"username": str(credentials.get("username", ""))[:150]},
    )
