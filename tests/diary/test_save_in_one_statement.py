"""save_day in one statement on PostgreSQL (diary.actions.stored.save_in_one_statement,
issue 19): the rows it stores must be exactly the step-by-step save's (`_locked_day` then
`_store_day`, the way every other database saves), payload for payload, down to the JSON
text of the kept revisions. Elsewhere both sides are the step-by-step save."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cephalog.audit.models import AuditEvent
from cephalog.diary.actions import DiaryConflict, DiaryError, save_day
from cephalog.diary.actions.checks import read_details, validate_day
from cephalog.diary.actions.day import _locked_day, _store_day
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, DiaryEntryRevision
from cephalog.patients.models import Patient
from tests.personas import Cast

TODAY = dt.date(2026, 3, 20)
DAY = "2026-03-18"
TRIPTAN = {"name": "Sumatriptan", "class": "triptan", "effective": True}
IBUPROFEN = {"name": "Ibuprofen", "class": "simple_analgesic", "effective": None}
OTHER = {"class": "other", "effective": False}

#: One day saved again and again: each step's (payload, staff editor, reason).
STEPS: list[tuple[dict[str, Any], bool, str]] = [
    (
        {
            "headache_hours": 6.5,
            "peak_intensity": "severe",
            "nausea": True,
            "notes": "  first  ",
            "pain_locations": ["temples", "forehead"],
            "triggers": ["stress"],
            "acute_medications": [TRIPTAN, IBUPROFEN],
        },
        False,
        "",
    ),
    ({"headache_hours": 3, "peak_intensity": "mild", "photophobia": True}, False, ""),
    (
        {"headache_hours": 0.25, "peak_intensity": "moderate", "acute_medications": [OTHER]},
        False,
        "",
    ),
    ({"headache_hours": 0, "pain_locations": ["neck"], "notes": ""}, False, ""),
    (
        {
            "headache_hours": 24,
            "peak_intensity": "severe",
            "aura_minutes": 45,
            "unilateral": True,
            "pulsating": True,
            "aggravated_by_activity": True,
            "vomiting": True,
            "phonophobia": True,
            "triggers": [],
            "pain_locations": ["whole"],
            "acute_medications": [IBUPROFEN, TRIPTAN, OTHER],
        },
        True,
        "the patient called " + "x" * 400,
    ),
    ({"headache_hours": 23.999, "peak_intensity": "mild", "notes": "n" * 2000}, False, ""),
    ({"headache_hours": 0.1, "peak_intensity": "mild", "acute_medications": []}, True, "typo"),
]


def _reference_save(patient: Patient, data: dict[str, Any], by: Any, reason: str) -> DiaryEntry:
    """The step-by-step save that save_day ran before (and still runs on SQLite)."""
    day, details = validate_day(data), read_details(data)
    with transaction.atomic():
        existing = _locked_day(patient, day.date)
        return _store_day(
            patient, day, details, existing, by=by, today=TODAY, reason=reason, source="patient"
        )


def _rows(patient: Patient) -> dict[str, Any]:
    """Everything stored about the patient's day but ids, patient and times."""
    entry = DiaryEntry.objects.get(patient=patient, date=DAY)
    skip = {"id", "patient", "created_at", "updated_at"}
    with connection.cursor() as cursor:  # the revisions' JSON as the database keeps it
        cursor.execute(
            f"SELECT version, CAST(snapshot AS text), changed_by_id IS NOT NULL, change, reason "
            f"FROM {DiaryEntryRevision._meta.db_table} WHERE patient_id = %s AND date = %s "
            "ORDER BY id",
            [
                DiaryEntryRevision._meta.get_field("patient").get_db_prep_value(
                    patient.pk, connection
                ),
                DAY,
            ],
        )
        revisions = cursor.fetchall()
    return {
        "entry": {
            f.name: getattr(entry, f.attname)
            for f in DiaryEntry._meta.concrete_fields
            if f.name not in skip
        },
        "created_before_updated": entry.created_at <= entry.updated_at,
        "revisions": revisions,
        "medicines": list(
            AcuteMedicationTaken.objects.filter(entry=entry)
            .order_by("id")
            .values_list("name", "drug_class", "effective")
        ),
        "audit": list(
            AuditEvent.objects.filter(
                category="diary", object_ref=f"diary:{DAY}", patient_id=patient.pk
            )
            .order_by("id")
            .values_list("action", "detail")
        ),
    }


def _returned(entry: DiaryEntry) -> dict[str, Any]:
    values = {
        f.name: getattr(entry, f.attname)
        for f in DiaryEntry._meta.concrete_fields
        if f.name not in {"id", "patient", "created_at", "updated_at"}
    }
    with CaptureQueriesContext(connection) as queries:
        medicines = [(m.name, m.drug_class, m.effective) for m in entry.medications.all()]
        ids = [m.pk for m in entry.medications.all()]
    assert len(queries) == 0  # loaded with the entry
    stored = list(AcuteMedicationTaken.objects.filter(entry=entry).order_by("id"))
    assert ids == [m.pk for m in stored]
    assert entry.patient_id == entry.patient.pk
    return {**values, "medicines": medicines}


