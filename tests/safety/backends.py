"""A mail backend that always fails, as an SMTP server that refuses the connection would."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend

FAILING = {"default": {"BACKEND": "tests.safety.backends.FailingBackend"}}
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise smtplib.SMTPConnectError(421, "mail relay unavailable (test)")
