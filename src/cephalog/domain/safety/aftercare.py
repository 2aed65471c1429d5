"""Post-injection aftercare advice (§10): evidence versus folklore."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# ---------------------------------------------------------------------------
# Aftercare (§10)
# ---------------------------------------------------------------------------


class Evidence(StrEnum):
    """Where an aftercare item comes from (clinical-reference §10)."""

    LABEL_GUIDANCE = "label_guidance"  # regulatory label: do it
    OPTIONAL_PRECAUTION = (
        "optional_precaution"  # custom from cosmetic practice, not shown to matter
    )

    @property
    def patient_label(self) -> str:
        if self is Evidence.LABEL_GUIDANCE:
            return "From the medicine's official label"
        return "Optional: a common precaution, not proven to make a difference"


@dataclass(frozen=True)
class AftercareItem:
    """One line of post-injection advice, labelled with its evidence (clinical-reference §10)."""

    key: str
    text: str  # plain language, for the patient
    evidence: Evidence
    note: str  # for clinicians: why it is labelled so
    source: str


_SRC_AFTERCARE = "clinical-reference §10"

#: What to expect, said to the patient above the advice and tagged neither way: it restricts
#: nothing, so it is neither the label's guidance nor a precaution (§10). The clinic's patient
#: information says it (what-users-want, "Aftercare"); some clinics add "do not drive for a few
#: hours", which is an optional precaution without evidence.
AFTERCARE_INFORMATION = "Most people go back to their normal activities straight away."
#: Keys of items that were once standard advice and are now `AFTERCARE_INFORMATION`: a clinic's
#: saved copy with the same words is not shown again as a precaution.
FORMER_AFTERCARE = {"normal_activity": AFTERCARE_INFORMATION}

#: Default post-injection advice: label guidance first, then optional precautions (§10).
DEFAULT_AFTERCARE: tuple[AftercareItem, ...] = (
    AftercareItem(
        "warning_signs",
        "Get emergency help straight away if you have trouble swallowing, speaking or "
        "breathing, at any time in the hours to weeks after your injections.",
        Evidence.LABEL_GUIDANCE,
        "Boxed warning: distant spread of toxin effect; can be life-threatening.",
        "BOTOX US label, boxed warning and Medication Guide; " + _SRC_AFTERCARE + ", §2.3",
    ),
    AftercareItem(
        "spread_signs",
        "Get medical help right away, the same day, if you notice any of these in the hours "
        "to weeks after your injections: loss of strength or muscle weakness all over the "
        "body, double vision, blurred vision, drooping eyelids, a hoarse voice or a change or "
        "loss of voice, trouble saying words clearly, or loss of bladder control. Call the "
        "clinic's urgent number; if the clinic is closed, call your out-of-hours service or "
        "emergency services. Do not wait for your next check-in.",
        Evidence.LABEL_GUIDANCE,
        "Medication Guide: signs of spread of toxin effect; call the doctor or get medical "
        "help right away. Also a red flag for the clinic.",
        "BOTOX Medication Guide; " + _SRC_AFTERCARE + " (2026-12 correction), §2.3",
    ),
    AftercareItem(
        "no_driving_if_weak",
        "If you notice muscle weakness, blurred or double vision, drooping eyelids or "
        "dizziness, do not drive, use machines or do other risky things until it has gone.",
        Evidence.LABEL_GUIDANCE,
        "Label patient advice.",
        "BOTOX US label, patient information; " + _SRC_AFTERCARE + ", §2.3",
    ),
    AftercareItem(
        "tell_about_other_treatments",
        "Tell the clinic before your next session if you have had any other botulinum toxin "
        "treatment, or started antibiotics by injection, muscle relaxants or new medicines.",
        Evidence.LABEL_GUIDANCE,
        "Label interactions: other toxins, aminoglycosides, muscle relaxants, anticholinergics.",
        "BOTOX US label §7 (drug interactions); clinical-reference §2.6",
    ),
    AftercareItem(
        "stay_upright",
        "Some clinics suggest staying upright for about 4 hours. No study shows this makes a "
        "difference.",
        Evidence.OPTIONAL_PRECAUTION,
        "Physicians state there is no study behind the 4-hour rule.",
        _SRC_AFTERCARE,
    ),
    AftercareItem(
        "no_rubbing",
        "You may prefer not to rub or massage the injected areas, especially the forehead, "
        "for the rest of the day.",
        Evidence.OPTIONAL_PRECAUTION,
        "No evidence that massage spreads the toxin.",
        _SRC_AFTERCARE,
    ),
    AftercareItem(
        "exercise",
        "Some clinics suggest avoiding hard exercise until the next day. There is no evidence "
        "that exercise spreads the medicine.",
        Evidence.OPTIONAL_PRECAUTION,
        "Journal of Aesthetic Nursing summary: no evidence; muscle activity may even speed uptake.",
        _SRC_AFTERCARE,
    ),
    AftercareItem(
        "heat_and_sun",
        "Some clinics suggest avoiding saunas, strong heat and sunbathing for a day or two.",
        Evidence.OPTIONAL_PRECAUTION,
        "One study (Sycha 2007) linked UV exposure with a reduced effect; otherwise no evidence.",
        _SRC_AFTERCARE,
    ),
    AftercareItem(
        "cold_pack",
        "A cold pack wrapped in a cloth can ease soreness where the injections went in.",
        Evidence.OPTIONAL_PRECAUTION,
        "Comfort measure; cooling might slow uptake in theory (uptake is temperature dependent).",
        _SRC_AFTERCARE,
    ),
)
