"""Middleware for faults and limits: database down (503), oversized requests (413),
throttled logins (429), and the idle/absolute/disabled-account session limits."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.core.signals import got_request_exception
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.html import escape

from cephalog import safe_json
from cephalog.accounts.reauth import is_remembered
from cephalog.audit.middleware import client_ip, trusted_peer
from cephalog.ops import throttle
from cephalog.ops.db import describe, is_database_unavailable
from cephalog.ops.signals import LOGIN_AT, REFRESHED_AT

log = logging.getLogger(__name__)

GetResponse = Callable[[HttpRequest], HttpResponse]

UNAVAILABLE = (
    "The clinic database is not answering at the moment, so nothing could be read or "
    "saved. Please try again in a minute; if you were saving something, check afterwards "
    "that it is there."
)
RETRY_AFTER_SECONDS = 30
_FLAG = "_cephalog_database_unavailable"


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path_info.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def _plain_page(title: str, message: str, status: int) -> HttpResponse:
    """A page built without templates or the database (both may be what failed)."""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · cephalog</title>"
        f'<link rel="stylesheet" href="{escape(static("cephalog/site.css"))}"></head>'
        f'<body><main id="main"><h1>{escape(title)}</h1><p>{escape(message)}</p>'
        '<p><a href="/">Go to the start page</a></p></main></body></html>'
    )
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


def _refusal(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    if wants_json(request):
        response = HttpResponse(
            json.dumps({"detail": message}), status=status, content_type="application/json"
        )
    else:
        response = _plain_page(title, message, status)
    response["Cache-Control"] = "no-store"
    # Outside the CSP middleware's reach: give these pages a policy of their own.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "DENY"
    return response


def database_unavailable(request: HttpRequest) -> HttpResponse:
    response = _refusal(request, "Please try again in a minute", UNAVAILABLE, 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@receiver(got_request_exception, dispatch_uid="ops-database-unavailable")
def _mark_database_failure(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django is about to answer 500 for an exception raised outside a view (e.g. saving the
    session): remember that it was the database, so the 500 becomes a 503."""
    error = sys.exc_info()[1]
    if request is not None and error is not None and is_database_unavailable(error):
        setattr(request, _FLAG, True)


class ForwardedProtoMiddleware:
    """Believe `X-Forwarded-Proto` (SECURE_PROXY_SSL_HEADER) only from a trusted proxy.

    Django believes the header from anyone once SECURE_PROXY_SSL_HEADER is set: a client
    talking plain HTTP straight to the application server could call its request secure
    and skip the HTTPS redirect. First in the stack, this drops the header unless the
    peer is one of CEPHALOG_TRUSTED_PROXIES, as X-Forwarded-For is (docs/production.md).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = settings.SECURE_PROXY_SSL_HEADER
        meta = request.META
        proxies = tuple(settings.TRUSTED_PROXIES or ())
        if (
            header
            and header[0] in meta
            and not trusted_peer(meta.get("REMOTE_ADDR") or "", proxies)
        ):
            del meta[header[0]]
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Answer 503 with a plain message and Retry-After when the database is unreachable.

    Placed right after SecurityMiddleware: it sees errors from the view
    (process_exception), from the middleware below it (session saving) and from
    the error page itself (which needs the database for the logged-in user).
    Nothing about the request or the error is shown; the log gets the error's
    class and SQLSTATE only.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            return self._unavailable(request, error)
        if response.status_code == 500 and getattr(request, _FLAG, False):
            return self._unavailable(request, None)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        return self._unavailable(request, exception)

    def _unavailable(self, request: HttpRequest, error: BaseException | None) -> HttpResponse:
        log.warning(
            "database unavailable: %s %s -> 503 (%s)",
            request.method,
            request.path_info if len(request.path_info) < 200 else "(long path)",
            describe(error) if error is not None else "error while answering",
        )
        return database_unavailable(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response the application builds (issue 18.6).

    Pages, API answers, exports and calendar feeds may hold patient data, and a shared
    computer's browser cache or a proxy must keep none of it. Static files are answered
    before this (WhiteNoise, far-future caching); nothing else is worth caching.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "private, no-store"
        return response


#: A null character, or a UTF-16 surrogate left alone (json.loads makes one of "\ud800"
#: and of the bytes ED A0 80): neither can be stored as text in PostgreSQL (nor encoded).
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
#: Cheap test of a raw JSON body before it is parsed to look for them.
_MAYBE_BAD_JSON = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]|\x00|\xed[\xa0-\xbf]")
BAD_TEXT = (
    "contains a character that cannot be stored (a null character or a broken character "
    "code); remove it and try again"
)


def _bad_strings(value: Any, path: str) -> Iterator[str]:
    """Paths of the strings (keys included) in a parsed JSON value that hold bad text."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _BAD_TEXT.search(item):
                yield where
        elif isinstance(item, dict):
            for key, child in item.items():
                if _BAD_TEXT.search(str(key)):
                    yield f"{where}.{key!a}"
                stack.append((child, f"{where}.{key}" if where else str(key)))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))


