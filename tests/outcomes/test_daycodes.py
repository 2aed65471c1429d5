"""The day codes (`DiaryYearCodes`) kept in step with the diary, and the registry cohort table
read from them: equal to the cohort table computed from the diary rows themselves, before and
after days are added, changed and deleted, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
import time_machine as clock
from django.core.management import CommandError, call_command
from django.db import transaction

from cephalog.analytics.cohort import cohort_table
from cephalog.audit.models import AuditEvent
from cephalog.demo.load import load_demo
from cephalog.diary.actions import delete_day, save_day
from cephalog.domain.rulesets import LEGACY, STANDARD_2, DayDefinition, Rules
from cephalog.outcomes import daycodes
from cephalog.outcomes.dashboard import load_frames
from cephalog.outcomes.models import DiaryYearCodes
from tests.personas import make_cast

TODAY = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """The demo, loaded once for the module (every test here uses it) inside a transaction
    rolled back at the end; each test runs in a savepoint of it (pytest-django's db), so
    what a test writes is undone before the next one starts."""
    with django_db_blocker.unblock(), transaction.atomic():
        with clock.travel(NOW, tick=False):
            result = load_demo(n_patients=12, seed=3, today=TODAY)
        try:
            yield result
        finally:
            transaction.set_rollback(True)


@pytest.fixture
def demo(loaded: Any, db: None, time_machine: Any) -> Any:
    time_machine.move_to(NOW, tick=False)
    loaded.clinic.refresh_from_db()
    return loaded


def from_rows(clinic_ids: list[int], rules: Rules = LEGACY) -> pl.DataFrame:
    frames = load_frames(clinic_ids, TODAY)
    return cohort_table(frames.diary, frames.sessions, frames.patients, TODAY, rules)


def assert_same(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    got = got.sort("patient", "cycle")
    expected = expected.sort("patient", "cycle").select(got.columns)
    assert got.height == expected.height
    for g, e in zip(got.to_dicts(), expected.to_dicts(), strict=True):
        assert g == e


@pytest.mark.parametrize(
    "rules",
    [LEGACY, Rules(STANDARD_2, DayDefinition.LABEL), Rules(STANDARD_2, DayDefinition.ICHD3)],
    ids=["standard-1", "standard-2-label", "standard-2-ichd3"],
)
def test_the_table_from_day_codes_equals_the_table_from_diary_rows(demo: Any, rules: Rules) -> None:
    clinic = [demo.clinic.pk]
    table = daycodes.cohort_table(clinic, TODAY, rules)
    assert table["patient"].n_unique() == 12
    assert table.filter(pl.col("cycle") >= 1).height > 0
    assert set(table["ruleset"]) == {rules.ruleset.name}
    assert_same(table, from_rows(clinic, rules))


def test_changes_and_deletions_reach_the_table(demo: Any, time_machine: Any) -> None:
    clinic = [demo.clinic.pk]
    time_machine.move_to(NOW + dt.timedelta(hours=1), tick=False)
    daycodes.refresh()
    time_machine.move_to(NOW + dt.timedelta(hours=2), tick=False)
    patient = demo.clinic.patients.order_by("id").first()
    staff = demo.clinic.memberships.get(role="nurse").user
    entry = patient.diary_entries.order_by("-date")[5]
    save_day(
        patient=patient,
        data={
            "date": entry.date.isoformat(),
            "headache_hours": 9,
            "peak_intensity": "severe",
            "nausea": True,
            "unilateral": True,
            "pulsating": True,
        },
        by=staff,
        today=TODAY,
        reason="corrected by phone",
    )
    result = daycodes.refresh()
    assert (result.years, result.full) == (1, False)
    assert_same(daycodes.cohort_table(clinic, TODAY), from_rows(clinic))

    time_machine.move_to(NOW + dt.timedelta(hours=3), tick=False)
    delete_day(patient=patient, date=entry.date, by=staff, reason="entered twice", today=TODAY)
    assert_same(daycodes.cohort_table(clinic, TODAY), from_rows(clinic))
    assert daycodes.refresh().years == 1  # within the overlap the year is simply redone
    time_machine.move_to(NOW + dt.timedelta(hours=4), tick=False)
    daycodes.refresh()  # the last look back over the deletion
    time_machine.move_to(NOW + dt.timedelta(hours=5), tick=False)
    assert daycodes.refresh().years == 0


def test_a_full_rebuild_equals_the_incremental_codes(demo: Any) -> None:
    daycodes.refresh()
    before = {(r.patient_id, r.year): bytes(r.codes) for r in DiaryYearCodes.objects.all()}
    result = daycodes.refresh(full=True)
    after = {(r.patient_id, r.year): bytes(r.codes) for r in DiaryYearCodes.objects.all()}
    assert result.full
    assert result.years == len(after) > 0
    assert before == after


def test_other_clinics_are_not_read(demo: Any) -> None:
    cast = make_cast()
    save_day(
        patient=cast.other_clinic_patient,
        data={"date": TODAY.isoformat(), "headache_hours": 2, "peak_intensity": "mild"},
        by=cast.other_physician,
        today=TODAY,
    )
    daycodes.refresh()
    ids, grid = daycodes.read_grid([demo.clinic.pk])
    assert set(ids) == set(demo.clinic.patients.values_list("id", flat=True))
    assert grid.n_patients == 12
    everyone, _ = daycodes.read_grid()
    assert cast.other_clinic_patient.pk in everyone


def test_the_commands(demo: Any, tmp_path: Any) -> None:
    out = io.StringIO()
    call_command("analytics-refresh", "--full", stdout=out)
    assert "Rebuilt" in out.getvalue()
    target = tmp_path / "cohort.csv"
    call_command(
        "cohort-table",
        "--clinic",
        demo.clinic.slug,
        "--out",
        str(target),
        "--today",
        TODAY.isoformat(),
        stdout=out,
    )
    written = pl.read_csv(target, try_parse_dates=True)
    assert written.height == daycodes.cohort_table([demo.clinic.pk], TODAY).height
    assert "mrn" not in written.columns
    assert "family_name" not in written.columns
    assert AuditEvent.objects.filter(action="cohort_table_export").exists()
    with pytest.raises(CommandError, match="no clinic"):
        call_command("cohort-table", "--clinic", "nowhere", "--out", str(target))
    with pytest.raises(CommandError, match="csv or .parquet"):
        call_command("cohort-table", "--out", str(tmp_path / "x.xlsx"))
