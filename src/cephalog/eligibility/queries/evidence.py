"""The evidence rows of a screening: windows, preventives, overuse, flags, criteria; the gate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cephalog.domain.criteria import multiple_holds
from cephalog.domain.policies import preventive_key
from cephalog.domain.rulesets import Rules
from cephalog.domain.vocab import FAILED_OUTCOMES, MULTIPLE_THRESHOLD, OVERUSE_THRESHOLDS
from cephalog.domain.windows import MIN_RECORDED_DAYS, WINDOW_DAYS, Window
from cephalog.eligibility import texts
from cephalog.eligibility.models import FlagSignOff, Preventive
from cephalog.patients.models import Patient


def window_evidence(window: Window, label: str, rules: Rules) -> dict[str, Any]:
    """A window object (spec section 3) with its label and diary compliance."""
    data = window.to_dict(rules.one_decimal)
    data["label"] = label
    data["start_date"] = window.start
    data["end_date"] = window.end
    data["compliance_pct"] = round(window.recorded_days * 100 / WINDOW_DAYS)
    data["days"] = WINDOW_DAYS
    data["needed"] = MIN_RECORDED_DAYS
    return data


@dataclass(frozen=True)
class PreventiveRow:
    """One recorded preventive, and whether the failed-preventives count includes it."""

    preventive: Preventive
    trial_days: int | None
    counted: bool
    why: str


@dataclass(frozen=True)
class OveruseRow:
    """Per-28 days of one acute class in the three overuse windows, oldest first."""

    label: str
    threshold: int
    rates: list[float | None]
    qualifies: bool


@dataclass(frozen=True)
class FlagRow:
    text: texts.CodeText
    sign_off: FlagSignOff | None

    @property
    def signed(self) -> bool:
        return self.sign_off is not None


@dataclass(frozen=True)
class CriterionRow:
    code: str
    title: str
    met: bool | None
    detail: str
    source: str
    anchor: str


@dataclass(frozen=True)
class Gate:
    """May a treatment session start? (for `treatment.actions.start_session`)

    - `allowed`: a physician's StartDecision covers the current screening and
      there is no hard stop.
    - `needs_override`: a criterion is not met or unknown, or a flag is not
      signed off; a decision to start must then carry an override reason.
    - `hard_stops`: never overridable; `allowed` is then always False.
    - `reasons`: why it is not (or only by override) allowed, in words.
    """

    allowed: bool
    needs_override: bool
    hard_stops: list[str]
    reasons: list[str]
    status: str
    policy: str = ""
    decision_id: int | None = None
    policy_label: str = ""  # the policy's name on staff pages ("NICE TA260"), not its key


def trial_days(preventive: Preventive, on: dt.date) -> int | None:
    """Days from start to stop (or to `on` while it is still taken); None without a start."""
    if preventive.start is None:
        return None
    end = preventive.stop or on
    return max((end - preventive.start).days, 0)


def preventive_rows(
    patient: Patient, as_of: dt.date, on: dt.date, by_drug: bool = False
) -> list[PreventiveRow]:
    """Each preventive with the spec section 6 verdict: failed, started by `as_of`, by name
    (standard-1) or by drug (standard-2, spec section 11.3: "Propranolol MR 80 mg" = propranolol)."""
    rows = []
    seen: set[str] = set()
    for p in patient.preventives.all():
        key = preventive_key(p.name, by_drug)
        if p.outcome not in FAILED_OUTCOMES:
            counted, why = False, f"not counted: {p.get_outcome_display().lower()}"
        elif p.start is not None and p.start > as_of:
            counted, why = False, f"not counted: started after {as_of:%-d %b %Y}"
        elif key in seen:
            counted, why = (
                False,
                "same drug as above: counted once"
                if by_drug
                else "same name as above: counted once",
            )
        else:
            counted, why = True, "counted"
            seen.add(key)
        rows.append(PreventiveRow(p, trial_days(p, on), counted, why))
    return rows


def overuse_rows(windows: tuple[Window, ...], rules: Rules) -> list[OveruseRow]:
    """The overuse screen's figures (spec section 5) for the classes taken, and "multiple"
    (under standard-2 with at least two classes in each window, spec section 11.2)."""
    round1 = rules.one_decimal
    rows = []
    taken = {cls for window in windows for cls, _ in window.by_class}
    for drug_class, threshold in OVERUSE_THRESHOLDS.items():
        if drug_class not in taken:
            continue
        rates = [window.class_rate(drug_class) for window in windows]
        rows.append(
            OveruseRow(
                drug_class.replace("_", " "),
                threshold,
                [None if r is None else round1(r) for r in rates],
                all(r is not None and r >= threshold for r in rates),
            )
        )
    totals = [window.overuse_rate() for window in windows]
    label = "any of these (multiple)"
    if rules.ruleset.multiple_needs_two_classes:
        label = "any of these, 2 or more classes (multiple)"
    rows.append(
        OveruseRow(
            label,
            MULTIPLE_THRESHOLD,
            [None if r is None else round1(r) for r in totals],
            all(multiple_holds(window, rules) for window in windows),
        )
    )
    return rows
