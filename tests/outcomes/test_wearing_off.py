"""Wearing-off on the outcomes page: weekly headache days of every cycle overlaid (SVG chart with a
table fallback), the estimate sentence, and bridging treatments recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from cephalog.domain.diary import DiaryDay
from cephalog.outcomes import actions
from cephalog.outcomes.queries import weekly_headache_days
from tests.outcomes.helpers import FIRST_SESSION, SECOND_SESSION, TODAY, write_history
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def wearing(cast: Cast, time_machine: Any) -> Cast:
    time_machine.move_to(NOW, tick=False)
    write_history(cast.patient, cycles=((10, 8, 16), (8, 6, 14)))
    return cast


def test_weeks_are_counted_from_the_injection_and_scaled_over_gaps() -> None:
    start = dt.date(2026, 1, 5)
    days = {
        start + dt.timedelta(days=i): DiaryDay(start + dt.timedelta(days=i), 5.0, "severe")
        for i in range(7 * 13)
        if i % 7 != 6 and not 14 <= i < 21  # Sundays missing; week 3 empty
    }
    curves = weekly_headache_days(days, [start, start + dt.timedelta(days=70)], TODAY)
    first, second = curves
    assert len(first) == 10  # reinjected on day 70: weeks 1-10 only
    assert first[0] == 7.0  # 6 of 6 recorded days, scaled to 7
    assert first[2] is None  # no day recorded
    # still running on TODAY (8 full weeks since 16 Mar); the diary stops after week 3
    assert len(second) == 8
    assert second[2] == 7.0
    assert second[3] is None


def test_the_chart_the_table_and_the_estimate(wearing: Cast) -> None:
    html = (
        client_for(wearing, "nurse")
        .get(f"/clinic/patients/{wearing.patient.pk}/outcomes/")
        .content.decode()
    )
    assert '<svg class="chart line-chart"' in html
    for text in ("Cycle 1", "Cycle 2", "Median", "wears off from week 9", "W12"):
        assert text in html, text
    assert "Usually wears off from week 9 after the injection" in html
    assert "Treated level:" in html
    assert "The patient is told: “Your treatment usually starts wearing off around week 9.”" in html


def test_bridging_treatments_are_recorded(wearing: Cast) -> None:
    actions.record_bridging(
        patient=wearing.patient,
        by=wearing.physician,
        date=SECOND_SESSION + dt.timedelta(days=70),
        kind="nerve_block",
        notes="Greater occipital nerve block, left",
    )
    with pytest.raises(ValidationError, match="Say what was given"):
        actions.record_bridging(
            patient=wearing.patient, by=wearing.nurse, date=FIRST_SESSION, kind="other"
        )
    with pytest.raises(ValidationError, match="future"):
        actions.record_bridging(
            patient=wearing.patient,
            by=wearing.nurse,
            date=TODAY + dt.timedelta(days=1),
            kind="ketorolac",
        )
    html = (
        client_for(wearing, "nurse")
        .get(f"/clinic/patients/{wearing.patient.pk}/outcomes/")
        .content.decode()
    )
    assert "Greater occipital nerve block, left" in html
    summary = (
        client_for(wearing, "nurse")
        .get(f"/clinic/patients/{wearing.patient.pk}/cycle-summary/")
        .content.decode()
    )
    assert "Bridging: Nerve block" in summary
