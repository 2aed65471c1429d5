"""Hard stops and flags before a session (issues 14.3, 14.4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cephalog.domain.case import Case
from cephalog.domain.criteria import assess_medication_overuse
from cephalog.domain.point_of_care.inputs import (
    NEW_SINCE_LAST,
    PRODUCT_LABELS,
    RED_FLAGS_SINCE_LAST,
    SRC_AGE,
    SRC_ALLERGY,
    SRC_CONDITIONS,
    SRC_INFECTION,
    SRC_INTERACTIONS,
    SRC_RED_FLAGS,
    SRC_TOXIN,
    Answers,
    Exposure,
    product_of,
)
from cephalog.domain.policies import RECENT_TOXIN_DAYS, Policy, age_on, eligibility_flags
from cephalog.domain.vocab import (
    Allergy,
    Condition,
    MedicationClass,
    ToxinProduct,
)
from cephalog.domain.windows import baseline_window

# --- hard stops and flags --------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A hard stop or a flag, in words for the clinician, with its source."""

    code: str
    label: str
    detail: str
    source: str


_CONDITION_LABELS = {
    Condition.MYASTHENIA_GRAVIS: "Myasthenia gravis",
    Condition.LAMBERT_EATON: "Lambert–Eaton syndrome",
    Condition.ALS: "Amyotrophic lateral sclerosis",
    Condition.MOTOR_NEUROPATHY: "Motor neuropathy",
    Condition.DYSPHAGIA: "Swallowing problems (dysphagia)",
    Condition.RESPIRATORY_COMPROMISE: "Compromised breathing",
    Condition.PREGNANCY: "Pregnancy (or possible pregnancy)",
    Condition.BREASTFEEDING: "Breastfeeding",
    Condition.IMMUNOCOMPROMISED: "Weakened immune system",
    Condition.MULTIPLE_SCLEROSIS: "Multiple sclerosis",
    Condition.CEREBRAL_PALSY: "Cerebral palsy",
}
_CLASS_LABELS = {
    MedicationClass.AMINOGLYCOSIDE: "aminoglycoside antibiotic",
    MedicationClass.NEUROMUSCULAR_BLOCKER: "neuromuscular blocker",
    MedicationClass.ANTICHOLINERGIC: "anticholinergic",
    MedicationClass.MUSCLE_RELAXANT: "muscle relaxant",
}
_CLASS_EFFECT = {
    MedicationClass.AMINOGLYCOSIDE: "may strengthen the toxin's effect",
    MedicationClass.NEUROMUSCULAR_BLOCKER: "may strengthen the toxin's effect",
    MedicationClass.ANTICHOLINERGIC: "may add to anticholinergic effects",
    MedicationClass.MUSCLE_RELAXANT: "may exaggerate weakness",
}


