"""Tests for cephalog.domain.safety (clinical-reference §2.3–§2.7, §10, §11.6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cephalog.domain.safety import (
    COMPEL_TREATMENT_RELATED_RATES,
    DEFAULT_AFTERCARE,
    EMERGENCY_GUIDANCE,
    EMERGENCY_SYMPTOMS,
    LABEL_CM_RATES,
    PREEMPT_POOLED_RATES,
    RED_FLAGS,
    REPORTABLE,
    SAME_DAY_SYMPTOMS,
    SELF_CARE_GUIDANCE,
    SYMPTOMS,
    Evidence,
    Symptom,
    SymptomClass,
    TriageLevel,
    classify,
)


def test_every_symptom_has_labels_a_class_and_a_source() -> None:
    assert set(SYMPTOMS) == set(Symptom)
    for symptom, info in SYMPTOMS.items():
        assert info.symptom is symptom
        assert info.patient_label.strip()
        assert info.clinician_label.strip()
        assert isinstance(info.classification, SymptomClass)
        assert "§" in info.source


#: Medication Guide (clinical-reference §10, 2026-12 correction): problems swallowing,
#: speaking or breathing → emergency now; the other signs of spread of toxin effect →
#: medical help right away, the same day. Allergic reactions stay emergencies (label §5).
EMERGENCY_NOW = {
    Symptom.DYSPHAGIA,
    Symptom.SPEAKING_DIFFICULTY,
    Symptom.BREATHING_DIFFICULTY,
    Symptom.ALLERGIC_REACTION,
}
SPREAD_SIGNS = {
    Symptom.MUSCLE_WEAKNESS_GENERAL,
    Symptom.DOUBLE_VISION,
    Symptom.BLURRED_VISION,
    Symptom.EYELID_PTOSIS,
    Symptom.VOICE_CHANGE,
    Symptom.SLURRED_SPEECH,
    Symptom.BLADDER_CONTROL_LOSS,
}


def test_the_red_flags_are_the_medication_guide_symptoms() -> None:
    assert EMERGENCY_NOW == EMERGENCY_SYMPTOMS
    assert SPREAD_SIGNS | {Symptom.VOICE_OR_SPEECH_CHANGE} == SAME_DAY_SYMPTOMS
    assert RED_FLAGS == EMERGENCY_SYMPTOMS | SAME_DAY_SYMPTOMS
    for local in (Symptom.NECK_PAIN, Symptom.INJECTION_SITE_PAIN, Symptom.BROW_PTOSIS):
        assert local not in RED_FLAGS
    # The retired combined code still reads, but no form offers it.
    assert Symptom.VOICE_OR_SPEECH_CHANGE not in REPORTABLE
    assert set(REPORTABLE) == set(Symptom) - {Symptom.VOICE_OR_SPEECH_CHANGE}


@pytest.mark.parametrize("symptom", sorted(EMERGENCY_NOW))
def test_swallowing_speaking_breathing_mean_emergency_now(symptom: Symptom) -> None:
    triage = classify([symptom])
    assert triage.level is TriageLevel.EMERGENCY
    assert triage.has_red_flags
    assert EMERGENCY_GUIDANCE in triage.patient_guidance
    assert "next check-in" not in " ".join(triage.patient_guidance)


@pytest.mark.parametrize("symptom", sorted(SPREAD_SIGNS))
def test_each_spread_sign_means_medical_help_today_and_a_red_flag(symptom: Symptom) -> None:
    # Also with an expected local effect beside it: never "tell us at your next check-in".
    for reported in ([symptom], [Symptom.NECK_PAIN, symptom]):
        triage = classify(reported)
        assert triage.level is TriageLevel.MEDICAL_HELP_TODAY
        assert triage.level.urgent
        assert triage.has_red_flags
        assert triage.red_flags == (symptom,)
        text = " ".join(triage.patient_guidance)
        assert "right away" in text
        assert "today" in text
        assert "out-of-hours" in text
        assert "emergency services" in text
        assert "Tell us at your next check-in" not in text
        assert SELF_CARE_GUIDANCE not in triage.patient_guidance
        assert triage.clinician_summary.startswith("RED FLAG (same day): ")


def test_the_label_guidance_aftercare_lists_every_urgent_symptom() -> None:
    label = " ".join(
        i.text.lower() for i in DEFAULT_AFTERCARE if i.evidence is Evidence.LABEL_GUIDANCE
    )
    for words in (
        "trouble swallowing, speaking or breathing",
        "muscle weakness all over the body",
        "double vision",
        "blurred vision",
        "drooping eyelids",
        "hoarse voice",
        "change or loss of voice",
        "trouble saying words clearly",
        "loss of bladder control",
        "right away, the same day",
        "out-of-hours",
    ):
        assert words in label, words
    assert "next check-in" not in label.replace("do not wait for your next check-in", "")


def test_patient_labels_are_plain_language() -> None:
    jargon = ("dysphagia", "diplopia", "ptosis", "paresis", "dysphonia", "erythema", "myalgia")
    for info in SYMPTOMS.values():
        assert not any(word in info.patient_label.lower() for word in jargon), info


@pytest.mark.parametrize(
    ("symptoms", "level"),
    [
        ([], TriageLevel.NONE),
        (["neck_pain"], TriageLevel.SELF_CARE),
        ([Symptom.INJECTION_SITE_REDNESS, Symptom.INJECTION_SITE_PAIN], TriageLevel.SELF_CARE),
        (["headache_worse"], TriageLevel.CALL_CLINIC),
        (["neck_pain", "dizziness"], TriageLevel.CALL_CLINIC),
        (["neck_pain", "blurred_vision"], TriageLevel.MEDICAL_HELP_TODAY),
        (["dysphagia"], TriageLevel.EMERGENCY),
        (["breathing_difficulty"], TriageLevel.EMERGENCY),
        (["speaking_difficulty"], TriageLevel.EMERGENCY),
        (["voice_or_speech_change"], TriageLevel.MEDICAL_HELP_TODAY),
        (["double_vision"], TriageLevel.MEDICAL_HELP_TODAY),
        (["muscle_weakness_general"], TriageLevel.MEDICAL_HELP_TODAY),
        (["allergic_reaction"], TriageLevel.EMERGENCY),
        (["double_vision", "dysphagia"], TriageLevel.EMERGENCY),
        (["neck_pain", "headache_worse", "dysphagia"], TriageLevel.EMERGENCY),
    ],
)
def test_it_triages_reported_symptoms(symptoms: list[str], level: TriageLevel) -> None:
    assert classify(symptoms).level is level


def test_red_flags_send_the_patient_to_emergency_care_then_the_clinic() -> None:
    triage = classify(["neck_pain", "dysphagia"])
    assert triage.has_red_flags
    assert triage.needs_urgent_review
    assert triage.red_flags == (Symptom.DYSPHAGIA,)
    assert triage.expected_local == (Symptom.NECK_PAIN,)
    text = " ".join(triage.patient_guidance).lower()
    assert "emergency" in text
    assert "call the clinic" in text
    assert "do not drive" in text
    assert triage.clinician_summary.startswith("RED FLAG (emergency): Dysphagia")
    assert "§2.3" in triage.source


def test_driving_advice_follows_the_label() -> None:
    ptosis = classify(["eyelid_ptosis"])
    assert ptosis.level is TriageLevel.MEDICAL_HELP_TODAY
    assert ptosis.no_driving
    assert any("Do not drive" in g for g in ptosis.patient_guidance)
    neck = classify(["neck_pain"])
    assert not neck.no_driving
    assert not any("Do not drive" in g for g in neck.patient_guidance)


def test_non_urgent_results_warn_that_red_flags_can_start_later() -> None:
    assert any("hours to weeks" in g for g in classify(["neck_pain"]).patient_guidance)
    assert classify([]).patient_guidance == ()
    assert classify([]).clinician_summary == "No symptoms reported"


def test_duplicates_are_ignored_and_order_is_stable() -> None:
    triage = classify(["neck_pain", "dysphagia", "neck_pain", "double_vision"])
    assert triage.red_flags == (Symptom.DYSPHAGIA, Symptom.DOUBLE_VISION)
    assert triage.expected_local == (Symptom.NECK_PAIN,)


def test_the_vocabulary_is_closed() -> None:
    with pytest.raises(ValueError, match=r"symptoms\[1\]: must be one of .*got 'sore_toe'"):
        classify(["neck_pain", "sore_toe"])


@given(st.lists(st.sampled_from(list(Symptom)), max_size=8))
def test_triage_is_urgent_exactly_when_a_red_flag_is_reported(symptoms: list[Symptom]) -> None:
    triage = classify(symptoms)
    assert (triage.level is TriageLevel.EMERGENCY) == bool(set(symptoms) & EMERGENCY_SYMPTOMS)
    assert triage.level.urgent == bool(set(symptoms) & RED_FLAGS) == triage.has_red_flags
    if triage.level.urgent:
        assert SELF_CARE_GUIDANCE not in triage.patient_guidance
    assert set(triage.red_flags + triage.expected_local + triage.other) == set(symptoms)


# --- trial rates ------------------------------------------------------------------


def test_label_rates_ship_only_confirmed_numbers() -> None:
    rates = {r.key: r for r in LABEL_CM_RATES}
    assert set(rates) == {"neck_pain", "eyelid_ptosis"}
    assert (rates["neck_pain"].botox_percent, rates["neck_pain"].placebo_percent) == (9.0, 3.0)
    assert rates["eyelid_ptosis"].botox_percent == 4.0
    assert rates["eyelid_ptosis"].placebo_percent is None
    assert "unconfirmed" in rates["eyelid_ptosis"].note


def test_every_rate_has_a_source_and_sane_percentages() -> None:
    for rate in (*LABEL_CM_RATES, *PREEMPT_POOLED_RATES, *COMPEL_TREATMENT_RELATED_RATES):
        assert "§2.7" in rate.source or "§14" in rate.source
        for pct in (rate.botox_percent, rate.placebo_percent):
            assert pct is None or 0 <= pct <= 100
        if rate.symptom is not None:
            assert rate.symptom in SYMPTOMS


def test_pooled_preempt_rates_are_the_confirmed_ones() -> None:
    rates = {r.key: (r.botox_percent, r.placebo_percent) for r in PREEMPT_POOLED_RATES}
    assert rates == {
        "any_adverse_event": (62.4, 51.7),
        "discontinued_for_adverse_event": (3.8, 1.2),
        "neck_pain_treatment_related": (6.7, 2.2),
    }


# --- aftercare --------------------------------------------------------------------


def test_aftercare_is_labelled_by_evidence() -> None:
    by_evidence = {e: [a for a in DEFAULT_AFTERCARE if a.evidence is e] for e in Evidence}
    label_keys = {a.key for a in by_evidence[Evidence.LABEL_GUIDANCE]}
    assert {"warning_signs", "no_driving_if_weak"} <= label_keys
    optional_keys = {a.key for a in by_evidence[Evidence.OPTIONAL_PRECAUTION]}
    assert {"stay_upright", "no_rubbing", "exercise", "heat_and_sun"} <= optional_keys
    # the folklore rules are never presented as label guidance
    assert not label_keys & optional_keys
    assert len({a.key for a in DEFAULT_AFTERCARE}) == len(DEFAULT_AFTERCARE)


def test_label_guidance_comes_first() -> None:
    evidence = [a.evidence for a in DEFAULT_AFTERCARE]
    assert evidence == sorted(evidence, key=lambda e: e is not Evidence.LABEL_GUIDANCE)


def test_evidence_has_a_patient_facing_label() -> None:
    assert "label" in Evidence.LABEL_GUIDANCE.patient_label
    assert "not proven" in Evidence.OPTIONAL_PRECAUTION.patient_label