class TextInputMiddleware:
    """Refuse text that cannot be stored, before any view sees it (issue 18.6).

    A null character or a lone surrogate in the path, the query string, a form field or a
    JSON body is answered 400 (422 on the API, its error shape) with a message, never a
    500 from the database: on PostgreSQL and SQLite alike. Uploaded files are the
    importers' business (they read JSON with cephalog.safe_json).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problems = self._problems(request)
        if not problems:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            response = HttpResponse(
                json.dumps({"errors": problems}), status=422, content_type="application/json"
            )
            response["Cache-Control"] = "no-store"
            return response
        return _refusal(request, "Cannot be stored", "Some text you sent " + BAD_TEXT + ".", 400)

    def _problems(self, request: HttpRequest) -> list[str]:
        problems: list[str] = []
        if _BAD_TEXT.search(request.path_info):
            problems.append(f"path: {BAD_TEXT}")
        for name, values in request.GET.lists() if request.META.get("QUERY_STRING") else ():
            if any(_BAD_TEXT.search(v) for v in [name, *values]):
                problems.append(f"{name!a}: {BAD_TEXT}")
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return problems
        content_type = request.content_type or ""
        if content_type == "application/json" or content_type.endswith("+json"):
            body = request.body
            if not _MAYBE_BAD_JSON.search(body):
                return problems  # the common case: no escape or byte that could be one
            try:
                value = safe_json.loads(body)
            except (ValueError, UnicodeDecodeError):
                return problems  # not JSON (or absurdly nested): the API's parser says so
            problems += [f"{p or 'body'}: {BAD_TEXT}" for p in _bad_strings(value, "")]
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, values in request.POST.lists():
                if any(_BAD_TEXT.search(v) for v in [name, *values] if isinstance(v, str)):
                    problems.append(f"{name!a}: {BAD_TEXT}")
        return problems


class RequestSizeMiddleware:
    """Refuse oversized bodies (413) from the Content-Length, before anything reads them.

    Uploads (multipart) may be up to MAX_UPLOAD_REQUEST_BYTES (each upload form
    has its own, smaller limit with a clear message); other bodies (JSON, forms)
    up to DATA_UPLOAD_MAX_MEMORY_SIZE.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.content_type == "multipart/form-data"
        limit = (
            settings.MAX_UPLOAD_REQUEST_BYTES
            if multipart
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE or sys.maxsize
        )
        if length > limit:
            megabytes = f"{limit / 1_000_000:g}"
            what = "An upload" if multipart else "A request"
            return _refusal(
                request,
                "Too large",
                f"{what} may be at most {megabytes} MB; this one is larger, and nothing was saved.",
                413,
            )
        return self.get_response(request)


class LoginThrottleMiddleware:
    """Refuse a login POST with 429 while its username+address (or address) is throttled,
    and a password reset request past its limits (cephalog.ops.throttle).

    Nothing is checked or written for a refused attempt: no password hash is
    computed, no audit row added (the block's start was audited once).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if request.method != "POST" or match is None:
            return None
        if match.view_name in settings.PASSWORD_RESET_VIEWS:
            wait = throttle.password_reset_wait(request.POST.get("email", ""), client_ip(request))
        elif match.view_name in settings.LOGIN_THROTTLED_VIEWS:
            wait = throttle.request_retry_after(request, request.POST.get("username", ""))
        else:
            return None
        if not wait:
            return None
        minutes = max(1, round(wait / 60))
        response = render(
            request,
            "ops/throttled.html",
            {
                "minutes": minutes,
                "title": "Too many attempts",
                "reset": match.view_name in settings.PASSWORD_RESET_VIEWS,
            },
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response


class SessionLimitsMiddleware:
    """End sessions that outlived their limits.

    - Idle: Django's SESSION_COOKIE_AGE. Activity pushes the expiry on: a request
      saves the session (new expiry in the database and the cookie) when it was last
      saved SESSION_REFRESH_SECONDS ago or more, so an idle session expires between
      SESSION_COOKIE_AGE minus that and SESSION_COOKIE_AGE after the last request. (Saving
      on every request, SESSION_SAVE_EVERY_REQUEST, cost a database write per request.)
    - Absolute: SESSION_ABSOLUTE_AGE seconds after login, whatever the activity; not for
      a patient's "keep me signed in on this phone" session (cephalog.accounts.reauth).
    - Disabled or removed account: the session is deleted on its next request
      (ModelBackend already refuses inactive users; this also removes the session).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            if not request.user.is_authenticated:
                session.flush()
            else:
                started = session.get(LOGIN_AT)
                now = time.time()
                if not isinstance(started, int | float):
                    session[LOGIN_AT] = now
                elif now - started > settings.SESSION_ABSOLUTE_AGE and not is_remembered(session):
                    logout(request)
                    hours = round(settings.SESSION_ABSOLUTE_AGE / 3600)
                    messages.info(
                        request, f"You were logged out after {hours} hours. Please log in again."
                    )
                    return self.get_response(request)
                refreshed = session.get(REFRESHED_AT)
                if (
                    not isinstance(refreshed, int | float)
                    or not 0 <= now - refreshed < settings.SESSION_REFRESH_SECONDS
                ):
                    session[REFRESHED_AT] = now  # modified: saved with a new expiry
        return self.get_response(request)
