"""Staying signed in on a phone, and asking for the password again (issue 16.1).

- "Keep me signed in on this phone" (patients only): the session lasts
  REMEMBER_AGE seconds from the last visit (rolling: each visit pushes the end
  on, as cephalog.ops.middleware.SessionLimitsMiddleware saves the session) and
  has no absolute limit. Staff sessions keep the short idle and absolute limits.
- Recent authentication: exporting data, changing the email address or the
  password, and the security page need the password entered within
  REAUTH_SECONDS, whatever the session's age. Signing in counts; so does the
  confirm-password page.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

#: Session key: this session was started with "keep me signed in" (no absolute limit).
REMEMBER = "cephalog_remember"
#: Session key: when the password (or another sign-in) was last entered, epoch seconds.
AUTHENTICATED_AT = "cephalog_authenticated_at"


def remember_age() -> int:
    return int(getattr(settings, "REMEMBER_ME_AGE", 60 * 60 * 24 * 30))


def reauth_seconds() -> int:
    return int(getattr(settings, "REAUTH_SECONDS", 15 * 60))


def is_remembered(session: Any) -> bool:
    return bool(session.get(REMEMBER))


def remember_device(request: HttpRequest) -> None:
    """Keep this session for REMEMBER_AGE after each visit (a persistent cookie)."""
    request.session[REMEMBER] = True
    request.session.set_expiry(remember_age())


def note_authenticated(request: HttpRequest, now: float | None = None) -> None:
    request.session[AUTHENTICATED_AT] = time.time() if now is None else now


def recently_authenticated(request: HttpRequest, now: float | None = None) -> bool:
    at = request.session.get(AUTHENTICATED_AT)
    now = time.time() if now is None else now
    return isinstance(at, int | float) and 0 <= now - at < reauth_seconds()


def password_again[**P](
    view: Callable[P, HttpResponseBase],
) -> Callable[P, HttpResponseBase]:
    """Ask for the password again unless it was entered in the last REAUTH_SECONDS."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        request = args[0]
        assert isinstance(request, HttpRequest)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not recently_authenticated(request):
            target = reverse("confirm-password") + "?" + urlencode({"next": _next(request)})
            return redirect(target)
        return view(*args, **kwargs)

    return wrapper


def _next(request: HttpRequest) -> str:
    """Where to come back to: the page itself for a GET, the page it was posted from else."""
    if request.method == "GET":
        return request.get_full_path()
    referer = str(request.META.get("HTTP_REFERER", ""))
    host = request.get_host()
    for prefix in (f"https://{host}", f"http://{host}"):
        if referer.startswith(prefix + "/"):
            return referer.removeprefix(prefix)
    return reverse("home")
