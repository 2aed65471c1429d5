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


def account_tried(typed: object) -> Any:
    """The one account a typed username (or email address) names, if any."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    text = str(typed or "").strip()[:254]
    if not text:
        return None
    matches = list(
        get_user_model()
        .objects.filter(Q(username__iexact=text) | Q(email__iexact=text))
        .only("pk", "username")[:2]
    )
    return matches[0] if len(matches) == 1 else None


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # A failure names the account it was for; what was typed is not kept when it names no
    # account (it may be a password typed in the wrong field, or someone else's name).
    # The password never is.
    account = account_tried(credentials.get("username", ""))
    record(
        action="login_failed",
        category="session",
        user=account,
        detail={"account": account is not None},
    )
