"""All writes to patient records and the history kept with them."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cephalog.accounts.models import Clinic, User
from cephalog.audit.actions import record
from cephalog.core.writes import save_recorded
from cephalog.patients.models import EmailChange, Patient


@transaction.atomic
def create_patient(*, clinic: Clinic, **fields: Any) -> Patient:
    patient = Patient(clinic=clinic, **fields)
    return save_recorded(
        patient,
        action="create",
        category="patient",
        patient=patient,
    )


@transaction.atomic
def record_consent(*, patient: Patient, on: dt.date, version: str) -> Patient:
    patient.consent_date = on
    patient.consent_version = version
    patient.full_clean()
    patient.save(update_fields=["consent_date", "consent_version", "updated_at"])
    record(action="update", category="consent", patient=patient, detail={"version": version})
    return patient


def invitation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("invite-accept", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL.rstrip("/") + path


def login_in_use(user: User | None) -> bool:
    """The login has been taken up: a password was set, or someone signed in with it."""
    return user is not None and (user.has_usable_password() or user.last_login is not None)


def _send(subject: str, body: str, to: str) -> None:
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=[to])
    )


@transaction.atomic
def invite_patient(*, patient: Patient, by: Any = None) -> User:
    """Create (or reuse) the patient's login and email a one-time link that sets a password.

    The link is Django's password-reset token: it stops working once a password is set
    (and when the login's email changes). A login already in use is never re-invited:
    a set-password link would hand it to whoever reads the address on the record, so
    the patient uses "Forgot your password?" with their own address instead.
    """
    patient = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("clinic", "user")
        .get(pk=patient.pk)
    )
    email = patient.email.strip().lower()
    if not email:
        raise ValidationError({"email": "Add the patient's email address first."})
    user = patient.user
    if login_in_use(user):
        raise ValidationError(
            "This patient already has a diary login. If they forgot their password, they can "
            "use “Forgot your password?” on the sign-in page."
        )
    if _email_taken(email, user):
        raise ValidationError({"email": "Another login uses this email address."})
    if user is None:
        user = User(username=f"p-{patient.pk.hex[:12]}", email=email)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        patient.user = user
        patient.save(update_fields=["user", "updated_at"])
    elif user.email != email:
        # Nobody has used this login yet: it follows the record (older links stop working).
        user.email = email
        user.save(update_fields=["email"])
    link = invitation_link(user)
    clinic = patient.clinic
    _send(
        f"Your headache diary at {clinic.name}",
        f"Hello,\n\n{clinic.name} has invited you to keep your headache diary in cephalog.\n"
        f"Open this link to choose a password (it works once, for three days):\n\n{link}\n\n"
        f"Then log in with this email address, {email}, and your password.\n\n"
        "If you did not expect this message, you can ignore it.\n",
        email,
    )
    record(action="update", category="account", patient=patient, user=by, detail={"invited": True})
    return user


# --- contact details ------------------------------------------------------------------------

CONTACT_FIELDS = ("email", "phone", "address", "time_zone", "preferred_contact", "gp_practice")
#: Values that identify the patient are kept in the audit trail only as keyed fingerprints.
_FINGERPRINTED = frozenset({"email", "phone", "address", "gp_practice"})
EMAIL_CHANGE_DAYS = 7
_EMAIL_CHANGE_SALT = "cephalog.patients.email-change"


def fingerprint(value: str) -> str:
    """A keyed 16-hex fingerprint: an investigator can check a known value; the row holds none."""
    if not value:
        return ""
    return salted_hmac("cephalog.patients.contact-audit", value, algorithm="sha256").hexdigest()[
        :16
    ]


def _audit_value(field: str, value: str) -> str:
    return fingerprint(value) if field in _FINGERPRINTED else value


def _email_taken(email: str, user: User | None) -> bool:
    others = User.objects.filter(email__iexact=email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    return others.exists()


def _hash_token(token: str) -> str:
    return hashlib.sha256(f"{_EMAIL_CHANGE_SALT}:{token}".encode()).hexdigest()


@dataclass(frozen=True)
class ContactUpdate:
    changed: tuple[str, ...]
    #: The new email waits for the patient to confirm it (the patient has a login).
    email_pending: str = ""


def _check_contact(
    wanted: dict[str, str], old_email: str, user: Any, *, email_changed: bool, hold: bool
) -> None:
    """Refuse an email the login cannot take, and a preferred contact with nothing to reach
    it by. A held new email leaves the old one on the record (`wanted` is changed)."""
    new_email = wanted["email"]
    if email_changed and user is not None:
        if not new_email:
            raise ValidationError(
                {
                    "email": "The patient signs in with their email address: change it, do not remove it."
                }
            )
        if _email_taken(new_email, user):
            raise ValidationError({"email": "Another login uses this email address."})
    if hold:
        wanted["email"] = old_email
    if wanted["preferred_contact"] == "email" and not (wanted["email"] or hold):
        raise ValidationError({"preferred_contact": "Email needs an email address."})
    if wanted["preferred_contact"] in ("phone", "sms") and not wanted["phone"]:
        raise ValidationError({"preferred_contact": "A call or a text needs a phone number."})
    if wanted["preferred_contact"] == "post" and not wanted["address"]:
        raise ValidationError({"preferred_contact": "A letter needs a postal address."})


def _audit_contact(
    patient: Patient,
    by: Any,
    before: dict[str, Any],
    changed: tuple[str, ...],
    *,
    hold: bool,
    new_email: str,
) -> None:
    """The audit row of a change of contact details: the fields with before and after
    (email, phone and address as fingerprints), and a fingerprint of a held new email."""
    _record_contact(
        patient,
        by,
        {
            "changed": list(changed) + (["email (awaiting the patient)"] if hold else []),
            "before": {f: _audit_value(f, before[f]) for f in changed},
            "after": {f: _audit_value(f, getattr(patient, f)) for f in changed},
            **({"email_pending": fingerprint(new_email)} if hold else {}),
        },
    )


def _record_contact(patient: Patient, by: Any, detail: dict[str, Any]) -> None:
    """An audit row of the patient's contact details (values only as fingerprints)."""
    record(
        action="update",
        category="contact_details",
        patient=patient,
        user=by,
        object_ref=f"patient:{patient.pk}",
        detail=detail,
    )


@transaction.atomic
def update_contact_details(
    *,
    patient: Patient,
    by: Any,
    email: str,
    phone: str,
    address: str,
    time_zone: str,
    preferred_contact: str,
    gp_practice: str | None = None,
) -> ContactUpdate:
    """Change a patient's contact details (staff), validated and audited.

    The audit row names the fields changed with their before/after values; email, phone
    and address only as keyed fingerprints (`detail` never holds patient data).

    A new email for a patient whose login is in use is not applied: the patient must
    confirm it (`confirm_email_change`) from a link sent to the new address while
    signed in; the old address is told. A login not yet taken up follows the record.
    """
    patient = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("clinic", "user")
        .get(pk=patient.pk)
    )
    wanted = {
        "email": (email or "").strip().lower(),
        "phone": (phone or "").strip(),
        "address": (address or "").strip(),
        "time_zone": time_zone,
        "preferred_contact": preferred_contact,
        "gp_practice": (patient.gp_practice if gp_practice is None else gp_practice).strip(),
    }
    before = {f: getattr(patient, f) for f in CONTACT_FIELDS}
    user = patient.user
    new_email = wanted["email"]
    email_changed = new_email != before["email"]
    hold = email_changed and login_in_use(user)
    _check_contact(wanted, before["email"], user, email_changed=email_changed, hold=hold)
    for f, value in wanted.items():
        setattr(patient, f, value)
    patient.full_clean()
    changed = tuple(f for f in CONTACT_FIELDS if getattr(patient, f) != before[f])
    if changed:
        patient.save(update_fields=[*changed, "updated_at"])
    if email_changed and user is not None and not hold and user.email != new_email:
        old_login_email = user.email
        user.email = new_email
        user.save(update_fields=["email"])  # outstanding invitation links stop working
        if old_login_email:
            _tell_old_address(patient, old_login_email, pending=False)
    if hold:
        _request_email_change(patient, new_email, by)
    if changed or hold:
        _audit_contact(patient, by, before, changed, hold=hold, new_email=new_email)
    return ContactUpdate(changed=changed, email_pending=new_email if hold else "")


