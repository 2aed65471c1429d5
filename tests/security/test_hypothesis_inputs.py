"""Hypothesis: whatever is posted to the diary form or uploaded as a CSV, the answer is a
page (saved, or the problems listed), never a server error; a refused input stores nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cephalog.diary.models import DiaryEntry
from tests.personas import Cast, client_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
numberish = st.one_of(
    text,
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "0", "24", "24.01", "-0", "1e3", "0x10", "½", "٣"]),
)
form_data = st.fixed_dictionaries(
    {
        "headache_hours": numberish,
        "peak_intensity": st.one_of(st.sampled_from(["mild", "moderate", "severe", ""]), text),
        "aura_minutes": numberish,
        "nausea": st.sampled_from(["on", "", "yes", "0"]),
        "version": st.one_of(st.sampled_from(["", "0", "1", "-1", "x"]), numberish),
        "med-TOTAL_FORMS": st.sampled_from(["0", "1", "3", "21", "-1", "x", "1000"]),
        "med-INITIAL_FORMS": st.sampled_from(["0", "1", "x"]),
        "med-0-name": text,
        "med-0-drug_class": st.one_of(st.sampled_from(["triptan", "other", ""]), text),
        "med-0-effective": st.one_of(st.sampled_from(["yes", "no", "unsure"]), text),
    }
)


@FUZZ
@given(data=form_data)
def test_the_diary_form_answers_every_post_with_a_page(cast: Cast, data: dict[str, str]) -> None:
    with time_machine.travel(NOW, tick=False):
        client = client_for(cast, "nurse")
        client.raise_request_exception = False
        before = DiaryEntry.objects.filter(patient=cast.patient).count()
        response = client.post(
            f"/clinic/patients/{cast.patient.pk}/diary/2026-03-18/", {**data, "reason": "test"}
        )
        assert response.status_code in (200, 302, 400), response.status_code
        if response.status_code != 302:
            assert DiaryEntry.objects.filter(patient=cast.patient).count() == before


csv_cell = st.one_of(
    text,
    st.sampled_from(["2026-03-18", "2026-03-17", "9999-12-31", "", "mild", "severe", "7", "1h"]),
)
csv_text = st.lists(st.lists(csv_cell, min_size=1, max_size=6), max_size=8).map(
    lambda rows: "\n".join(",".join(row) for row in rows)
)
headers = st.sampled_from(
    [
        "date,headache_hours,peak_intensity",
        "Id,Started,Lasted,Pain Level,Medication",
        "start,end,peak_intensity",
        "",
    ]
)


@FUZZ
@given(header=headers, body=csv_text, kind=st.sampled_from(["cephalog", "migraine_buddy"]))
def test_the_csv_import_answers_every_file_with_a_page(
    cast: Cast, header: str, body: str, kind: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        client = client_for(cast, "nurse")
        client.raise_request_exception = False
        before = DiaryEntry.objects.filter(patient=cast.patient).count()
        content = (header + "\n" + body).encode("utf-8", "surrogatepass")
        response = client.post(
            reverse("clinic-diary-io-import", args=[cast.patient.pk]),
            {"kind": kind, "file": SimpleUploadedFile("f.csv", content, "text/csv")},
        )
        assert response.status_code == 200, response.status_code
        page = response.content.decode()
        if "problem" in page.lower() and "Imported" not in page:
            assert DiaryEntry.objects.filter(patient=cast.patient).count() == before
