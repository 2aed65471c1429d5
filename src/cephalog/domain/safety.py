"""Reportable symptoms, red-flag triage, trial adverse-reaction rates, aftercare.

Implements clinical-reference.md §2.3 (boxed warning: distant spread of toxin
effect), §2.5 (hypersensitivity, dysphagia and breathing), §2.7 (adverse
reactions in the chronic-migraine trials), §10 (post-injection advice:
evidence vs folklore) and §11.6 (safety follow-up at each visit), with the
corrections of §12 and §14: only confirmed rates carry numbers.

Patient-facing text is plain language; clinician labels use clinical terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

_SRC_BOXED = "BOTOX US label, boxed warning and Medication Guide; clinical-reference §2.3, §2.5"
_SRC_AR = "BOTOX US label §6.1 (CM trials); clinical-reference §2.7, §11.6"
_SRC_LOCAL = "clinical-reference §2.7 (CM trials, COMPEL, Hull real-world series)"


class SymptomClass(StrEnum):
    """How urgent a reported symptom is (Medication Guide; clinical-reference §2.3, §10, §11.6).

    Both EMERGENCY and SAME_DAY symptoms are red flags: the clinic gets an alert.
    """

    EMERGENCY = "emergency"  # swallowing, speaking, breathing, allergy: emergency care now
    SAME_DAY = "same_day"  # other signs of spread of toxin effect: medical help right away
    EXPECTED_LOCAL = "expected_local"  # known, usually mild effect near the injections
    OTHER = "other"  # known or possible effect that the clinic should review soon


class Symptom(StrEnum):
    """The closed vocabulary of symptoms a patient or clinician can report (clinical-reference §2.3–§2.7)."""

    NECK_PAIN = "neck_pain"
    INJECTION_SITE_PAIN = "injection_site_pain"
    INJECTION_SITE_REDNESS = "injection_site_redness"
    INJECTION_SITE_BRUISING = "injection_site_bruising"
    EYELID_PTOSIS = "eyelid_ptosis"
    BROW_PTOSIS = "brow_ptosis"
    FACIAL_WEAKNESS = "facial_weakness"
    MUSCLE_WEAKNESS_LOCAL = "muscle_weakness_local"
    MUSCLE_WEAKNESS_GENERAL = "muscle_weakness_general"
    MUSCULOSKELETAL_STIFFNESS = "musculoskeletal_stiffness"
    MUSCLE_PAIN = "muscle_pain"
    HEADACHE_WORSE = "headache_worse"
    MIGRAINE_WORSE = "migraine_worse"
    DYSPHAGIA = "dysphagia"
    SPEAKING_DIFFICULTY = "speaking_difficulty"
    VOICE_CHANGE = "voice_change"
    SLURRED_SPEECH = "slurred_speech"
    #: Before the Medication Guide review one code covered dysphonia and dysarthria; kept so
    #: stored reports still read, no longer offered on the forms (see `reportable`).
    VOICE_OR_SPEECH_CHANGE = "voice_or_speech_change"
    DOUBLE_VISION = "double_vision"
    BLURRED_VISION = "blurred_vision"
    BREATHING_DIFFICULTY = "breathing_difficulty"
    BLADDER_CONTROL_LOSS = "bladder_control_loss"
    ALLERGIC_REACTION = "allergic_reaction"
    DIZZINESS = "dizziness"
    OTHER = "other"


@dataclass(frozen=True)
class SymptomInfo:
    """Labels and classification of one symptom.

    `no_driving`: the label advises not to drive, use machines or do other
    dangerous activities while it lasts (§2.3). `reportable`: offered on the
    report forms (False only for a retired code kept for stored reports).
    """

    symptom: Symptom
    patient_label: str
    clinician_label: str
    classification: SymptomClass
    no_driving: bool
    source: str
    reportable: bool = True

    @property
    def red_flag(self) -> bool:
        """The clinic gets a red-flag alert for it (emergency or same-day)."""
        return self.classification in (SymptomClass.EMERGENCY, SymptomClass.SAME_DAY)


def _info(
    symptom: Symptom,
    patient: str,
    clinician: str,
    classification: SymptomClass,
    source: str,
    *,
    no_driving: bool = False,
    reportable: bool = True,
) -> SymptomInfo:
    return SymptomInfo(symptom, patient, clinician, classification, no_driving, source, reportable)


_E, _D = SymptomClass.EMERGENCY, SymptomClass.SAME_DAY
_L, _O = SymptomClass.EXPECTED_LOCAL, SymptomClass.OTHER
_SRC_GUIDE = (
    "BOTOX Medication Guide (signs of spread of toxin effect: get medical help right away); "
    "clinical-reference §2.3, §10"
)

#: Every symptom of the vocabulary, in display order (clinical-reference §2.3–§2.7).
SYMPTOMS: Mapping[Symptom, SymptomInfo] = MappingProxyType(
    {
        i.symptom: i
        for i in (
            # emergency now: problems swallowing, speaking or breathing, or an allergic reaction
            _info(Symptom.DYSPHAGIA, "Trouble swallowing", "Dysphagia", _E, _SRC_BOXED),
            _info(
                Symptom.SPEAKING_DIFFICULTY,
                "Trouble speaking",
                "Difficulty speaking (possible bulbar weakness)",
                _E,
                _SRC_BOXED,
            ),
            _info(
                Symptom.BREATHING_DIFFICULTY,
                "Trouble breathing or shortness of breath",
                "Breathing difficulty / respiratory compromise",
                _E,
                _SRC_BOXED,
            ),
            _info(
                Symptom.ALLERGIC_REACTION,
                "Itching, rash, raised itchy welts, wheezing, swelling, or feeling faint",
                "Possible hypersensitivity reaction",
                _E,
                "BOTOX US label §4, §5 (hypersensitivity) and patient information; "
                "clinical-reference §2.4, §2.5",
                no_driving=True,
            ),
            # medical help right away (same day): the other signs of spread of toxin effect
            _info(
                Symptom.MUSCLE_WEAKNESS_GENERAL,
                "Loss of strength or muscle weakness all over the body",
                "Generalised muscle weakness / asthenia",
                _D,
                _SRC_GUIDE,
                no_driving=True,
            ),
            _info(
                Symptom.DOUBLE_VISION, "Double vision", "Diplopia", _D, _SRC_GUIDE, no_driving=True
            ),
            _info(
                Symptom.BLURRED_VISION,
                "Blurred vision",
                "Blurred vision",
                _D,
                _SRC_GUIDE,
                no_driving=True,
            ),
            _info(
                Symptom.EYELID_PTOSIS,
                "Drooping eyelids",
                "Eyelid ptosis",
                _D,
                _SRC_GUIDE + " (also a local effect, ~4 % in the CM trials, §2.7)",
                no_driving=True,
            ),
            _info(
                Symptom.VOICE_CHANGE,
                "Hoarse voice, or a change or loss of voice",
                "Dysphonia",
                _D,
                _SRC_GUIDE,
            ),
            _info(
                Symptom.SLURRED_SPEECH,
                "Trouble saying words clearly",
                "Dysarthria",
                _D,
                _SRC_GUIDE,
            ),
            _info(
                Symptom.BLADDER_CONTROL_LOSS,
                "Loss of bladder control",
                "Urinary incontinence (new)",
                _D,
                _SRC_GUIDE,
            ),
            _info(
                Symptom.VOICE_OR_SPEECH_CHANGE,
                "Hoarse or changed voice, or trouble saying words clearly",
                "Dysphonia / dysarthria",
                _D,
                _SRC_GUIDE,
                reportable=False,
            ),
            # expected, usually mild effects near the injections
            _info(Symptom.NECK_PAIN, "Neck pain", "Neck pain", _L, _SRC_AR),
            _info(
                Symptom.INJECTION_SITE_PAIN,
                "Soreness where the injections went in",
                "Injection-site pain",
                _L,
                _SRC_LOCAL,
            ),
            _info(
                Symptom.INJECTION_SITE_REDNESS,
                "Redness where the injections went in",
                "Injection-site erythema",
                _L,
                _SRC_LOCAL,
            ),
            _info(
                Symptom.INJECTION_SITE_BRUISING,
                "Bruising or small swelling where the injections went in",
                "Injection-site bruising / swelling",
                _L,
                _SRC_LOCAL,
            ),
            _info(
                Symptom.BROW_PTOSIS,
                "Drooping or heavy eyebrows or forehead",
                "Brow ptosis",
                _L,
                _SRC_LOCAL,
            ),
            _info(
                Symptom.FACIAL_WEAKNESS,
                "Weakness of the forehead or eyebrow muscles (for example, hard to frown)",
                "Facial paresis (injected upper-face muscles)",
                _L,
                _SRC_LOCAL,
            ),
            _info(
                Symptom.MUSCLE_WEAKNESS_LOCAL,
                "Weakness of the neck or shoulder muscles",
                "Local muscular weakness (injected neck/shoulder muscles)",
                _L,
                _SRC_LOCAL,
                no_driving=True,
            ),
            _info(
                Symptom.MUSCULOSKELETAL_STIFFNESS,
                "Stiff neck or shoulders",
                "Musculoskeletal stiffness",
                _L,
                _SRC_LOCAL,
            ),
            _info(
                Symptom.MUSCLE_PAIN,
                "Aching muscles in the head, neck or shoulders",
                "Myalgia",
                _L,
                _SRC_LOCAL,
            ),
            # other: known or possible effects the clinic reviews soon
            _info(
                Symptom.HEADACHE_WORSE,
                "Headaches are worse than usual",
                "Headache worsening",
                _O,
                _SRC_AR,
            ),
            _info(
                Symptom.MIGRAINE_WORSE,
                "Migraine attacks are worse than usual",
                "Migraine worsening",
                _O,
                _SRC_AR,
            ),
            _info(Symptom.DIZZINESS, "Dizziness", "Dizziness", _O, _SRC_BOXED, no_driving=True),
            _info(
                Symptom.OTHER,
                "Something else that worries you",
                "Other symptom (free text)",
                _O,
                "clinical-reference §11.6",
            ),
        )
    }
)

#: Symptoms that raise a red-flag alert for the clinic: emergency and same-day ones.
RED_FLAGS: frozenset[Symptom] = frozenset(s for s, i in SYMPTOMS.items() if i.red_flag)
#: Problems swallowing, speaking or breathing, and allergic reactions: emergency care now.
EMERGENCY_SYMPTOMS: frozenset[Symptom] = frozenset(
    s for s, i in SYMPTOMS.items() if i.classification is _E
)
#: The other signs of spread of toxin effect: medical help right away, the same day.
SAME_DAY_SYMPTOMS: frozenset[Symptom] = frozenset(
    s for s, i in SYMPTOMS.items() if i.classification is _D
)
#: The symptoms a patient or clinician can pick on a form, in display order.
REPORTABLE: tuple[Symptom, ...] = tuple(s for s, i in SYMPTOMS.items() if i.reportable)


class TriageLevel(StrEnum):
    """What the patient should do now (Medication Guide; clinical-reference §2.3, §10, §11.6)."""

    EMERGENCY = "emergency"  # seek emergency care now, then call the clinic
    MEDICAL_HELP_TODAY = "medical_help_today"  # get medical help right away, the same day
    CALL_CLINIC = "call_clinic"  # call the clinic today
    SELF_CARE = "self_care"  # expected local effect; mention at the next check-in
    NONE = "none"  # nothing reported

    @property
    def urgent(self) -> bool:
        """The patient is sent for help now (emergency or same day), never told to wait."""
        return self in (TriageLevel.EMERGENCY, TriageLevel.MEDICAL_HELP_TODAY)


@dataclass(frozen=True)
class SafetyTriage:
    """Result of classifying reported symptoms (clinical-reference §2.3, §10, §11.6).

    `red_flags` are every symptom that raises the clinic's alert: the
    `emergency` ones and the `same_day` ones.
    """

    level: TriageLevel
    red_flags: tuple[Symptom, ...]
    expected_local: tuple[Symptom, ...]
    other: tuple[Symptom, ...]
    no_driving: bool
    patient_guidance: tuple[str, ...]
    clinician_summary: str
    source: str

    @property
    def has_red_flags(self) -> bool:
        return bool(self.red_flags)

    @property
    def emergency(self) -> tuple[Symptom, ...]:
        return tuple(s for s in self.red_flags if s in EMERGENCY_SYMPTOMS)

    @property
    def same_day(self) -> tuple[Symptom, ...]:
        return tuple(s for s in self.red_flags if s in SAME_DAY_SYMPTOMS)

    @property
    def needs_urgent_review(self) -> bool:
        """Red flags trigger urgent clinician review (§11.6)."""
        return self.has_red_flags


EMERGENCY_GUIDANCE = (
    "Get emergency medical help now: call your local emergency number or go to the nearest "
    "emergency department; do not drive yourself. Trouble swallowing, speaking or breathing "
    "can be life-threatening."
)
CALL_CLINIC_AFTER_EMERGENCY = "When you are safe, call the clinic to tell us what happened."
MEDICAL_HELP_TODAY_GUIDANCE = (
    "Get medical help right away, today: call the clinic's urgent number now. If the clinic is "
    "closed, call your out-of-hours service or emergency services. Do not wait for your next "
    "check-in: this can be a sign that the medicine has spread beyond where it was injected."
)
EMERGENCY_IF_WORSE = (
    "If you get trouble swallowing, speaking or breathing, get emergency help straight away."
)
CALL_CLINIC_TODAY = "Call the clinic today so a clinician can check this with you."
SELF_CARE_GUIDANCE = (
    "This is a common effect near where the injections went in and usually gets better on "
    "its own. Tell us at your next check-in, or call the clinic sooner if it gets worse or "
    "worries you."
)
NO_DRIVING_GUIDANCE = (
    "Do not drive, use machines or do anything else that could be dangerous until this has gone."
)
DELAYED_ONSET_NOTE = (
    "Warning signs can start hours to weeks after an injection: get help straight away "
    "if any of them appear later."
)


def _parse(values: Iterable[Symptom | str]) -> list[Symptom]:
    parsed: list[Symptom] = []
    for i, v in enumerate(values):
        try:
            s = Symptom(v)
        except ValueError:
            allowed = ", ".join(Symptom)
            raise ValueError(f"symptoms[{i}]: must be one of {allowed}, got {v!r}") from None
        if s not in parsed:
            parsed.append(s)
    return parsed


def classify(symptoms: Iterable[Symptom | str]) -> SafetyTriage:
    """Triage reported symptoms as the Medication Guide says (clinical-reference §2.3, §10, §11.6).

    - trouble swallowing, speaking or breathing, or an allergic reaction →
      emergency care now, then call the clinic;
    - otherwise any other sign of spread of toxin effect (weakness all over,
      double or blurred vision, drooping eyelids, voice change, trouble
      saying words clearly, loss of bladder control) → medical help right
      away, the same day (never "at the next check-in");
    - both are red flags: the clinic gets an alert;
    - otherwise any `other` symptom → call the clinic today; otherwise
      expected local effects → self-care.

    Symptoms in the label's driving warning add the no-driving advice.
    Unknown codes raise ValueError naming the position.
    """
    parsed = _parse(symptoms)
    order = list(SYMPTOMS)
    parsed.sort(key=order.index)
    emergency = tuple(s for s in parsed if SYMPTOMS[s].classification is _E)
    same_day = tuple(s for s in parsed if SYMPTOMS[s].classification is _D)
    red = tuple(s for s in parsed if SYMPTOMS[s].red_flag)
    local = tuple(s for s in parsed if SYMPTOMS[s].classification is _L)
    other = tuple(s for s in parsed if SYMPTOMS[s].classification is _O)
    no_driving = any(SYMPTOMS[s].no_driving for s in parsed)

    guidance: list[str] = []
    if emergency:
        level = TriageLevel.EMERGENCY
        guidance += [EMERGENCY_GUIDANCE, CALL_CLINIC_AFTER_EMERGENCY]
    elif same_day:
        level = TriageLevel.MEDICAL_HELP_TODAY
        guidance += [MEDICAL_HELP_TODAY_GUIDANCE, EMERGENCY_IF_WORSE]
    elif other:
        level = TriageLevel.CALL_CLINIC
        guidance.append(CALL_CLINIC_TODAY)
    elif local:
        level = TriageLevel.SELF_CARE
        guidance.append(SELF_CARE_GUIDANCE)
    else:
        level = TriageLevel.NONE
    if no_driving and not emergency:
        guidance.append(NO_DRIVING_GUIDANCE)
    if parsed and not emergency:
        guidance.append(DELAYED_ONSET_NOTE)

    parts = []
    for name, group in (
        ("RED FLAG (emergency)", emergency),
        ("RED FLAG (same day)", same_day),
        ("other", other),
        ("expected local", local),
    ):
        if group:
            parts.append(f"{name}: " + ", ".join(SYMPTOMS[s].clinician_label for s in group))
    summary = "; ".join(parts) if parts else "No symptoms reported"
    return SafetyTriage(
        level=level,
        red_flags=red,
        expected_local=local,
        other=other,
        no_driving=no_driving,
        patient_guidance=tuple(guidance),
        clinician_summary=summary,
        source=_SRC_BOXED + "; Medication Guide; clinical-reference §10, §11.6",
    )


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
        "normal_activity",
        "Most people go back to their normal activities straight away.",
        Evidence.OPTIONAL_PRECAUTION,
        "Information, not a restriction; some clinics also advise not driving for a few "
        "hours, which is a precaution without evidence.",
        _SRC_AFTERCARE,
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


__all__ = [
    "COMPEL_TREATMENT_RELATED_RATES",
    "DEFAULT_AFTERCARE",
    "EMERGENCY_SYMPTOMS",
    "LABEL_CM_RATES",
    "PREEMPT_POOLED_RATES",
    "RED_FLAGS",
    "REPORTABLE",
    "SAME_DAY_SYMPTOMS",
    "SYMPTOMS",
    "AftercareItem",
    "Evidence",
    "SafetyTriage",
    "Symptom",
    "SymptomClass",
    "SymptomInfo",
    "TrialRate",
    "TriageLevel",
    "classify",
]