def _tell_old_address(patient: Patient, old: str, *, pending: bool) -> None:
    clinic = patient.clinic
    what = (
        "asked to change the email address of your diary login. Nothing changes until you "
        "confirm it from a message sent to the new address, while signed in to your diary."
        if pending
        else "changed the email address of your diary login."
    )
    _send(
        f"Your diary email address at {clinic.name}",
        f"Hello,\n\n{clinic.name} has {what}\n\n"
        f"If you did not ask for this, call the clinic{f' on {clinic.phone}' if clinic.phone else ''}.\n",
        old,
    )


def _request_email_change(patient: Patient, new_email: str, by: Any) -> EmailChange:
    now = timezone.now()
    EmailChange.objects.filter(
        patient=patient, confirmed_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    token = secrets.token_urlsafe(32)
    change = EmailChange.objects.create(
        patient=patient,
        new_email=new_email,
        token_hash=_hash_token(token),
        requested_by=by if getattr(by, "pk", None) else None,
        expires_at=now + dt.timedelta(days=EMAIL_CHANGE_DAYS),
    )
    link = settings.SITE_URL.rstrip("/") + reverse("email-change-confirm", args=[token])
    clinic = patient.clinic
    _send(
        f"Confirm your new email address for your diary at {clinic.name}",
        f"Hello,\n\n{clinic.name} has recorded this address as your new email address.\n"
        "To confirm it, sign in to your diary as usual and open this link "
        f"(it works for {EMAIL_CHANGE_DAYS} days):\n\n{link}\n\n"
        "If you do not have a diary login, or did not expect this message, ignore it: "
        "nothing changes.\n",
        new_email,
    )
    old = patient.user.email if patient.user and patient.user.email else patient.email
    if old:
        _tell_old_address(patient, old, pending=True)
    return change


def open_email_change(patient: Patient) -> EmailChange | None:
    return EmailChange.objects.filter(
        patient=patient,
        confirmed_at__isnull=True,
        withdrawn_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).first()


def email_change_for(patient: Patient, token: str) -> EmailChange | None:
    """The open change of this patient with this link's secret, or None."""
    if not token or len(token) > 100:
        return None
    change = open_email_change(patient)
    if change is None or not secrets.compare_digest(change.token_hash, _hash_token(token)):
        return None
    return change


@transaction.atomic
def confirm_email_change(*, patient: Patient, token: str, by: Any) -> EmailChange:
    """The signed-in patient confirms the new address: record and login take it."""
    patient = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("clinic", "user")
        .get(pk=patient.pk)
    )
    change = email_change_for(patient, token)
    if change is None or patient.user is None or getattr(by, "pk", None) != patient.user_id:
        raise ValidationError("This link does not work any more. Ask the clinic to send a new one.")
    user = patient.user
    if _email_taken(change.new_email, user):
        raise ValidationError("Another login uses this email address. Please call the clinic.")
    old = user.email or patient.email
    patient.email = change.new_email
    patient.full_clean()
    patient.save(update_fields=["email", "updated_at"])
    user.email = change.new_email
    user.save(update_fields=["email"])
    change.confirmed_at = timezone.now()
    change.save(update_fields=["confirmed_at"])
    if old and old != change.new_email:
        _tell_old_address(patient, old, pending=False)
    _record_contact(
        patient,
        by,
        {
            "changed": ["email"],
            "before": {"email": fingerprint(old)},
            "after": {"email": fingerprint(change.new_email)},
            "confirmed_by_patient": True,
        },
    )
    return change


@transaction.atomic
def withdraw_email_change(*, patient: Patient, by: Any) -> int:
    withdrawn = EmailChange.objects.filter(
        patient=patient, confirmed_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now())
    if withdrawn:
        _record_contact(patient, by, {"email_change_withdrawn": True})
    return withdrawn
