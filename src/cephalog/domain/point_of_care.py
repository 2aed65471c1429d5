"""The checks before every treatment session starts (issues 14.3, 14.4, 14.5, 14.7).

Pure Python, the session date passed in. The app gathers the patient's record
(a spec-section-1 Case built on the session date, the toxin exposures with
their products, the previous session's date) and the injector's answers; this
module decides:

- hard stops (refuse, no override): age under the policy minimum, a botulinum
  toxin allergy, infection at the injection sites (recorded or seen today);
- flags, each needing its own physician sign-off before the first site:
  spec section 6's flags evaluated on the session date
  (`policies.eligibility_flags`, the same function as `next_injection.flags`
  of ruleset standard-2, spec 11.4), plus pregnancy and new red-flag symptoms
  reported at the check, and the answer to "any new medicines or illnesses
  since your last treatment?";
- the retreatment interval: before the earliest day only with a structured
  reason (a choice of reasons, the antibody-risk acknowledgement, and text),
  never because a word appears in free text;
- the 400 U per 90 days cap, counting onabotulinumtoxinA units only (spec
  11.5: units of different products are not interchangeable); a recent
  exposure to another product is a flag, not a refusal.

Sources: BOTOX US label §2, §4, §5, §7 and Medication Guide; clinical-reference
§2.2–§2.6, §2.8, §6.5, §11.2; spec/assessment.md sections 6, 9 and 11.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cephalog.domain import dosing
from cephalog.domain.case import Case
from cephalog.domain.criteria import assess_medication_overuse
from cephalog.domain.dosing import RuleResult, RuleStatus
from cephalog.domain.intervals import STANDARD, IntervalRule, weeks_text
from cephalog.domain.policies import RECENT_TOXIN_DAYS, Policy, age_on, eligibility_flags
from cephalog.domain.vocab import (
    DEFAULT_TOXIN_PRODUCT,
    Allergy,
    Condition,
    MedicationClass,
    ToxinProduct,
)
from cephalog.domain.windows import baseline_window

# The interval numbers have one home: cephalog.domain.intervals (IntervalRule).

SRC_INFECTION = (
    "BOTOX US label §4 (contraindication: infection at the injection site); clinical-reference §2.4"
)
SRC_ALLERGY = "BOTOX US label §4 (hypersensitivity to any botulinum toxin); clinical-reference §2.4"
SRC_AGE = "BOTOX US label §1 (adults); clinical-reference §2.1, §2.9"
SRC_FLAGS = (
    "spec/assessment.md section 6 flags on the session date (11.4); clinical-reference §2.5, §2.6"
)
SRC_INTERACTIONS = "BOTOX US label §7 (drug interactions); clinical-reference §2.6"
SRC_TOXIN = (
    "BOTOX US label §5 (units not interchangeable), §7 (other botulinum toxins); "
    "clinical-reference §2.2, §2.6; spec 11.5"
)
SRC_CONDITIONS = "BOTOX US label §5 (neuromuscular disorders, dysphagia, breathing); §8.1 (pregnancy); clinical-reference §2.5"
SRC_RED_FLAGS = (
    "BOTOX US label, boxed warning and Medication Guide; clinical-reference §2.3, §10, §11.6"
)
SRC_INTERVAL = (
    "BOTOX US label (retreatment every 12 weeks); clinical-reference §2.2, §2.8, §6.5, §11.2"
)
SRC_CAP = (
    "BOTOX US label (at most 400 U in a 3-month interval, all indications; units not "
    "interchangeable with other products); clinical-reference §2.2, §14; spec 11.5"
)

#: Flag codes this module adds to spec section 6's.
RED_FLAGS_SINCE_LAST = "red_flags_since_last"
NEW_SINCE_LAST = "new_since_last"


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """What the injector records at the check, before the first site.

    `new_since_last` answers "any new medicines or illnesses since your last
    treatment?" (None: not asked, e.g. at a first session); `new_since_last_note`
    says what, in the patient's words.
    """

    infection_at_sites: bool
    red_flags_since_last: bool
    pregnant: bool
    new_since_last: bool | None = None
    new_since_last_note: str = ""


@dataclass(frozen=True)
class Exposure:
    """Botulinum toxin given on a date: another indication, or a previous session here."""

    date: dt.date
    units: int
    product: str = DEFAULT_TOXIN_PRODUCT.value
    indication: str = ""
    session: bool = False  # one of this clinic's chronic-migraine sessions


def product_of(value: str | None) -> ToxinProduct:
    """A stored product name as the vocabulary's product; blank = onabotulinumtoxinA (11.5)."""
    text = (value or "").strip()
    if not text or text.casefold() in ("botox", "onabotulinumtoxina"):
        return ToxinProduct.ONABOTULINUMTOXINA
    for product in ToxinProduct:
        if product.value.casefold() == text.casefold():
            return product
    return ToxinProduct.OTHER


