"""`cephalog mfa-code USERNAME`: print the current TOTP code of a demo login (development only).

The demo clinic's staff must pass the same second factor as real staff. On a
development install, this prints the code their authenticator app would show,
so the demo can be tried without a phone. It refuses outside development mode.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cephalog.accounts.mfa_actions import pending_device
from cephalog.accounts.models import User


class Command(BaseCommand):
    help = "Print the current authenticator code of a staff login (development installs only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEV or settings.SECURE:
            raise CommandError("mfa-code works only on a development install (CEPHALOG_DEV=true)")
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no login called {options['username']!r}")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or pending_device(
            user
        )
        code = totp(
            device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
        )
        self.stdout.write(str(code).zfill(device.digits))
