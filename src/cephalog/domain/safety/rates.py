"""Trial adverse-reaction rates (§2.7, §14): only confirmed rates carry numbers."""

from __future__ import annotations

from dataclasses import dataclass

from cephalog.domain.safety.symptoms import Symptom

# ---------------------------------------------------------------------------
# Trial adverse-reaction rates (§2.7, §14)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialRate:
    """An adverse-reaction rate from a trial, for comparison in the clinic's rate report.

    A percentage is None when the reference could not confirm it (§12.1,
    §14); `note` then says what was recalled, for verification only.
    """

    key: str
    clinician_label: str
    symptom: Symptom | None
    botox_percent: float | None
    placebo_percent: float | None
    note: str
    source: str


#: US label, CM trials (PREEMPT 1 + 2 double-blind, BOTOX 155-195 U, N 687 / 692).
#: Only neck pain (both arms) and eyelid ptosis (BOTOX arm) are confirmed (§2.7, §14);
#: the other label rows stay out until checked against DailyMed §6.1.
LABEL_CM_RATES: tuple[TrialRate, ...] = (
    TrialRate(
        "neck_pain",
        "Neck pain",
        Symptom.NECK_PAIN,
        9.0,
        3.0,
        "",
        "BOTOX US label (CM trials), via Allergan patient material; clinical-reference §2.7",
    ),
    TrialRate(
        "eyelid_ptosis",
        "Eyelid ptosis",
        Symptom.EYELID_PTOSIS,
        4.0,
        None,
        "Placebo rate recalled as <1% but unconfirmed (clinical-reference §2.7, §12.1).",
        "BOTOX US label (CM trials), via patient magazine; clinical-reference §2.7, §14",
    ),
)

#: PREEMPT pooled analysis (Dodick et al., Headache 2010), BOTOX vs placebo (§2.7, §14).
PREEMPT_POOLED_RATES: tuple[TrialRate, ...] = (
    TrialRate(
        "any_adverse_event",
        "Any adverse event",
        None,
        62.4,
        51.7,
        "",
        "Dodick et al., Headache 2010; clinical-reference §2.7",
    ),
    TrialRate(
        "discontinued_for_adverse_event",
        "Discontinued because of an adverse event",
        None,
        3.8,
        1.2,
        "",
        "Dodick et al., Headache 2010; clinical-reference §2.7, §14",
    ),
    TrialRate(
        "neck_pain_treatment_related",
        "Neck pain (treatment-related)",
        Symptom.NECK_PAIN,
        6.7,
        2.2,
        "",
        "Dodick et al., Headache 2010; clinical-reference §14",
    ),
)

#: COMPEL, open-label 155 U up to 9 cycles, N 716, treatment-related AEs >= 1% (single arm).
COMPEL_TREATMENT_RELATED_RATES: tuple[TrialRate, ...] = tuple(
    TrialRate(
        key,
        label,
        symptom,
        pct,
        None,
        "Single-arm study: no placebo.",
        "COMPEL (Blumenfeld et al., JNNP safety table); clinical-reference §2.7",
    )
    for key, label, symptom, pct in (
        ("neck_pain", "Neck pain", Symptom.NECK_PAIN, 4.1),
        ("eyelid_ptosis", "Eyelid ptosis", Symptom.EYELID_PTOSIS, 2.5),
        (
            "musculoskeletal_stiffness",
            "Musculoskeletal stiffness",
            Symptom.MUSCULOSKELETAL_STIFFNESS,
            2.4,
        ),
        ("injection_site_pain", "Injection-site pain", Symptom.INJECTION_SITE_PAIN, 2.0),
        ("headache", "Headache", Symptom.HEADACHE_WORSE, 1.7),
        ("muscular_weakness", "Muscular weakness", Symptom.MUSCLE_WEAKNESS_LOCAL, 1.4),
        ("facial_paresis", "Facial paresis", Symptom.FACIAL_WEAKNESS, 1.3),
        ("migraine", "Migraine", Symptom.MIGRAINE_WORSE, 1.0),
        ("skin_tightness", "Skin tightness", None, 1.0),
    )
)
