"""CSV export of the diary: round trip, formula guard, access and audit (issue 3, part 6)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import time_machine
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.diary.actions import entry_to_dict, save_day
from cephalog.diary.exports import attacks_csv, days_csv
from cephalog.diary.imports import import_cephalog_csv, import_migraine_buddy_csv
from cephalog.diary.models import DiaryEntry
from cephalog.domain.importing import ATTACKS_HEADER, DAYS_HEADER
from cephalog.patients.models import Patient
from tests.personas import ALL_PERSONAS, STAFF, Cast, assert_refused, client_for

TODAY = dt.date(2026, 3, 20)
FIXTURE = Path(__file__).parent / "fixtures" / "migraine_buddy_export.csv"


def days(patient: Patient) -> list[dict[str, object]]:
    entries = DiaryEntry.objects.filter(patient=patient).prefetch_related("medications")
    return [entry_to_dict(e) for e in entries.order_by("date")]


def fill(cast: Cast) -> None:
    import_migraine_buddy_csv(cast.patient, FIXTURE.read_bytes(), cast.nurse, today=TODAY)
    save_day(
        patient=cast.patient,
        data={
            "date": "2026-03-16",
            "headache_hours": 7.33,
            "peak_intensity": "moderate",
            "aggravated_by_activity": True,
            "vomiting": True,
            "aura_minutes": 35,
            "acute_medications": [
                {"name": "=cmd|' /C calc'!A0", "class": "other", "effective": None},
                {"name": "a;b:c", "class": "ergot", "effective": False},
                {"class": "gepant", "effective": True},
            ],
        },
        by=cast.nurse,
        today=TODAY,
    )


def test_it_exports_days_that_import_back_identically(cast: Cast) -> None:
    fill(cast)
    text = days_csv(cast.patient)
    result = import_cephalog_csv(cast.other_patient, text.encode(), cast.nurse, today=TODAY)
    assert result.ok, result.problems
    assert result.days.created == 9
    assert days(cast.other_patient) == days(cast.patient)
    again = import_cephalog_csv(cast.other_patient, text.encode(), cast.nurse, today=TODAY)
    assert again.days.unchanged == 9


def test_it_exports_raw_facts_and_derived_flags_one_row_per_date(cast: Cast) -> None:
    fill(cast)
    table = list(csv.reader(io.StringIO(days_csv(cast.patient))))
    assert tuple(table[0]) == DAYS_HEADER
    by_date = {row[0]: dict(zip(DAYS_HEADER, row, strict=True)) for row in table[1:]}
    assert len(by_date) == len(table) - 1 == 9
    day = by_date["2026-03-02"]
    assert day["acute_medications"] == "Sumatriptan 50mg:triptan:yes"
    assert (day["headache_day"], day["migraine_day"], day["moderate_severe_day"]) == (
        "true",
        "true",
        "true",
    )
    assert day["reasons"].startswith("migraine: 3 pain features")
    assert by_date["2026-03-12"]["headache_free"] == "true"
    assert by_date["2026-03-16"]["acute_medication_classes"] == "ergot;gepant;other"


def test_it_guards_exported_cells_against_formula_injection(cast: Cast) -> None:
    fill(cast)
    table = list(csv.reader(io.StringIO(days_csv(cast.patient))))
    medicines = [row[DAYS_HEADER.index("acute_medications")] for row in table[1:]]
    assert "'=cmd|' /C calc'!A0:other:unknown;a%3Bb%3Ac:ergot:no;gepant:gepant:yes" in medicines
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)
    attacks = list(csv.reader(io.StringIO(attacks_csv(cast.patient))))
    assert tuple(attacks[0]) == ATTACKS_HEADER
    notes = [row[ATTACKS_HEADER.index("notes")] for row in attacks[1:]]
    assert '\'=HYPERLINK("http://example.org")' in notes


def test_it_exports_attacks_with_local_times_and_hours_per_date(cast: Cast) -> None:
    fill(cast)
    rows = list(csv.DictReader(io.StringIO(attacks_csv(cast.patient))))
    crossing = next(r for r in rows if r["external_id"] == "mb:102")
    assert crossing["start"] == "2026-03-04T22:00:00+00:00"
    assert crossing["hours_by_date"] == "2026-03-04=2;2026-03-05=2"
    assert crossing["duration_minutes"] == "240"
    result = import_cephalog_csv(
        cast.other_patient, attacks_csv(cast.patient).encode(), cast.nurse, today=TODAY
    )
    assert result.ok
    assert result.attacks.created == 6


@time_machine.travel(dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC), tick=False)
def test_it_serves_the_downloads_to_the_patient_and_their_clinic_only(cast: Cast) -> None:
    fill(cast)
    mine = client_for(cast, "patient_user").get(reverse("diary-io-days"))
    assert mine.status_code == 200
    assert mine["Content-Type"] == "text/csv; charset=utf-8"
    assert mine["Content-Disposition"] == 'attachment; filename="cephalog-days-2026-03-20.csv"'
    assert mine.content.decode().startswith("date,headache_hours,")
    attacks = client_for(cast, "patient_user").get(reverse("diary-io-attacks"))
    assert attacks.content.decode().startswith("start,end,")
    for persona in STAFF:
        url = reverse("clinic-diary-io-days", args=[cast.patient.pk])
        response = client_for(cast, persona).get(url)
        assert response.status_code == 200, persona
        assert "2026-03-02" in response.content.decode()
    refused = [p for p in ALL_PERSONAS if p not in STAFF]
    for name in ("clinic-diary-io-days", "clinic-diary-io-attacks"):
        assert_refused(cast, reverse(name, args=[cast.patient.pk]), refused, secrets=["2026-03-02"])
    # The other patient downloads their own (empty) diary, never Ada's.
    other = client_for(cast, "other_patient_user").get(reverse("diary-io-days"))
    assert other.content.decode().count("\r\n") == 1
    assert_refused(cast, reverse("diary-io-days"), ["anonymous", *STAFF])


def test_it_audits_every_export(cast: Cast) -> None:
    client_for(cast, "patient_user").get(reverse("diary-io-days"))
    client_for(cast, "nurse").get(reverse("clinic-diary-io-attacks", args=[cast.patient.pk]))
    events = AuditEvent.objects.filter(action="export", category="diary").order_by("id")
    assert [(e.username, e.object_ref, str(e.patient_id)) for e in events] == [
        ("ada", "diary-export:days", str(cast.patient.pk)),
        ("nurse-joy", "diary-export:attacks", str(cast.patient.pk)),
    ]
