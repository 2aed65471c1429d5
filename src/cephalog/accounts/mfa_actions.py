"""Staff multi-factor authentication: every write (enrolment, recovery codes, replacing or
resetting a second factor), each audited. The reads, the middleware and the words are in
`cephalog.accounts.mfa`.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cephalog.accounts.mfa import (
    DEVICE_NAME,
    RECOVERY_ALPHABET,
    RECOVERY_CODES,
    RECOVERY_DEVICE_NAME,
    SESSION_CODES,
    _code_digest,
    _digests,
    is_verified,
    may_reset,
    normalise_code,
    notify,
    recovery_codes_left,
)
from cephalog.audit.actions import record


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
    otp_login(request, device)
    record(action="login", category="mfa", user=request.user)
    return True


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
    are removed; they enrol again at their next sign-in (with their password)."""
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
