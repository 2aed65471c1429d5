"""Reads for a new sign-in address waiting to be confirmed (accounts.actions.emails)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from cephalog.accounts.models import EmailRequest, User
from cephalog.accounts.tokens import email_change_token_generator

#: What a confirmation link is: good to use ("ok"); not a link we made ("wrong"); used
#: already; replaced by a newer request, or the address changed since ("superseded");
#: cancelled; too old ("expired"); its address now another login's ("taken").
LinkState = Literal["ok", "wrong", "used", "superseded", "cancelled", "expired", "taken"]


@dataclass(frozen=True)
class Pending:
    """The open request shown on the account page."""

    request: EmailRequest
    expires_at: dt.datetime

    @property
    def expired(self) -> bool:
        return timezone.now() >= self.expires_at


def pending_email(user: User) -> Pending | None:
    """The user's open request for a new sign-in address, if any (expired ones too: the
    page says so and offers to send the link again)."""
    request = EmailRequest.objects.filter(
        user=user, confirmed_at__isnull=True, closed_at__isnull=True
    ).first()
    if request is None or request.old_email.lower() != (user.email or "").lower():
        return None  # none, or the address changed another way since (its link is dead)
    lifetime = dt.timedelta(seconds=settings.EMAIL_CHANGE_LINK_TIMEOUT)
    return Pending(request=request, expires_at=request.created_at + lifetime)


def email_taken(email: str, user: User) -> bool:
    """Another login signs in with this address (any letter case)."""
    return User.objects.filter(email__iexact=email.strip()).exclude(pk=user.pk).exists()


def request_in_link(uidb64: str) -> EmailRequest | None:
    """The request a link names (its first part), or None."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return EmailRequest.objects.select_related("user").filter(pk=pk).first()


def link_state(request: EmailRequest | None, token: str) -> LinkState:
    """What the link (`request`, `token`) can do now. The checks go from the link itself to
    what happened since, so the page names the first thing that stops it."""
    if request is None or len(token) > 100:
        return "wrong"
    made = email_change_token_generator.made_at(request, token)
    if made is None:
        return "wrong"
    if request.confirmed_at is not None:
        return "used"
    if request.closed_why == EmailRequest.Closed.CANCELLED:
        return "cancelled"
    current = (request.user.email or "").lower()
    if request.closed_at is not None or current != request.old_email.lower():
        return "superseded"
    if email_change_token_generator.expired(made):
        return "expired"
    if email_taken(request.new_email, request.user):
        return "taken"
    return "ok"
