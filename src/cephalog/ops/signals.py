"""Login bookkeeping: throttle counters and the session's login time."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from cephalog.audit.middleware import client_ip
from cephalog.ops import throttle

#: Session key holding when the user logged in (seconds since the epoch), for the
#: absolute session timeout (cephalog.ops.middleware.SessionLimitsMiddleware).
LOGIN_AT = "cephalog_login_at"
#: Session key holding when the session was last saved for activity (the idle timeout).
REFRESHED_AT = "cephalog_refreshed_at"


@receiver(user_login_failed, dispatch_uid="ops-login-failed")
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    if request is None:  # authenticate() called outside a request (shell, tests)
        return
    throttle.note_failure(credentials.get("username", ""), client_ip(request))


@receiver(user_logged_in, dispatch_uid="ops-logged-in")
def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None:
        return
    throttle.clear(user.get_username(), client_ip(request), getattr(user, "email", ""))
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGIN_AT] = session[REFRESHED_AT] = time.time()
