from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.perf.data import NOW


@pytest.fixture
def frozen(time_machine: Any) -> None:
    """An hour after the sessions' helper time, so `today` is fixed for every page."""
    time_machine.move_to(NOW + dt.timedelta(hours=1), tick=False)
