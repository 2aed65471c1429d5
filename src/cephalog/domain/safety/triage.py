"""Red-flag triage of reported symptoms, and the guidance shown for each level (§2.3, §2.5, §11.6)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cephalog.domain.safety.symptoms import (
    _D,
    _E,
    _L,
    _O,
    _SRC_BOXED,
    EMERGENCY_SYMPTOMS,
    SAME_DAY_SYMPTOMS,
    SYMPTOMS,
    Symptom,
)


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

    summary = _summary(emergency, same_day, other, local)
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


def _summary(
    emergency: Sequence[Symptom],
    same_day: Sequence[Symptom],
    other: Sequence[Symptom],
    local: Sequence[Symptom],
) -> str:
    """The clinician's one-line summary: the symptoms by group, red flags first."""
    parts = []
    for name, group in (
        ("RED FLAG (emergency)", emergency),
        ("RED FLAG (same day)", same_day),
        ("other", other),
        ("expected local", local),
    ):
        if group:
            parts.append(f"{name}: " + ", ".join(SYMPTOMS[s].clinician_label for s in group))
    return "; ".join(parts) if parts else "No symptoms reported"
