"""The numbers of the protocol (clinical-reference §0) and where they come from."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from cephalog.domain import intervals

#: Units per injection site, 5 U in 0.1 mL (§1.1, §1.3).
UNITS_PER_SITE = 5
#: Concentration every vial must have after reconstitution: 5 U per 0.1 mL (§1.4).
REQUIRED_UNITS_PER_0_1_ML = Fraction(5)
#: BOTOX vial sizes listed in the reference (§1.4).
VIAL_SIZES_UNITS: tuple[int, ...] = (100, 200)
#: Reconstituted product must be used within 24 hours (§1.4).
MAX_RECONSTITUTED_AGE = dt.timedelta(hours=24)
#: Session maximum with follow-the-pain: 195 U in 39 sites (§1.2).
MAX_SESSION_UNITS = 195
MAX_SESSION_SITES = 39
#: Retreatment every 12 weeks (§2.2); 77 days = 12 weeks minus the 7-day COMPEL tolerance
#: (§6.5, §11.2). The numbers live in `cephalog.domain.intervals` (issue 14.5).
DUE_INTERVAL_DAYS = intervals.DUE_INTERVAL_DAYS
TOLERATED_INTERVAL_DAYS = intervals.EARLIEST_INTERVAL_DAYS
#: At most 400 U across all indications in a 3-month interval (§2.2, §14).
CUMULATIVE_CAP_UNITS = 400
#: Length of the rolling window used for the 3-month cap; see `check_cumulative_dose`.
CUMULATIVE_WINDOW_DAYS = 90
#: The only product the PREEMPT doses apply to; units are not interchangeable (§2.2).
PRODUCT = "onabotulinumtoxinA"
_PRODUCT_ALIASES = frozenset({"onabotulinumtoxina", "botox"})

_SRC_PROTOCOL = "clinical-reference §1.1–§1.2 (PREEMPT paradigm; EU SmPC; US label 155 U)"
_SRC_VIAL = "clinical-reference §1.4 (reconstitution and storage)"
_SRC_INTERVAL = (
    "BOTOX US label (retreatment every 12 weeks); clinical-reference §2.2, §2.8, §6.5, §11.2"
)
_SRC_CUMULATIVE = (
    "BOTOX US label (max 400 U in a 3-month interval, all indications); "
    "clinical-reference §2.2, §14"
)
