from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from tests.eligibility.helpers import load_case, noon_utc
from tests.personas import Cast


@pytest.fixture
def at(time_machine: pytest.FixtureRequest) -> Callable[[dt.date], None]:
    """Freeze the clock at noon UTC on a date (the same date in Europe/London)."""

    def _at(day: dt.date) -> None:
        time_machine.move_to(noon_utc(day), tick=False)  # type: ignore[attr-defined]

    return _at


@pytest.fixture
def overuse_case(cast: Cast, at: Callable[[dt.date], None]) -> dt.date:
    """Ada holds examples/cm-overuse-review.json: chronic migraine, triptan overuse,
    3 failed preventives; needs_review under us-label/us-payer/ehf, not eligible under NICE."""
    on = load_case(cast, "cm-overuse-review")
    at(on)
    return on