PRODUCT_LABELS: dict[ToxinProduct, str] = {
    ToxinProduct.ONABOTULINUMTOXINA: "onabotulinumtoxinA (BOTOX)",
    ToxinProduct.ABOBOTULINUMTOXINA: "abobotulinumtoxinA (Dysport)",
    ToxinProduct.INCOBOTULINUMTOXINA: "incobotulinumtoxinA (Xeomin)",
    ToxinProduct.PRABOTULINUMTOXINA: "prabotulinumtoxinA (Jeuveau)",
    ToxinProduct.DAXIBOTULINUMTOXINA: "daxibotulinumtoxinA (Daxxify)",
    ToxinProduct.LETIBOTULINUMTOXINA: "letibotulinumtoxinA (Letybo)",
    ToxinProduct.RIMABOTULINUMTOXINB: "rimabotulinumtoxinB (Myobloc)",
    ToxinProduct.OTHER: "another botulinum toxin product",
}


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
    if code == "recent_toxin_exposure":
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
        detail += (
            ". A second toxin before the first has worn off may worsen weakness." if parts else ""
        )
        if other_product:
            detail += (
                " Units of different products are not interchangeable: another product's "
                "units are not added to the 400 U cap; judge the combined effect."
            )
        return Finding(
            code, f"Botulinum toxin in the last {RECENT_TOXIN_DAYS} days", detail, SRC_TOXIN
        )
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


# --- the interval ----------------------------------------------------------------------------


class EarlyReason(StrEnum):
    """Why a session is given before the earliest day (clinical-reference §2.8, §6.5)."""

    UNAVAILABLE = "unavailable"
    WEARING_OFF = "wearing_off"
    CLINIC_CAPACITY = "clinic_capacity"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            EarlyReason.UNAVAILABLE: "The patient cannot come on or after the earliest day "
            "(travel, surgery, work)",
            EarlyReason.WEARING_OFF: "Marked wearing-off before the due date",
            EarlyReason.CLINIC_CAPACITY: "The clinic cannot treat on or after the earliest day",
            EarlyReason.OTHER: "Another reason (explain below)",
        }[self]


ANTIBODY_ACKNOWLEDGEMENT = (
    "Short intervals between injections may favour neutralising antibodies that stop the "
    "treatment working; this was considered and discussed with the patient."
)


@dataclass(frozen=True)
class EarlyInjection:
    """A structured reason for injecting before the earliest day."""

    reason: EarlyReason | None
    antibody_risk_acknowledged: bool
    note: str

    def problems(self) -> list[str]:
        out = []
        if self.reason is None:
            out.append("Choose why the session is before the earliest day.")
        if not self.antibody_risk_acknowledged:
            out.append("Confirm the antibody risk was considered.")
        if not self.note.strip():
            out.append("Say in a few words why it cannot wait.")
        return out

    def text(self) -> str:
        reason = self.reason.label if self.reason else "no reason chosen"
        return f"{reason}; {self.note.strip()}; antibody risk considered"


def earliest_day(last_session: dt.date | None, rule: IntervalRule = STANDARD) -> dt.date | None:
    return None if last_session is None else rule.earliest_on(last_session)


def due_day(last_session: dt.date | None, rule: IntervalRule = STANDARD) -> dt.date | None:
    return None if last_session is None else rule.due_on(last_session)


