"""Reads for treatment sessions, returning domain objects and page-ready rows.

The package: `protocols`, `rules` (the rules' inputs, continuation decisions, rule views),
`checks` (the safety check before a session), `sites` (the site map), `staff` (injector
experience, the care team, aftercare), `page` (the session page) and `diagnosis` (whether
the clinic has established the chronic migraine).
"""

from __future__ import annotations

from cephalog.treatment.queries.checks import (
    FlagRow,
    PreSession,
    answers_of,
    avoid_sites_for,
    pre_session,
    red_flag_events_since,
    todays_check,
)
from cephalog.treatment.queries.diagnosis import chronic_migraine_established
from cephalog.treatment.queries.page import (
    BillingRow,
    SessionPage,
    session_page,
)
from cephalog.treatment.queries.protocols import (
    protocol_choices,
    protocol_from_snapshot,
    protocol_snapshot,
    resolve_protocol,
    session_protocol,
)
from cephalog.treatment.queries.rules import (
    RULE_LABELS,
    STATUS_LABELS,
    Eligibility,
    RuleView,
    StoredDecision,
    check_interval,
    decision_effect,
    domain_decision,
    effect_of,
    eligibility_of,
    eligibility_status,
    exposures,
    interval_rule,
    interval_rule_for,
    last_session_date,
    preview_rules,
    rule_view,
)
from cephalog.treatment.queries.sites import (
    MapMarker,
    MapPanel,
    MuscleGroup,
    SiteRow,
    map_panels,
    muscle_name,
    recorded_sites,
    site_label,
    site_rows,
)
from cephalog.treatment.queries.staff import (
    AftercareLine,
    CareTeamMember,
    Experience,
    aftercare,
    care_team,
    clinical_staff,
    display_name,
    injector_experience,
)

__all__ = [
    "AftercareLine",
    "BillingRow",
    "CareTeamMember",
    "Eligibility",
    "Experience",
    "FlagRow",
    "MapMarker",
    "MapPanel",
    "MuscleGroup",
    "PreSession",
    "RULE_LABELS",
    "RuleView",
    "STATUS_LABELS",
    "SessionPage",
    "SiteRow",
    "StoredDecision",
    "aftercare",
    "chronic_migraine_established",
    "answers_of",
    "avoid_sites_for",
    "care_team",
    "check_interval",
    "clinical_staff",
    "decision_effect",
    "display_name",
    "domain_decision",
    "effect_of",
    "eligibility_of",
    "eligibility_status",
    "exposures",
    "injector_experience",
    "interval_rule",
    "interval_rule_for",
    "last_session_date",
    "map_panels",
    "muscle_name",
    "pre_session",
    "preview_rules",
    "protocol_choices",
    "protocol_from_snapshot",
    "protocol_snapshot",
    "recorded_sites",
    "red_flag_events_since",
    "resolve_protocol",
    "rule_view",
    "session_page",
    "session_protocol",
    "site_label",
    "site_rows",
    "todays_check",
]
