"""Staff multi-factor authentication: every write (enrolment, recovery codes, replacing or
resetting a second factor), each audited. The reads, the middleware and the words are in
`cephalog.accounts.mfa`.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any, Literal

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cephalog.accounts.mfa import (
    DEVICE_NAME,
    MAILBOX_CODE_SECONDS,
    MAILBOX_CODE_TRIES,
    MAILBOX_PROOF_SECONDS,
    MAILBOX_RESEND_SECONDS,
    RECOVERY_ALPHABET,
    RECOVERY_CODES,
    RECOVERY_DEVICE_NAME,
    SESSION_CODES,
    SESSION_MAILBOX,
    _code_digest,
    _digests,
    is_verified,
    mailbox_digest,
    mailbox_state,
    may_reset,
    normalise_code,
    notify,
    recovery_codes_left,
    send_to,
)
from cephalog.audit.actions import record
from cephalog.ops import throttle

#: The cache's count of one account's emailed-code tries (cephalog.ops.throttle).
MAILBOX_TRIES_SCOPE = "mfa-mailbox-tries"
#: The cache's counts of set-up codes emailed to one account, whichever session asked
#: (cephalog.ops.throttle): one a minute (MAILBOX_RESEND_SECONDS) and MAILBOX_SENDS_PER_HOUR
#: an hour, so signing in again and again with a known password cannot fill the mailbox.
MAILBOX_SENT_SCOPE = "mfa-mailbox-sent"
MAILBOX_SENDS_PER_HOUR = 5
MAILBOX_SENDS_WINDOW = 60 * 60
#: The account's newest code (its digest and times) in the shared cache: a session that
#: is sent none because one went recently takes that one, to be typed from its email.
MAILBOX_NEWEST_KEY = "cephalog:mfa-mailbox-newest:{}"

#: What `send_mailbox_code` did: sent a code; sent none as one went to the account recently
#: and still works ("recent"); sent none as the hour's codes are used up and the newest has
#: expired ("wait"); the mail relay refused ("unsent"); the account has no address.
MailboxSend = Literal["sent", "recent", "wait", "unsent", "no-email"]

# --- the mailbox proof before a first enrolment ------------------------------------------------


def _proved(request: HttpRequest, user: Any, now: float) -> None:
    request.session[SESSION_MAILBOX] = {
        "user": user.pk,
        "proved": True,
        "proved_until": now + MAILBOX_PROOF_SECONDS,
    }


def prove_mailbox(request: HttpRequest, user: Any, now: float) -> None:
    """A set-password link (invitation or reset) was opened in this browser: the enrolment
    that follows it needs no emailed code."""
    _proved(request, user, now)
    record(action="privilege", category="mfa", user=user, detail={"mailbox": "link"})


def _may_send(user: Any, now: float) -> bool:
    """Count a send to the account (atomic in the cache, so sign-ins at the same moment each
    count); False past one a minute or MAILBOX_SENDS_PER_HOUR an hour."""
    ident = str(user.pk)
    if (
        throttle.count_attempt(f"{MAILBOX_SENT_SCOPE}-minute", ident, MAILBOX_RESEND_SECONDS, now)
        > 1
    ):
        return False
    hour = throttle.count_attempt(MAILBOX_SENT_SCOPE, ident, MAILBOX_SENDS_WINDOW, now)
    return hour <= MAILBOX_SENDS_PER_HOUR


def _take_newest(request: HttpRequest, user: Any, now: float) -> MailboxSend:
    """No code sent: this session takes the account's newest while it works."""
    newest = cache.get(MAILBOX_NEWEST_KEY.format(user.pk))
    if not newest or now >= newest["expires"]:
        return "wait"
    state = mailbox_state(request)
    if state.get("digest") != newest["digest"]:  # keep this session's tries on the same code
        request.session[SESSION_MAILBOX] = {"user": user.pk, "proved": False, **newest, "tries": 0}
    return "recent"


def newest_code_minutes(request: HttpRequest, now: float) -> int:
    """Whole minutes the session's code still works (at least 1 while it works)."""
    left = mailbox_state(request).get("expires", 0) - now
    return max(1, math.ceil(left / 60)) if left > 0 else 0


def send_mailbox_code(request: HttpRequest, now: float) -> MailboxSend:
    """Email a six-digit code to the signed-in user's address, unless one went to the
    account recently (see MAILBOX_SENT_SCOPE): then the session takes that code."""
    user: Any = request.user
    if not user.email:
        return "no-email"
    if not _may_send(user, now):
        return _take_newest(request, user, now)
    code = f"{secrets.randbelow(10**6):06d}"
    newest = {"digest": mailbox_digest(code), "expires": now + MAILBOX_CODE_SECONDS, "sent": now}
    request.session[SESSION_MAILBOX] = {"user": user.pk, "proved": False, **newest, "tries": 0}
    record(action="privilege", category="mfa", user=user, detail={"mailbox": "code sent"})
    body = (
        f"Hello,\n\nYour code to set up two-step sign-in for cephalog is {code}.\n"
        f"It works for {MAILBOX_CODE_SECONDS // 60} minutes, in the browser that asked for it.\n\n"
        "If you did not just sign in to cephalog, someone else knows your password: do not "
        "share this code, change your password and tell your clinic's administrator.\n"
    )
    if not send_to(user, "Your cephalog set-up code", body, "set-up code"):
        request.session[SESSION_MAILBOX] = {"user": user.pk, "proved": False}
        # Nothing went out: a new code may be asked for at once (the hour still counts it).
        throttle.forget_attempts(f"{MAILBOX_SENT_SCOPE}-minute", str(user.pk))
        return "unsent"
    cache.set(MAILBOX_NEWEST_KEY.format(user.pk), newest, MAILBOX_CODE_SECONDS)
    return "sent"