def _date(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


def hard_stops(case: Case, on: dt.date, answers: Answers, policy: Policy) -> tuple[Finding, ...]:
    """What refuses the session on `on` whatever reason is given (spec section 6 hard stops)."""
    found: list[Finding] = []
    if age_on(case.patient.birth_date, on) < policy.minimum_age:
        found.append(
            Finding(
                f"age_under_{policy.minimum_age}",
                f"Under {policy.minimum_age}",
                f"The label's chronic-migraine indication is for adults "
                f"({policy.minimum_age} or older).",
                SRC_AGE,
            )
        )
    if Allergy.BOTULINUM_TOXIN in case.allergies:
        found.append(
            Finding(
                "toxin_hypersensitivity",
                "Allergy to botulinum toxin",
                "A known allergy to any botulinum toxin product: do not inject.",
                SRC_ALLERGY,
            )
        )
    if answers.infection_at_sites or Condition.INJECTION_SITE_INFECTION in case.conditions:
        found.append(
            Finding(
                "injection_site_infection",
                "Infection at the injection sites",
                "Infection at the injection sites today: do not inject.",
                SRC_INFECTION,
            )
        )
    return tuple(found)


def session_flags(
    case: Case,
    on: dt.date,
    policy: Policy,
    answers: Answers,
    *,
    exposures: Sequence[Exposure] = (),
    last_session: dt.date | None = None,
) -> tuple[Finding, ...]:
    """Every flag of the session on `on`, each to be signed off on its own.

    Spec section 6's flags computed with `on` in place of `as_of` (as
    `next_injection.flags`, spec 11.4): conditions, interacting medicines
    current on `on`, any toxin exposure in the 90 days before it (any
    product), medication overuse under policies other than nice-ta260; plus
    pregnancy and new red flags answered at the check, and new medicines or
    illnesses since the last treatment. `case` is built on `on`.
    """
    days = case.days
    overuse = assess_medication_overuse(days, baseline_window(days, case.injection_dates, on))
    codes = list(eligibility_flags(case, on, overuse, policy))
    if answers.pregnant and Condition.PREGNANCY not in codes:
        codes.append(Condition.PREGNANCY.value)
    if answers.red_flags_since_last:
        codes.append(RED_FLAGS_SINCE_LAST)
    if answers.new_since_last:
        codes.append(NEW_SINCE_LAST)
    return tuple(
        _describe(code, case, on, answers, exposures, last_session) for code in sorted(set(codes))
    )


def _describe(
    code: str,
    case: Case,
    on: dt.date,
    answers: Answers,
    exposures: Sequence[Exposure],
    last_session: dt.date | None,
) -> Finding:
    if code.startswith("interacting_medication:"):
        return _interacting_medication(code, case, on, last_session)
    if code == "recent_toxin_exposure":
        return _recent_toxin(code, on, exposures)
    if code == "medication_overuse":
        return Finding(
            code,
            "Medication overuse",
            "The diary screen shows medication overuse (ICHD-3 8.2).",
            "spec/assessment.md section 5, 6",
        )
    if code == RED_FLAGS_SINCE_LAST:
        return Finding(
            code,
            "Red-flag symptoms since the last session",
            "Trouble swallowing, speaking or breathing, weakness all over, vision or voice "
            "changes, drooping eyelids or loss of bladder control since the last treatment: "
            "possible spread of toxin effect.",
            SRC_RED_FLAGS,
        )
    if code == NEW_SINCE_LAST:
        note = answers.new_since_last_note.strip()
        return Finding(
            code,
            "New medicines or illnesses since the last treatment",
            (f"The patient said: {note}. " if note else "")
            + "Check each one is in the record and whether it interacts.",
            SRC_INTERACTIONS + "; " + SRC_CONDITIONS,
        )
    if code == Condition.PREGNANCY and answers.pregnant:
        return Finding(
            code,
            _CONDITION_LABELS[Condition.PREGNANCY],
            "The patient is or may be pregnant; there are no adequate human data.",
            SRC_CONDITIONS,
        )
    try:
        label = _CONDITION_LABELS[Condition(code)]
    except (ValueError, KeyError):
        label = code.replace("_", " ").capitalize()
    return Finding(
        code,
        label,
        "Recorded condition: higher risk of clinically significant weakness, swallowing or "
        "breathing problems; monitor closely.",
        SRC_CONDITIONS,
    )


def _interacting_medication(
    code: str, case: Case, on: dt.date, last_session: dt.date | None
) -> Finding:
    drug_class = MedicationClass(code.split(":", 1)[1])
    names = []
    for m in case.medications:
        if m.drug_class == drug_class and m.current_on(on):
            text = m.name or _CLASS_LABELS[drug_class]
            if m.start is not None:
                text += f" since {_date(m.start)}"
                if last_session is not None and m.start > last_session:
                    text += " (started after the last session)"
            names.append(text)
    return Finding(
        code,
        f"Interacting medicine: {_CLASS_LABELS[drug_class]}",
        f"{'; '.join(names)}: {_CLASS_EFFECT[drug_class]}.",
        SRC_INTERACTIONS,
    )


def _recent_toxin(code: str, on: dt.date, exposures: Sequence[Exposure]) -> Finding:
    earliest = on - dt.timedelta(days=RECENT_TOXIN_DAYS)
    recent = [e for e in exposures if not e.session and earliest <= e.date < on]
    parts = []
    other_product = False
    for e in sorted(recent, key=lambda e: e.date):
        product = product_of(e.product)
        other_product |= product is not ToxinProduct.ONABOTULINUMTOXINA
        where = f" for {e.indication}" if e.indication else ""
        parts.append(f"{e.units} U of {PRODUCT_LABELS[product]}{where} on {_date(e.date)}")
    detail = "; ".join(parts) or f"Botulinum toxin within {RECENT_TOXIN_DAYS} days."
    detail += ". A second toxin before the first has worn off may worsen weakness." if parts else ""
    if other_product:
        detail += (
            " Units of different products are not interchangeable: another product's "
            "units are not added to the 400 U cap; judge the combined effect."
        )
    return Finding(code, f"Botulinum toxin in the last {RECENT_TOXIN_DAYS} days", detail, SRC_TOXIN)
