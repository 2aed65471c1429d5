"""A passkey: a WebAuthn credential of one user (a django-otp device, so a staff session
that passed its second factor with one is `is_verified()` like one with a TOTP code)."""

from __future__ import annotations

from django.db import models
from django_otp.models import Device


class Passkey(Device):  # type: ignore[misc]  # django-otp is untyped
    #: The credential id (base64url), as the authenticator reports it.
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def verify_token(self, token: object) -> bool:
        return False  # never by a typed code: only by a WebAuthn assertion (passkeys.actions)
