"""A new sign-in address, used only once it is confirmed from the new mailbox.

Asking (`request_email_change`) keeps the address as an EmailRequest and emails a link to
the new address and a notice to the old one; the login keeps the old address, so a typo
never locks anyone out of signing in or of "Forgot your password?". Opening the link and
pressing Confirm (`confirm_email_change`, signed in or not) switches the address.

Other sessions are not ended, unlike a new password's (Django's session hash is the
password's): the address is not a secret, and whoever confirms holds the new mailbox and
this link, while the person signed in elsewhere may be the owner, who is then told by
email at the old address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cephalog.accounts.email_queries import LinkState, email_taken, link_state
from cephalog.accounts.mfa import masked_email
from cephalog.accounts.models import EmailRequest, User
from cephalog.accounts.tokens import email_change_token_generator
from cephalog.audit.actions import record
from cephalog.ops import throttle
from cephalog.patients.actions import withdraw_email_change
from cephalog.patients.models import Patient

#: The cache's counts of confirmation links emailed for one account (cephalog.ops.throttle):
#: one a minute and EMAIL_SENDS_PER_HOUR an hour, as the second factor's emailed codes, so
#: "send again" cannot fill someone's mailbox.
EMAIL_SENT_SCOPE = "email-change-sent"
EMAIL_RESEND_SECONDS = 60
EMAIL_SENDS_PER_HOUR = 5
EMAIL_SENDS_WINDOW = 60 * 60

#: What the page opened from a link says when it cannot be used (email_queries.LinkState).
LINK_PROBLEMS: dict[str, str] = {
    "wrong": (
        "This link does not work. It may be cut short: try copying the whole link from the "
        "email. Or ask for a new one on your Account and security page."
    ),
    "used": "This link has already been used: your new email address is saved. Log in with it.",
    "superseded": (
        "This link has been replaced by a newer one. Use the link in the most recent email "
        "we sent you, or ask again on your Account and security page."
    ),
    "cancelled": (
        "This change was cancelled, so the link no longer works. Your email address has not "
        "changed. To change it, ask again on your Account and security page."
    ),
    "expired": (
        "This link has expired: links work for 24 hours. Your email address has not changed. "
        "Log in with your current address and ask for a new link on your Account and "
        "security page."
    ),
    "taken": (
        "Another account now uses this email address, so it cannot be yours too. Your email "
        "address has not changed. Please use a different one, or ask your clinic."
    ),
}


class LinkProblem(ValidationError):
    """The link cannot be used; `state` says why (LINK_PROBLEMS has the words)."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(LINK_PROBLEMS[state])
        self.state = state


def _may_send(user: User) -> bool:
    ident = str(user.pk)
    if throttle.count_attempt(f"{EMAIL_SENT_SCOPE}-minute", ident, EMAIL_RESEND_SECONDS) > 1:
        return False
    return throttle.count_attempt(EMAIL_SENT_SCOPE, ident, EMAIL_SENDS_WINDOW) <= (
        EMAIL_SENDS_PER_HOUR
    )


def _send(subject: str, body: str, to: str) -> None:
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=[to])
    )


def _where(patient: Patient | None) -> str:
    return f"your diary at {patient.clinic.name}" if patient else "cephalog"


def _contact(patient: Patient | None) -> str:
    if patient is None:
        return "your clinic's administrator"
    phone = patient.clinic.phone
    return f"your clinic, {patient.clinic.name}" + (f", on {phone}" if phone else "")


def _audit(user: User, patient: Patient | None, what: str, **more: Any) -> None:
    """Audit rows hold no addresses: the request's id and what happened."""
    record(
        action="update",
        category="account",
        patient=patient,
        user=user,
        object_ref=f"user:{user.pk}",
        detail={"email": what, **more},
    )


