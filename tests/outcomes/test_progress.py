"""The patient's progress page: 4-weekly headache days against the baseline with sessions
marked (chart and table), % change, what to expect next, and how long the treatment lasts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cephalog.outcomes.queries import progress
from tests.outcomes.helpers import SECOND_SESSION, TODAY, write_history
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 18, 0, tzinfo=dt.UTC)
#: 20 headache days per 28 before; wears off in weeks 9-12 of both cycles.
WEARS_OFF = ((10, 8, 16), (8, 6, 14))


@pytest.fixture
def treated(cast: Cast, time_machine: Any) -> Cast:
    time_machine.move_to(NOW, tick=False)
    write_history(cast.patient, cycles=WEARS_OFF)
    return cast


def test_it_compares_the_last_4_weeks_with_the_baseline(treated: Cast) -> None:
    data = progress(treated.patient, TODAY)
    assert data.baseline is not None
    assert data.baseline.per_28 == 20.0
    assert data.latest is not None
    assert data.latest.per_28 == 14.0
    assert data.change_pct == 30.0
    assert [p.end for p in data.periods][-1] == TODAY
    assert sum(1 for p in data.periods if p.sessions) == 2
    assert data.wearing_off.week == 9
    assert data.wearing_off_date == SECOND_SESSION + dt.timedelta(weeks=8)


def test_the_page_in_plain_words(treated: Cast) -> None:
    html = client_for(treated, "patient_user").get("/me/progress/").content.decode()
    assert "30% fewer" in html
    assert "In the last 4 weeks you had about 14 headache days" in html
    assert "before your first treatment you had about 20" in html
    assert "How long does Botox last for me?" in html
    assert "Your treatment usually starts wearing off around week 9." in html
    assert "about 8 weeks after each treatment" in html
    assert "▲ treatment" in html
    assert '<svg class="chart bar-chart"' in html
    assert "Get emergency help straight away" in html  # what to expect ends with the warning


def test_before_treatment_it_explains_the_baseline(cast: Cast, time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)
    write_history(cast.patient, sessions=(), start=TODAY - dt.timedelta(days=20))
    html = client_for(cast, "patient_user").get("/me/progress/").content.decode()
    assert "Before your first treatment, your diary shows how often" in html
    assert "not enough diary data yet" in html