def check_mailbox_code(request: HttpRequest, code: str, now: float) -> bool:
    """The emailed code, within its time and at most five tries; then the mailbox is proved.

    The tries are counted per account in the shared cache, before the code is compared:
    requests sent together each count, and signing in again (a new session, a new code)
    gives no new tries until MAILBOX_CODE_SECONDS after the first."""
    state = dict(mailbox_state(request))
    code = "".join(ch for ch in code if ch.isdigit())
    if not state.get("digest") or now >= state.get("expires", 0):
        return False
    state["tries"] = state.get("tries", 0) + 1
    user_tries = throttle.count_attempt(
        MAILBOX_TRIES_SCOPE, str(request.user.pk), MAILBOX_CODE_SECONDS, now
    )
    if max(state["tries"], user_tries) > MAILBOX_CODE_TRIES:
        state.pop("digest")
        request.session[SESSION_MAILBOX] = state
        return False
    if not constant_time_compare(mailbox_digest(code), state["digest"]):
        request.session[SESSION_MAILBOX] = state
        record(action="login_failed", category="mfa", user=request.user, detail={"mailbox": True})
        return False
    _proved(request, request.user, now)
    throttle.forget_attempts(MAILBOX_TRIES_SCOPE, str(request.user.pk))
    cache.delete(MAILBOX_NEWEST_KEY.format(request.user.pk))  # a code works once
    record(action="privilege", category="mfa", user=request.user, detail={"mailbox": "code"})
    return True


@transaction.atomic
def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled (created once, reused on reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def verify(request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Check a code against the device (django-otp throttles repeated failures)."""
    token = "".join(ch for ch in token if ch.isdigit())
    if not token or not device.verify_token(token):
        record(action="login_failed", category="mfa", user=request.user)
        return False
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record(action="privilege", category="mfa", user=request.user, detail={"enrolled": True})
        notify(request.user, "An authenticator app was set up for your cephalog login.")
        request.session[SESSION_CODES] = issue_recovery_codes(request.user)
    passed(request, device)
    record(action="login", category="mfa", user=request.user)
    return True


def passed(request: HttpRequest, device: Any) -> None:
    """The session passed its second factor with `device`: it gets a new id (ASVS 3.2.1),
    so an id known before the code (set in the browser by someone else, or read while the
    session was half signed in) is not one past the second factor."""
    otp_login(request, device)
    request.session.cycle_key()


@transaction.atomic
def issue_recovery_codes(user: Any) -> list[str]:
    """New recovery codes for `user` (the old ones stop working); the plain codes are
    returned once, only their keyed hashes are stored."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=_code_digest(code)) for code in codes
    )
    record(action="privilege", category="mfa", user=user, detail={"recovery_codes": len(codes)})
    return codes


def use_recovery_code(user: Any, code: str) -> bool:
    """Spend one recovery code (django-otp's static device: used once, throttled)."""
    device = StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).first()
    if device is None or not normalise_code(code):
        return False
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return False
    for digest in _digests(code):
        match = device.token_set.filter(token=digest).first()
        if match is not None and constant_time_compare(match.token, digest):
            match.delete()
            device.throttle_reset(commit=False)
            device.set_last_used_timestamp(commit=False)
            device.save()
            return True
    device.throttle_increment()
    return False


def drop_authenticators(user: Any) -> int:
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    return int(deleted)


@transaction.atomic
def replace_device(request: HttpRequest, password: str) -> bool:
    """Drop the authenticator so a new one is enrolled: only for a session that has passed
    its second factor, and with the password again."""
    user = request.user
    if not is_verified(user):
        record(action="login_failed", category="mfa_replace", user=user, detail={"unverified": 1})
        return False
    if authenticate(request, username=user.get_username(), password=password) is None:
        record(action="login_failed", category="mfa_replace", user=user)
        return False
    drop_authenticators(user)
    _proved(request, user, time.time())  # the old factor was passed: no emailed code needed
    record(action="privilege", category="mfa", user=user, detail={"replaced": True})
    notify(user, "The authenticator app of your cephalog login was removed, to set up a new one.")
    return True


@transaction.atomic
def recover(request: HttpRequest, code: str) -> bool:
    """A recovery code in place of the lost authenticator: it is spent and the
    authenticator is dropped, so the next page enrols a new one."""
    user = request.user
    if not use_recovery_code(user, code):
        record(action="login_failed", category="mfa_recovery", user=user)
        return False
    drop_authenticators(user)
    _proved(request, user, time.time())  # a recovery code is as strong: no emailed code needed
    record(action="privilege", category="mfa", user=user, detail={"recovery_code": True})
    notify(
        user,
        "A recovery code was used to remove the authenticator app of your cephalog login "
        f"({recovery_codes_left(user)} recovery codes are left).",
    )
    return True


@transaction.atomic
def reset_by_admin(actor: Any, target: Any) -> None:
    """A clinic admin's (or superuser's) reset: the target's authenticator and recovery codes
    are removed; they enrol again at their next sign-in (their password, then a code emailed
    to them)."""
    if not may_reset(actor, target):
        raise PermissionError("not allowed to reset this second factor")
    drop_authenticators(target)
    StaticDevice.objects.filter(user=target).delete()
    record(
        action="privilege",
        category="mfa",
        user=actor,
        object_ref=f"user:{target.pk}",
        detail={"reset_for": target.pk},
    )
    notify(
        target,
        "An administrator of your clinic reset the second factor of your cephalog login. "
        "At your next sign-in you will set up an authenticator app again.",
    )
