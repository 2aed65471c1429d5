"""The diary table carries no index the unique (patient, date) index already provides
(issue 19.2: every index costs the bulk import and every save)."""

from __future__ import annotations

import pytest
from django.db import connection

from cephalog.diary.models import DiaryEntry


@pytest.mark.django_db
def test_no_single_column_patient_index_beside_the_unique_patient_date_index() -> None:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, DiaryEntry._meta.db_table)
    indexed = {tuple(c["columns"]) for c in found.values() if c["index"] or c["unique"]}
    assert ("patient_id", "date") in indexed
    assert ("patient_id",) not in indexed