def test_each_save_stores_what_the_step_by_step_save_stores(cast: Cast) -> None:
    for data, by_staff, reason in STEPS:
        payload = {"date": DAY, **data}
        saved = save_day(
            patient=cast.patient,
            data=payload,
            by=cast.nurse if by_staff else cast.patient_user,
            today=TODAY,
            reason=reason,
        )
        reference = _reference_save(
            cast.other_patient,
            payload,
            cast.nurse if by_staff else cast.other_patient_user,
            reason,
        )
        assert _returned(saved) == _returned(reference), data
        assert _rows(cast.patient) == _rows(cast.other_patient), data
    assert DiaryEntry.objects.get(patient=cast.patient, date=DAY).version == len(STEPS)


def test_a_new_day_is_one_statement_and_an_update_too(cast: Cast) -> None:
    """Between BEGIN and COMMIT: the save and the audit row, nothing else."""
    if connection.vendor != "postgresql":
        pytest.skip("one statement: PostgreSQL")
    for version in (1, 2):
        with CaptureQueriesContext(connection) as queries:
            entry = save_day(
                patient=cast.patient,
                data={"date": DAY, **STEPS[0][0]},
                by=cast.patient_user,
                today=TODAY,
            )
        statements = [
            q["sql"]
            for q in queries.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
        ]
        statements = [s for s in statements if not s.startswith("PREPARE")]
        assert len(statements) == 2, statements
        assert statements[0].startswith("EXECUTE cephalog_diary_save_day")
        assert "cephalog_audit_append" in statements[1]
        assert entry.version == version


@pytest.mark.parametrize("stored", [False, True])
def test_a_conflict_writes_nothing_and_says_what_it_always_said(cast: Cast, stored: bool) -> None:
    data = {"date": DAY, **STEPS[1][0]}
    if stored:
        save_day(patient=cast.patient, data=data, by=cast.patient_user, today=TODAY)
    before = _counts(cast.patient)
    with pytest.raises(DiaryConflict) as raised:
        save_day(
            patient=cast.patient, data=data, by=cast.patient_user, today=TODAY, expected_version=5
        )
    assert raised.value.expected == 5
    if stored:
        assert raised.value.current is not None
        assert raised.value.current.version == 1
        assert "it is now version 1" in raised.value.problems[0]
    else:
        assert raised.value.current is None
        assert "removed by someone else" in raised.value.problems[0]
    assert _counts(cast.patient) == before


def test_refusals_keep_their_order_and_messages(cast: Cast) -> None:
    """A day too old for the patient and a stale version: the conflict is told first, as
    the step-by-step save tells it; a staff change without a reason is refused."""
    old = {"date": "2026-01-02", "headache_hours": 1, "peak_intensity": "mild"}
    save_day(patient=cast.patient, data=old, by=cast.nurse, today=TODAY)
    with pytest.raises(DiaryConflict):
        save_day(
            patient=cast.patient, data=old, by=cast.patient_user, today=TODAY, expected_version=3
        )
    with pytest.raises(DiaryError, match="are locked"):
        save_day(
            patient=cast.patient, data=old, by=cast.patient_user, today=TODAY, expected_version=1
        )
    with pytest.raises(DiaryError, match="say why"):
        save_day(patient=cast.patient, data=old, by=cast.nurse, today=TODAY)
    assert DiaryEntry.objects.get(patient=cast.patient, date="2026-01-02").version == 1


def test_a_value_the_model_refuses_is_refused_as_before(cast: Cast) -> None:
    """aura_minutes beyond the column (full_clean's bound on PostgreSQL): the same
    ValidationError as the step-by-step save, and nothing stored."""
    from django.core.exceptions import ValidationError

    data = {"date": DAY, "headache_hours": 1, "peak_intensity": "mild", "aura_minutes": 40000}

    def outcome(run: Any) -> Any:
        try:
            with transaction.atomic():
                run()
                transaction.set_rollback(True)
        except ValidationError as error:
            return error.message_dict
        return "saved"

    expected = outcome(
        lambda: _reference_save(cast.other_patient, data, cast.other_patient_user, "")
    )
    got = outcome(
        lambda: save_day(patient=cast.patient, data=data, by=cast.patient_user, today=TODAY)
    )
    assert got == expected
    if connection.vendor == "postgresql":
        assert got == {"aura_minutes": ["Ensure this value is less than or equal to 32767."]}
    assert not DiaryEntry.objects.filter(date=DAY).exists()


def _counts(patient: Patient) -> tuple[int, int, int, int]:
    return (
        DiaryEntry.objects.filter(patient=patient).count(),
        DiaryEntryRevision.objects.filter(patient=patient).count(),
        AcuteMedicationTaken.objects.filter(entry__patient=patient).count(),
        AuditEvent.objects.filter(category="diary").count(),
    )
