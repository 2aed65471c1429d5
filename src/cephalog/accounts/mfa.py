"""Staff multi-factor authentication: a TOTP code after the password (django-otp).

Every staff member (any clinic role) and every superuser must verify a TOTP
device in the session before any page or API call answers. The first time,
they enrol an authenticator app (QR code or the secret typed in) and are shown
ten recovery codes once (stored as keyed hashes in django-otp's static plugin).
Patients sign in with a password only.

A password alone never sets up or changes a second factor (issue 18.1). The first
authenticator of an account (after an invitation, or after a reset) is set up only once the
session has proved the account's mailbox: a set-password link opened in this browser, or a
six-digit code emailed to the account's address. Replacing the
authenticator needs a session that passed its second factor (and the password
again), or one of the recovery codes, or a reset by a clinic admin of one of
the user's clinics (or a superuser). Every change is audited and emailed to the
user.
"""

from __future__ import annotations

import base64
import io
import logging
import math
from collections.abc import Callable
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cephalog.accounts.access import memberships
from cephalog.accounts.models import Membership, Role, User

log = logging.getLogger(__name__)

DEVICE_NAME = "authenticator app"
RECOVERY_DEVICE_NAME = "recovery codes"
RECOVERY_CODES = 10
#: Recovery codes are 10 letters and digits (50 bits), shown as two groups of five.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: Where plain recovery codes wait, once, between enrolment and the page showing them.
SESSION_CODES = "cephalog_recovery_codes"
OPEN_PREFIXES = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/healthz")
#: The session's proof of the account's mailbox before a first enrolment: {"user", "proved",
#: "digest", "expires", "sent", "tries"} (times as Unix seconds).
SESSION_MAILBOX = "cephalog_mailbox"
MAILBOX_CODE_SECONDS = 15 * 60
MAILBOX_CODE_TRIES = 5
#: A set-password link proves the mailbox for the enrolment that follows it, for this long.
MAILBOX_PROOF_SECONDS = 60 * 60
MAILBOX_RESEND_SECONDS = 60


def needs_mfa(user: Any) -> bool:
    """Staff (any clinic role) and superusers; patients never."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if getattr(user, "has_clinic_role", None) is False:  # read with the session's user
        return False
    return bool(memberships(user))


def is_verified(user: Any) -> bool:
    return bool(getattr(user, "is_verified", lambda: False)())


def past_second_factor(user: Any) -> bool:
    """Whether this session may see anything about patients: it passed its second factor,
    or needs none (patients; staff when STAFF_MFA_REQUIRED is off)."""
    if not settings.STAFF_MFA_REQUIRED or not needs_mfa(user):
        return True
    return is_verified(user)


class StaffMFAMiddleware:
    """Sends staff who have not passed their second factor to the MFA page (JSON 401 for APIs)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.STAFF_MFA_REQUIRED
            and not request.path.startswith(OPEN_PREFIXES)
            and needs_mfa(request.user)
            and not is_verified(request.user)
        ):
            if request.path.startswith(("/api/", "/fhir/")):
                return JsonResponse(
                    {"detail": "Enter the code from your authenticator app first."}, status=401
                )
            target = reverse("mfa-verify")
            if request.method == "GET":
                from urllib.parse import urlencode

                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def seconds_refused(device: TOTPDevice) -> int:
    """How long django-otp's throttle refuses every code, the right one too (0: not now).

    The delay doubles with each wrong code in a row (1 s, 2 s, 4 s ... never capped): the
    page says so, instead of "did not match" to the right code typed too soon."""
    allowed, data = device.verify_is_allowed()
    until = (data or {}).get("locked_until")
    if allowed or until is None:
        return 0
    left: float = (until - timezone.now()).total_seconds()
    return max(1, math.ceil(left))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG (no external request, no script)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


def secret_for_typing(device: TOTPDevice) -> str:
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


# --- recovery codes ---------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _code_digest(code: str, secret: str | None = None) -> str:
    """A keyed hash of a recovery code, 16 characters (StaticToken.token's length): the
    database alone does not let anyone try codes offline."""
    mac = salted_hmac(
        "cephalog.mfa.recovery-code", normalise_code(code), secret=secret, algorithm="sha256"
    )
    return base64.urlsafe_b64encode(mac.digest()).decode()[:16]


def _digests(code: str) -> list[str]:
    """The code's digest under SECRET_KEY and each SECRET_KEY_FALLBACKS (key rotation)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_code_digest(code, key) for key in keys]


def recovery_codes_left(user: Any) -> int:
    tokens = StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME)
    return int(tokens.count())


# --- proving the mailbox before a first enrolment ---------------------------------------------


def mailbox_state(request: HttpRequest) -> dict[str, Any]:
    """This session's mailbox proof for the signed-in user (empty for anyone else's)."""
    state = request.session.get(SESSION_MAILBOX) or {}
    return state if state.get("user") == request.user.pk else {}


def mailbox_proved(request: HttpRequest, now: float) -> bool:
    state = mailbox_state(request)
    return bool(state.get("proved")) and now < state.get("proved_until", 0)


def masked_email(email: str) -> str:
    """`j…@clinic.example`: enough to recognise one's own address, not to read it off a screen."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "your email address"


def mailbox_digest(code: str) -> str:
    return salted_hmac("cephalog.mfa.mailbox", code, algorithm="sha256").hexdigest()


# --- changing a second factor ---------------------------------------------------------------


def notify(user: Any, change: str) -> None:
    """Tell the user by email that a second factor changed (after commit; no link in it)."""
    if not user.email:
        return
    subject = "Your cephalog sign-in security changed"
    body = (
        f"Hello,\n\n{change}\n\n"
        "If this was you, there is nothing to do. If it was not, contact your clinic's "
        "administrator straight away: they can reset your second factor and your password.\n"
    )

    # Best effort: a mail relay that is down must not undo or break the change (the audit
    # row is the record).
    transaction.on_commit(lambda: send_to(user, subject, body, "second-factor notice"))


def send_to(user: Any, subject: str, body: str, what: str) -> bool:
    """Email the user now; a failure is logged (without the address) and returns False."""
    try:
        send_mail(subject, body, from_email=None, recipient_list=[user.email])
    except Exception as error:
        log.warning("%s to user %s not sent: %r", what, user.pk, error)
        return False
    return True


def may_reset(actor: Any, target: Any) -> bool:
    """A superuser may reset anyone but themself; a clinic admin, the staff of their clinics
    (not themself, not a superuser)."""
    if not getattr(actor, "is_authenticated", False) or actor.pk == target.pk:
        return False
    if actor.is_superuser:
        return True
    if target.is_superuser:
        return False
    admin_of = {c for c, role in memberships(actor) if role == Role.CLINIC_ADMIN}
    return Membership.objects.filter(user=target, clinic_id__in=admin_of).exists()


def resettable_staff(actor: Any) -> list[User]:
    """The staff whose second factor `actor` may reset, by username."""
    if actor.is_superuser:
        users = User.objects.filter(is_active=True)
        users = users.filter(memberships__isnull=False) | users.filter(is_superuser=True)
    else:
        admin_of = {c for c, role in memberships(actor) if role == Role.CLINIC_ADMIN}
        users = User.objects.filter(memberships__clinic_id__in=admin_of, is_superuser=False)
    return list(users.exclude(pk=actor.pk).distinct().order_by("username"))


def has_authenticator(user: Any) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return fallback
    return target