def confirmation_link(request: EmailRequest) -> str:
    uid = urlsafe_base64_encode(force_bytes(request.pk))
    token = email_change_token_generator.make_token(request)  # type: ignore[arg-type]
    path = reverse("my-email-confirm", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL.rstrip("/") + path


def _open(user: User) -> Any:
    return EmailRequest.objects.select_for_update().filter(
        user=user, confirmed_at__isnull=True, closed_at__isnull=True
    )


@transaction.atomic
def request_email_change(*, user: User, email: str) -> EmailRequest:
    """Hold `email` as the user's new sign-in address and email the link that confirms it
    (a newer request replaces an open one: its link stops working)."""
    user = User.objects.select_for_update().get(pk=user.pk)  # one request at a time
    email = (email or "").strip()
    validate_email(email)
    if email.lower() == (user.email or "").lower():
        raise ValidationError({"email": "This is already your email address."})
    if email_taken(email, user):
        raise ValidationError(
            {
                "email": "Another account already uses this email address. "
                "Please use a different one, or ask your clinic."
            }
        )
    if not _may_send(user):
        raise ValidationError(
            {
                "email": "We have sent several emails in a short time. Please wait a few "
                "minutes, then try again."
            }
        )
    now = timezone.now()
    replaced = _open(user).update(closed_at=now, closed_why=EmailRequest.Closed.SUPERSEDED)
    request = EmailRequest(user=user, new_email=email, old_email=user.email or "", created_at=now)
    request.full_clean()
    request.save()
    patient = Patient.objects.select_related("clinic").filter(user=user).first()
    if patient is not None:
        # A change the clinic typed in for her is replaced by the one she asked for herself.
        withdraw_email_change(patient=patient, by=user)
    hours = settings.EMAIL_CHANGE_LINK_TIMEOUT // 3600
    _send(
        "Please confirm your new email address",
        f"Hello,\n\nTo log in to {_where(patient)} with this email address from now on, "
        f"open this link within {hours} hours and press Confirm:\n\n"
        f"{confirmation_link(request)}\n\n"
        "Until you do, nothing changes: you keep logging in with your old address.\n\n"
        "If you did not ask for this, ignore this email.\n",
        email,
    )
    if user.email:
        _send(
            "Someone asked to change your email address",
            f"Hello,\n\nWe were asked to change the email address you log in to "
            f"{_where(patient)} with, to {masked_email(email)}.\n\n"
            "Nothing has changed yet. You keep logging in with this address until the change "
            "is confirmed from a link we sent to the new address.\n\n"
            f"If it was not you, contact {_contact(patient)}.\n",
            user.email,
        )
    _audit(user, patient, "change asked", request=request.pk, replaced=bool(replaced))
    return request


@transaction.atomic
def resend_email_change(*, user: User) -> EmailRequest:
    """Send the open request's link again: a new request for the same address (so the
    link lives another day, and the earlier email's link says it was replaced)."""
    request = _open(user).first()
    if request is None:
        raise ValidationError("There is no email address waiting to be confirmed.")
    return request_email_change(user=user, email=request.new_email)


@transaction.atomic
def cancel_email_change(*, user: User) -> bool:
    """Drop the open request: its link stops working, the address stays as it is."""
    cancelled = _open(user).update(
        closed_at=timezone.now(), closed_why=EmailRequest.Closed.CANCELLED
    )
    if cancelled:
        patient = Patient.objects.filter(user=user).first()
        _audit(user, patient, "change cancelled")
    return bool(cancelled)


@transaction.atomic
def confirm_email_change(*, request: EmailRequest, token: str) -> EmailRequest:
    """The link was opened and Confirm pressed (signed in or not: the link is the proof):
    the login and the patient's record take the new address. Raises LinkProblem when
    the link cannot be used any more."""
    request = EmailRequest.objects.select_for_update().select_related("user").get(pk=request.pk)
    user = User.objects.select_for_update().get(pk=request.user_id)
    request.user = user
    state = link_state(request, token)
    if state != "ok":
        raise LinkProblem(state)
    old = user.email or ""
    user.email = request.new_email
    user.full_clean(exclude=["password"])
    user.save(update_fields=["email"])
    request.confirmed_at = timezone.now()
    request.save(update_fields=["confirmed_at"])
    patient = Patient.objects.select_related("clinic").filter(user=user).first()
    if patient is not None:
        # A change the clinic typed in after she asked must not switch the address again.
        withdraw_email_change(patient=patient, by=user)
    if patient is not None and patient.email != user.email:
        # The clinic writes to the address she signs in with.
        patient.email = request.new_email
        patient.save(update_fields=["email", "updated_at"])
    if old:
        _send(
            "Your email address was changed",
            f"Hello,\n\nThe email address you log in to {_where(patient)} with was changed "
            f"to {masked_email(request.new_email)}. This address will not be used any more.\n\n"
            f"If it was not you, contact {_contact(patient)} straight away.\n",
            old,
        )
    _audit(user, patient, "changed", request=request.pk, confirmed=True)
    return request
