"""Outcomes: per-cycle results, continuation decisions, wearing-off, questionnaires,
the patient's progress page, the cycle summary and renewal letter, clinic dashboards.

The rules are the domain's (`cephalog.domain`: cycles, policies, schedule,
instruments) and every per-patient page computes through
`cephalog.eligibility.case.assess_patient`, exactly as `cephalog assess` does.
Clinic-wide figures come from `cephalog.analytics` (Polars). Decisions made
here are listed in docs/outcomes-decisions.md.
"""
