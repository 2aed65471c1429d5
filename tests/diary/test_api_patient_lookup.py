"""The diary API reads the patient of a request once, narrowly: a lookup by the unique
user id without ORDER BY (the model's name ordering sorted it) and only the columns it
uses (issue 19.1)."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.personas import Cast


def test_one_narrow_unsorted_patient_query_per_request(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.patient_user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/me/diary").status_code == 200
    patient_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "patients_patient"' in q["sql"]
    ]
    assert len(patient_reads) == 1
    sql = patient_reads[0]
    assert "ORDER BY" not in sql
    assert "LIMIT" not in sql
    assert '"patients_patient"."given_name"' not in sql  # names and the rest not read
    assert '"patients_patient"."time_zone"' in sql


def test_own_patient_reads_what_the_orm_reads(cast: Cast) -> None:
    """The written-out statement (PostgreSQL) and the ORM's (elsewhere) give the same
    patient: its ids, time zone and clinic's backfill window; nothing for a non-patient."""
    from cephalog.patients.queries import own_patient

    found = own_patient(cast.patient_user.pk)
    assert found is not None
    assert found.pk == cast.patient.pk
    assert found.clinic_id == cast.patient.clinic_id
    assert found.user_id == cast.patient_user.pk
    assert found.time_zone == cast.patient.time_zone
    with CaptureQueriesContext(connection) as queries:
        assert found.clinic.backfill_days == cast.patient.clinic.backfill_days
    assert len(queries) == 0  # the clinic came with it
    assert own_patient(cast.physician.pk) is None
