"""The demo loader's writes (`cephalog demo`, `make run`), each audited as demo data.

Clinics, staff and patients are created through their apps' actions (called by
`cephalog.demo.load`); what is here is what only the demo does: removing the demo
clinics, bringing a demo login back to its demo state, writing a generated cohort's
history in bulk, and moving a patient's sessions so one is due this week. The bulk rows
are generated valid (`cephalog.demo.generate` draws them from the models' own
vocabularies) and are written with `bulk_create`, unchecked row by row, for speed: 11,000
diary days for 40 patients load in seconds. They are audited as one `import` row per
patient (category `demo`), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from cephalog.accounts.actions import grant_role
from cephalog.accounts.models import Clinic, User
from cephalog.audit.actions import record, record_many
from cephalog.core.writes import save_validated
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry
from cephalog.patients.models import Patient
from cephalog.safety.models import AdverseEvent, SafetyAlert
from cephalog.treatment.models import Session

#: Rows per INSERT batch.
BATCH_ROWS = 2000

#: One batch of generated diary days with the acute medicines taken on them (each
#: `AcuteMedicationTaken.entry` is one of the batch's unsaved entries).
type DiaryBatch = tuple[list[DiaryEntry], list[AcuteMedicationTaken]]


@transaction.atomic
def delete_demo(clinics: Iterable[Clinic]) -> None:
    """Delete demo clinics with their patients and everything recorded about them.

    Audit rows stay (the trail is append-only). The demo logins stay too and
    are reused by the next load, so audit rows keep pointing at them.
    """
    for clinic in clinics:
        patients = Patient.objects.filter(clinic=clinic)
        # The big tables first, as plain queryset deletes.
        AcuteMedicationTaken.objects.filter(entry__patient__in=patients).delete()
        DiaryEntry.objects.filter(patient__in=patients).delete()
        SafetyAlert.objects.filter(patient__in=patients).delete()  # they protect their events
        AdverseEvent.objects.filter(patient__in=patients).delete()
        Session.objects.filter(patient__in=patients).delete()
        patients.delete()
        clinic_id = clinic.pk
        clinic.delete()
        record(
            action="delete",
            category="demo",
            clinic_id=clinic_id,
            object_ref=f"clinic:{clinic_id}",
            detail={"reset": True},
        )


@transaction.atomic
def set_demo_password(user: User, password_hash: str) -> User:
    """Give a demo login just created (`create_staff`, audited there) the demo password,
    hashed once for all demo logins (hashing is the slow part)."""
    user.password = password_hash
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def enrol_demo_authenticator(user: User) -> None:
    """Development installs only: a demo staff login gets an authenticator whose codes
    `cephalog mfa-code` prints (the demo's phone), so the demo is tried without one. Real
    logins enrol at their first sign-in, after proving their mailbox (accounts.mfa)."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return
    TOTPDevice.objects.create(user=user, name="demo (cephalog mfa-code)", confirmed=True)
    record(action="privilege", category="mfa", user=user, detail={"demo": True})


@transaction.atomic
def restore_demo_staff(
    *,
    user: User,
    clinic: Clinic,
    role: str,
    email: str,
    first_name: str,
    last_name: str,
    password_hash: str,
) -> User:
    """Bring a staff login kept from an earlier load (see `delete_demo`) back to its demo
    state, with its role in the new demo clinic."""
    user.first_name, user.last_name, user.email, user.is_active = (
        first_name,
        last_name,
        email,
        True,
    )
    user.password = password_hash
    save_validated(user, exclude=["password"])
    record(action="update", category="account", object_ref=f"user:{user.pk}", detail={"demo": True})
    grant_role(user=user, clinic=clinic, role=role)
    return user


@transaction.atomic
def save_patient_login(
    *, username: str, email: str, first_name: str | None, last_name: str | None, password_hash: str
) -> User:
    """The demo patient's login, created or brought back to its demo state (names given
    only when the cohort has a patient)."""
    user = User.objects.filter(username=username).first() or User(username=username)
    if first_name is not None and last_name is not None:
        user.first_name, user.last_name = first_name, last_name
    user.email = email
    user.is_active = True
    user.password = password_hash
    save_validated(user, exclude=["password"])
    record(action="create", category="account", object_ref=f"user:{user.pk}", detail={"demo": True})
    return user


def _bulk(rows: Sequence[models.Model]) -> None:
    """Bulk-create `rows`, model by model in the order each model first appears."""
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    for model, objs in by_model.items():
        model._default_manager.bulk_create(objs, batch_size=BATCH_ROWS)


def _store_diary_batch(entries: list[DiaryEntry], taken: list[AcuteMedicationTaken]) -> None:
    DiaryEntry.objects.bulk_create(entries)
    if entries and entries[0].pk is None:  # a backend that does not return ids
        rows = DiaryEntry.objects.filter(patient__in={e.patient_id for e in entries})
        ids = {(pid, date): pk for pid, date, pk in rows.values_list("patient_id", "date", "pk")}
        for entry in entries:
            entry.pk = ids[(entry.patient_id, entry.date)]
    AcuteMedicationTaken.objects.bulk_create(taken, batch_size=BATCH_ROWS)


@transaction.atomic
def store_cohort_history(
    *,
    history: Sequence[models.Model],
    sessions: Sequence[Session],
    adverse_events: Sequence[AdverseEvent],
    diary: Iterable[DiaryBatch],
    audit: Sequence[tuple[Patient, dict[str, Any]]],
) -> int:
    """Write a generated cohort's history (unsaved rows of patients already created):
    medical history, sessions, adverse events (whose sessions are among `sessions`), then
    the diary batch by batch (`diary` may be a generator: each batch is asked for when the
    one before is written). Audited by one `import` row per patient of `audit`, with its
    detail (the seed and counts: never patient data). Returns the diary days written."""
    _bulk(history)
    Session.objects.bulk_create(sessions, batch_size=BATCH_ROWS)
    AdverseEvent.objects.bulk_create(adverse_events, batch_size=BATCH_ROWS)
    days = 0
    for entries, taken in diary:
        _store_diary_batch(entries, taken)
        days += len(entries)
    record_many(
        {
            "action": "import",
            "category": "demo",
            "patient": patient,
            "object_ref": f"patient:{patient.pk}",
            "detail": detail,
        }
        for patient, detail in audit
    )
    return days


@transaction.atomic
def shift_sessions(patient: Patient, days: int) -> None:
    """Move a demo patient's sessions (and the adverse events dated from them) by `days`,
    so the demo has a patient due this week and one overdue."""
    if not days:
        return
    delta = dt.timedelta(days=days)
    sessions = list(Session.objects.filter(patient=patient))
    for row in sessions:
        row.date += delta
    Session.objects.bulk_update(sessions, ["date"])
    events = list(AdverseEvent.objects.filter(patient=patient))
    for event in events:
        event.onset += delta
        if event.resolved_on is not None:
            event.resolved_on += delta
    AdverseEvent.objects.bulk_update(events, ["onset", "resolved_on"])
    record(
        action="update",
        category="demo",
        patient=patient,
        object_ref=f"patient:{patient.pk}",
        detail={"shifted_days": days, "sessions": len(sessions)},
    )
