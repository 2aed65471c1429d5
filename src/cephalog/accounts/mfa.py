"""Staff multi-factor authentication: a TOTP code after the password (django-otp).

Every staff member (any clinic role) and every superuser must verify a TOTP
device in the session before any page or API call answers. The first time,
they enrol an authenticator app (QR code or the secret typed in). Patients
sign in with a password only. Replacing the device needs the password again.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from cephalog.accounts.access import memberships
from cephalog.audit.actions import record

DEVICE_NAME = "authenticator app"
OPEN_PREFIXES = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/healthz")


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


@transaction.atomic
def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled (created once, reused on reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


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
    otp_login(request, device)
    record(action="login", category="mfa", user=request.user)
    return True


@transaction.atomic
def replace_device(request: HttpRequest, password: str) -> bool:
    """Re-authenticate with the password, then drop the devices so a new one is enrolled."""
    user = request.user
    if authenticate(request, username=user.get_username(), password=password) is None:
        record(action="login_failed", category="mfa_replace", user=user)
        return False
    TOTPDevice.objects.filter(user=user).delete()
    record(action="privilege", category="mfa", user=user, detail={"replaced": True})
    return True


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return fallback
    return target
