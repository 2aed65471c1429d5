"""Reportable symptoms, red-flag triage, trial adverse-reaction rates, aftercare.

Implements clinical-reference.md §2.3 (boxed warning: distant spread of toxin
effect), §2.5 (hypersensitivity, dysphagia and breathing), §2.7 (adverse
reactions in the chronic-migraine trials), §10 (post-injection advice:
evidence vs folklore) and §11.6 (safety follow-up at each visit), with the
corrections of §12 and §14: only confirmed rates carry numbers.

Patient-facing text is plain language; clinician labels use clinical terms.

The package: `symptoms`, `triage` (`classify`), `rates` and `aftercare`.
"""

from __future__ import annotations

from cephalog.domain.safety.aftercare import (
    AFTERCARE_INFORMATION,
    DEFAULT_AFTERCARE,
    FORMER_AFTERCARE,
    AftercareItem,
    Evidence,
)
from cephalog.domain.safety.rates import (
    COMPEL_TREATMENT_RELATED_RATES,
    LABEL_CM_RATES,
    PREEMPT_POOLED_RATES,
    TrialRate,
)
from cephalog.domain.safety.symptoms import (
    EMERGENCY_SYMPTOMS,
    RED_FLAGS,
    REPORTABLE,
    SAME_DAY_SYMPTOMS,
    SYMPTOMS,
    Symptom,
    SymptomClass,
    SymptomInfo,
)
from cephalog.domain.safety.triage import (
    CALL_CLINIC_AFTER_EMERGENCY,
    CALL_CLINIC_TODAY,
    DELAYED_ONSET_NOTE,
    EMERGENCY_GUIDANCE,
    EMERGENCY_IF_WORSE,
    MEDICAL_HELP_TODAY_GUIDANCE,
    NO_DRIVING_GUIDANCE,
    SELF_CARE_GUIDANCE,
    SafetyTriage,
    TriageLevel,
    classify,
)

__all__ = [
    "AFTERCARE_INFORMATION",
    "CALL_CLINIC_AFTER_EMERGENCY",
    "CALL_CLINIC_TODAY",
    "COMPEL_TREATMENT_RELATED_RATES",
    "DEFAULT_AFTERCARE",
    "DELAYED_ONSET_NOTE",
    "EMERGENCY_GUIDANCE",
    "EMERGENCY_IF_WORSE",
    "EMERGENCY_SYMPTOMS",
    "FORMER_AFTERCARE",
    "LABEL_CM_RATES",
    "MEDICAL_HELP_TODAY_GUIDANCE",
    "NO_DRIVING_GUIDANCE",
    "PREEMPT_POOLED_RATES",
    "RED_FLAGS",
    "REPORTABLE",
    "SAME_DAY_SYMPTOMS",
    "SELF_CARE_GUIDANCE",
    "SYMPTOMS",
    "AftercareItem",
    "Evidence",
    "SafetyTriage",
    "Symptom",
    "SymptomClass",
    "SymptomInfo",
    "TriageLevel",
    "TrialRate",
    "classify",
]
