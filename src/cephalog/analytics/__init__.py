"""Clinic-wide outcome analytics, vectorised with Polars (no Django, no per-patient loops).

`cohort.cohort_table` implements spec sections 3 and 7 (windows, cycles,
reduction, responders, wearing-off) over a whole clinic at once and agrees
exactly with `cephalog.domain` (tests/analytics). The Django side loads the
frames (`cephalog.outcomes.dashboard`); this package only computes.
"""
