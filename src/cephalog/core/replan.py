"""Re-plan a patient's treatment calendar after what it is planned from changed (issue 20.3).

A completed session and a continuation decision change the plan, but `treatment` and
`outcomes` sit below `scheduling` and never import it. They call `replan()`; the
scheduling app registers its `sync_plan` here when Django starts
(`SchedulingConfig.ready`). No signal: one named function, called in the same
transaction as the change, so a session and its re-planned calendar are committed
together or not at all (as when the actions imported scheduling themselves).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol


class Planner(Protocol):
    def __call__(self, *, patient: Any, today: dt.date | None = None) -> object: ...


_planner: Planner | None = None


def register_planner(planner: Planner) -> None:
    """Called once by the scheduling app: the function that re-plans a patient."""
    global _planner
    _planner = planner


def replan(*, patient: Any, today: dt.date) -> None:
    """Re-plan `patient`'s calendar now, inside the caller's transaction."""
    if _planner is None:  # only without the scheduling app, which every site installs
        raise RuntimeError("no planner registered: is cephalog.scheduling installed?")
    _planner(patient=patient, today=today)
