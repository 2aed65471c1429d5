"""Everything exported about one patient, loaded up front in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from cephalog.diary.models import AcuteMedicationTaken, Attack, DiaryEntry
from cephalog.diary.queries import to_day
from cephalog.domain.diary import DiaryDay
from cephalog.interop.fhir.values import _optional
from cephalog.patients.models import Patient
from cephalog.treatment.queries.diagnosis import chronic_migraine_established


@dataclass
class PatientRecord:
    """Everything exported about one patient, loaded up front (a fixed number of queries)."""

    patient: Patient
    entries: list[DiaryEntry]
    attacks: list[Attack]
    sessions: list[Any]
    adverse_events: list[Any] = field(default_factory=list)
    checkins: list[Any] = field(default_factory=list)
    questionnaires: list[Any] = field(default_factory=list)
    bridging: list[Any] = field(default_factory=list)
    appointments: list[Any] = field(default_factory=list)
    users: dict[int, Any] = field(default_factory=dict)
    #: The clinic has established the chronic migraine (treatment.queries.diagnosis).
    diagnosed: bool = False

    @property
    def days(self) -> dict[dt.date, DiaryDay]:
        return {e.date: to_day(e) for e in self.entries}


def load_record(patient: Patient) -> PatientRecord:
    from cephalog.accounts.models import User
    from cephalog.treatment.models import Session

    medications = Prefetch("medications", queryset=AcuteMedicationTaken.objects.order_by("id"))
    record = PatientRecord(
        patient=patient,
        entries=list(
            DiaryEntry.objects.filter(patient=patient)
            .prefetch_related(medications)
            .order_by("date")
        ),
        attacks=list(Attack.objects.filter(patient=patient).order_by("start")),
        sessions=list(
            Session.objects.filter(patient=patient)
            .prefetch_related("sites", "vials", "addenda")
            .order_by("date", "id")
        ),
    )
    if _optional("cephalog.safety"):
        from cephalog.safety.models import AdverseEvent, CheckIn

        record.adverse_events = list(
            AdverseEvent.objects.filter(patient=patient).order_by("onset", "id")
        )
        record.checkins = list(
            CheckIn.objects.filter(patient=patient).order_by("submitted_at", "id")
        )
    if _optional("cephalog.outcomes"):
        from cephalog.outcomes.models import BridgingTreatment, QuestionnaireResponse

        record.questionnaires = list(
            QuestionnaireResponse.objects.filter(patient=patient).order_by(
                "completed_on", "instrument"
            )
        )
        record.bridging = list(
            # A withdrawn entry was a mistake: not part of the patient's record.
            BridgingTreatment.objects.current().filter(patient=patient).order_by("date", "id")
        )
    if _optional("cephalog.scheduling"):
        from cephalog.scheduling.models import Appointment

        record.appointments = list(
            Appointment.objects.filter(patient=patient).order_by("date", "id")
        )
    named: set[int | None] = set()
    for s in record.sessions:
        named |= {s.injector_id, s.signed_by_id} | {a.author_id for a in s.addenda.all()}
    named |= {getattr(e, "recorded_by_id", None) for e in record.adverse_events}
    named |= {q.entered_by_id for q in record.questionnaires}
    user_ids = {pk for pk in named if pk is not None}
    if user_ids:
        record.users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    record.diagnosed = chronic_migraine_established(patient)
    return record
