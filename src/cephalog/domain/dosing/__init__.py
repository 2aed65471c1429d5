"""PREEMPT injection sites, session validation, vials, billing, interval and dose caps.

Implements clinical-reference.md §1 (PREEMPT paradigm, follow-the-pain,
reconstitution), §2.2 (dose, 12-week interval, 400 U cumulative cap), §2.8
(antibodies), §9.1 (ICD-10-CM chronic migraine codes) and §9.3 (CPT 64615,
HCPCS J0585 with JW/JZ). Decisions where the reference is silent are in
docs/domain-decisions.md.

Plain Python: no Django, no I/O, no wall clock. Problems are returned as
stable, human-readable strings that name the offending field
(`sites[3].units: frontalis-L-1 must have 5 U, got 10`), in the style of spec/assessment.md §1.

The package: `constants`, `sites`, `protocols`, `sessions` (validating a session's
sites), `vials` (vials, waste and billing), `rules` (rule results, cumulative dose) and
`icd10`.
"""

from __future__ import annotations

from cephalog.domain.dosing.constants import (
    CUMULATIVE_CAP_UNITS,
    CUMULATIVE_WINDOW_DAYS,
    DUE_INTERVAL_DAYS,
    MAX_RECONSTITUTED_AGE,
    MAX_SESSION_SITES,
    MAX_SESSION_UNITS,
    PRODUCT,
    TOLERATED_INTERVAL_DAYS,
    UNITS_PER_SITE,
    VIAL_SIZES_UNITS,
)
from cephalog.domain.dosing.icd10 import (
    Icd10Code,
    icd10_code,
)
from cephalog.domain.dosing.protocols import (
    PREEMPT_155,
    PROTOCOLS,
    US_LABEL_155,
    Protocol,
    validate_protocol,
)
from cephalog.domain.dosing.rules import (
    RuleResult,
    RuleStatus,
    check_cumulative_dose,
)
from cephalog.domain.dosing.sessions import (
    RecordedSite,
    SessionCheck,
    SessionTotals,
    SiteStatus,
    session_totals,
    validate_session,
)
from cephalog.domain.dosing.sites import (
    FIXED_SITES,
    FIXED_SITES_PER_MUSCLE,
    FTP_CAPS,
    FTP_SITES,
    SITES_BY_CODE,
    MapPoint,
    Muscle,
    Side,
    Site,
    View,
    get_site,
    site_code,
)
from cephalog.domain.dosing.vials import (
    BillingLine,
    Vial,
    VialCheck,
    billing_lines,
    check_vial,
    check_vials,
    concentration_per_0_1_ml,
    units_discarded,
    units_opened,
)

__all__ = [
    "CUMULATIVE_CAP_UNITS",
    "CUMULATIVE_WINDOW_DAYS",
    "DUE_INTERVAL_DAYS",
    "FIXED_SITES",
    "FIXED_SITES_PER_MUSCLE",
    "FTP_CAPS",
    "FTP_SITES",
    "MAX_RECONSTITUTED_AGE",
    "MAX_SESSION_SITES",
    "MAX_SESSION_UNITS",
    "PREEMPT_155",
    "PRODUCT",
    "PROTOCOLS",
    "SITES_BY_CODE",
    "TOLERATED_INTERVAL_DAYS",
    "UNITS_PER_SITE",
    "US_LABEL_155",
    "VIAL_SIZES_UNITS",
    "BillingLine",
    "Icd10Code",
    "MapPoint",
    "Muscle",
    "Protocol",
    "RecordedSite",
    "RuleResult",
    "RuleStatus",
    "SessionCheck",
    "SessionTotals",
    "Side",
    "Site",
    "SiteStatus",
    "View",
    "Vial",
    "VialCheck",
    "billing_lines",
    "check_cumulative_dose",
    "check_vial",
    "check_vials",
    "concentration_per_0_1_ml",
    "get_site",
    "icd10_code",
    "session_totals",
    "site_code",
    "units_discarded",
    "units_opened",
    "validate_protocol",
    "validate_session",
]