def check_interval(
    last_session: dt.date | None,
    on: dt.date,
    clinic_minimum_days: int,
    early: EarlyInjection | None = None,
    *,
    interval: IntervalRule | None = None,
) -> RuleResult:
    """Is `on` an acceptable retreatment date? (clinical-reference §2.2, §2.8, §6.5, §11.2)

    The numbers are `interval`'s (domain.intervals: the due day after the
    continuation decisions, the policy's earliest day, the clinic's minimum,
    never after the earliest day); without one, the standard 84/77 with
    `clinic_minimum_days`.

    - no previous session: ok;
    - not after the last session, or under the clinic minimum: refused;
    - on or after the due day: ok;
    - from the earliest day: a warning;
    - before the earliest day: needs a structured reason (a choice, the
      antibody-risk acknowledgement and text); with a complete one: overridden.
    Messages are plain words for the session page.
    """
    rule = "retreatment_interval"
    if clinic_minimum_days < 0:
        raise ValueError(f"clinic_minimum_days: must not be negative, got {clinic_minimum_days}")
    if interval is None:
        interval = IntervalRule(minimum_days=max(clinic_minimum_days, 1))
    clinic_minimum_days = interval.minimum
    if last_session is None:
        return RuleResult(rule, RuleStatus.OK, "First session: no interval applies.", SRC_INTERVAL)
    days = (on - last_session).days
    due = interval.due_on(last_session)
    earliest = interval.earliest_on(last_session)
    since = f"{days} days since the last session on {_date(last_session)}"
    if days <= 0:
        return RuleResult(
            rule,
            RuleStatus.REFUSED,
            f"Today is not after the last session on {_date(last_session)}.",
            SRC_INTERVAL,
        )
    if days < clinic_minimum_days:
        return RuleResult(
            rule,
            RuleStatus.REFUSED,
            f"Too early: {since}. This clinic never treats sooner than {clinic_minimum_days} "
            f"days; the due date is {_date(due)}.",
            SRC_INTERVAL,
        )
    if on >= due:
        return RuleResult(
            rule, RuleStatus.OK, f"{since}: due ({weeks_text(interval.due_days)}).", SRC_INTERVAL
        )
    if on >= earliest:
        return RuleResult(
            rule,
            RuleStatus.WARNING,
            f"{since}: before the due date {_date(due)} but on or after the earliest day "
            f"{_date(earliest)}; some payers allow no less than 84 days.",
            SRC_INTERVAL,
        )
    if early is not None and not early.problems():
        return RuleResult(
            rule,
            RuleStatus.OVERRIDDEN,
            f"{since}: before the earliest day {_date(earliest)}, given for this reason: "
            f"{early.text()}.",
            SRC_INTERVAL,
        )
    return RuleResult(
        rule,
        RuleStatus.NEEDS_OVERRIDE,
        f"Too early: {since}; the earliest day is {_date(earliest)} (due date "
        f"{_date(due)}). To go ahead, choose a reason, confirm the antibody risk was "
        "considered and explain.",
        SRC_INTERVAL,
    )


# --- the cumulative cap ------------------------------------------------------------------------


def cap_exposures(exposures: Iterable[Exposure]) -> list[tuple[dt.date, int]]:
    """The doses that count toward the 400 U cap: onabotulinumtoxinA only (spec 11.5)."""
    return [
        (e.date, e.units)
        for e in exposures
        if product_of(e.product) is ToxinProduct.ONABOTULINUMTOXINA
    ]


def check_cap(exposures: Iterable[Exposure], on: dt.date, units: int) -> RuleResult:
    """At most 400 U of onabotulinumtoxinA in any 90 days, all indications; no override.

    Another product's units are never added (they are not interchangeable);
    a recent exposure to one is a flag for the physician instead.
    """
    result = dosing.check_cumulative_dose(cap_exposures(exposures), on, units)
    message = _ISO_DATE.sub(lambda m: _date(dt.date.fromisoformat(m[0])), result.message)
    return RuleResult(result.rule, result.status, message, SRC_CAP)


_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


__all__ = [
    "ANTIBODY_ACKNOWLEDGEMENT",
    "Answers",
    "EarlyInjection",
    "EarlyReason",
    "Exposure",
    "Finding",
    "cap_exposures",
    "check_cap",
    "check_interval",
    "due_day",
    "earliest_day",
    "hard_stops",
    "product_of",
    "session_flags",
]
