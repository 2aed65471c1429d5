"""The consultation record moved from the patients app to eligibility (migrations
eligibility 0003, patients 0004) without a table dropped or copied: rows written before
the move are read by the moved models after it, with the same ids."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from cephalog.eligibility.models import Allergy, Condition, Medication, Preventive, ToxinExposure
from tests.migrating import migrated_back, sql_of
from tests.personas import Cast

BEFORE = [
    ("eligibility", "0002_clinic_ruleset"),
    ("patients", "0003_contact_details_and_email_change"),
]
MOVED = (Preventive, Medication, Condition, Allergy, ToxinExposure)


def _rows(patient_id: object) -> dict[str, list[tuple[object, ...]]]:
    """Each moved model's rows for the patient, as plain values (ids included)."""
    return {
        "Preventive": list(
            Preventive.objects.filter(patient_id=patient_id).values_list(
                "id", "name", "drug_class", "dose", "start", "stop", "outcome"
            )
        ),
        "Medication": list(
            Medication.objects.filter(patient_id=patient_id).values_list(
                "id", "name", "drug_class", "start", "stop"
            )
        ),
        "Condition": list(
            Condition.objects.filter(patient_id=patient_id).values_list(
                "id", "code", "noted_on", "resolved_on"
            )
        ),
        "Allergy": list(
            Allergy.objects.filter(patient_id=patient_id).values_list("id", "code", "reaction")
        ),
        "ToxinExposure": list(
            ToxinExposure.objects.filter(patient_id=patient_id).values_list(
                "id", "date", "product", "units", "indication"
            )
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_after_it(cast: Cast) -> None:
    patient_id = cast.patient.pk
    tables = set(connection.introspection.table_names())
    content_types = {m.__name__: ContentType.objects.get_for_model(m).pk for m in MOVED}
    with migrated_back(BEFORE) as old:
        with pytest.raises(LookupError):
            old.get_model("eligibility", "Preventive")  # the models were the patients app's
        history = {name: old.get_model("patients", name) for name in content_types}
        written = {
            "Preventive": history["Preventive"].objects.create(
                patient_id=patient_id,
                name="Topiramate",
                drug_class="antiepileptic",
                dose="50 mg twice daily",
                start=dt.date(2024, 1, 10),
                stop=dt.date(2024, 4, 2),
                outcome="intolerance",
            ),
            "Medication": history["Medication"].objects.create(
                patient_id=patient_id, name="Gentamicin", drug_class="aminoglycoside"
            ),
            "Condition": history["Condition"].objects.create(
                patient_id=patient_id, code="dysphagia", noted_on=dt.date(2023, 5, 1)
            ),
            "Allergy": history["Allergy"].objects.create(
                patient_id=patient_id, code="botulinum_toxin", reaction="rash"
            ),
            "ToxinExposure": history["ToxinExposure"].objects.create(
                patient_id=patient_id,
                date=dt.date(2024, 6, 1),
                product="Dysport",
                units=500,
                indication="spasticity",
            ),
        }
        old_types = old.get_model("contenttypes", "ContentType").objects
        assert {
            name: old_types.get(app_label="patients", model=name.lower()).pk
            for name in content_types
        } == content_types  # migrated back, the content types are the patients app's again

    rows = _rows(patient_id)
    assert {name: [row[0] for row in found] for name, found in rows.items()} == {
        name: [row.pk] for name, row in written.items()
    }
    assert rows["Preventive"][0][1:] == (
        "Topiramate",
        "antiepileptic",
        "50 mg twice daily",
        dt.date(2024, 1, 10),
        dt.date(2024, 4, 2),
        "intolerance",
    )
    assert rows["Medication"][0][1:] == ("Gentamicin", "aminoglycoside", None, None)
    assert rows["Condition"][0][1:] == ("dysphagia", dt.date(2023, 5, 1), None)
    assert rows["Allergy"][0][1:] == ("botulinum_toxin", "rash")
    assert rows["ToxinExposure"][0][1:] == (dt.date(2024, 6, 1), "Dysport", 500, "spasticity")
    assert set(connection.introspection.table_names()) == tables
    # The content types (the admin's history, permissions) keep their ids, now eligibility's.
    assert {m.__name__: ContentType.objects.get_for_model(m).pk for m in MOVED} == content_types
    assert all(ContentType.objects.get_for_model(m).app_label == "eligibility" for m in MOVED)


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses inside a transaction
def test_the_move_runs_no_sql() -> None:
    """Neither migration touches a table: no DROP, no CREATE, no copy."""
    assert sql_of("eligibility", "0003_consultation_record") == []
    assert sql_of("patients", "0004_consultation_record_to_eligibility") == []


def test_the_moved_models_keep_their_tables() -> None:
    assert [m._meta.db_table for m in MOVED] == [
        "patients_preventive",
        "patients_medication",
        "patients_condition",
        "patients_allergy",
        "patients_toxinexposure",
    ]
