"""The 400 U per 90 days cap, onabotulinumtoxinA units only (issue 14.7; spec 11.5)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from cephalog.domain import dosing
from cephalog.domain.dosing import RuleResult
from cephalog.domain.point_of_care.findings import _date
from cephalog.domain.point_of_care.inputs import SRC_CAP, Exposure, product_of
from cephalog.domain.vocab import (
    ToxinProduct,
)

# --- the cumulative cap ------------------------------------------------------------------------


def cap_exposures(exposures: Iterable[Exposure]) -> list[tuple[dt.date, int]]:
    """The doses that count toward the 400 U cap: onabotulinumtoxinA only (spec 11.5)."""
    return [
        (e.date, e.units)
        for e in exposures
        if product_of(e.product) is ToxinProduct.ONABOTULINUMTOXINA
    ]


def check_cap(exposures: Iterable[Exposure], on: dt.date, units: int) -> RuleResult:
    """At most 400 U of onabotulinumtoxinA in any 90 days, all indications; no override.

    Another product's units are never added (they are not interchangeable);
    a recent exposure to one is a flag for the physician instead.
    """
    result = dosing.check_cumulative_dose(cap_exposures(exposures), on, units)
    message = _ISO_DATE.sub(lambda m: _date(dt.date.fromisoformat(m[0])), result.message)
    return RuleResult(result.rule, result.status, message, SRC_CAP)


_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
