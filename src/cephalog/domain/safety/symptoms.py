"""Reportable symptoms after a treatment: what each is, in plain words and in clinical terms (§2.3, §2.5, §11.6)."""

from __future__ import annotations

from collections.abc import Mapping
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
