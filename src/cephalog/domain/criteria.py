"""Diagnostic screens from the diary: chronic migraine and medication overuse.

Chronic migraine is spec section 4 (ICHD-3 1.3, clinical reference 3.3);
medication overuse is spec section 5 (ICHD-3 8.2, clinical reference 3.5).
Both read the baseline window B and the two 28-day windows before it:
`[B.start-28, B.start-1]` and `[B.start-56, B.start-29]`.

Both take `rules` (`cephalog.domain.rulesets.Rules`): the day definition
the windows were counted with, whether texts name it, how one-decimal
values print, and (standard-2) the two-class "multiple" rule. The default,
`LEGACY`, is standard-1 exactly as released.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cephalog.domain.diary import DiaryDay
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.domain.vocab import MULTIPLE, MULTIPLE_THRESHOLD, OVERUSE_THRESHOLDS
from cephalog.domain.windows import MIN_RECORDED_DAYS, WINDOW_DAYS, Window, round1, windows_before

#: Headache days and migraine days per 28 for chronic migraine (spec section 4).
CM_HEADACHE_DAYS = 15
CM_MIGRAINE_DAYS = 8
#: "More than 3 months": chronic headache since at least this many days before B's end.
CM_DURATION_DAYS = 90
#: Headache days per 28 in B for medication-overuse headache (spec section 5).
MOH_HEADACHE_DAYS = 15
#: Number of consecutive windows, B included, over which overuse must hold (spec section 5).
MOH_WINDOWS = 3


@dataclass(frozen=True, slots=True)
class ChronicMigraine:
    """Result of the chronic migraine screen (spec section 4).

    `met` is True, False, or None when the diary cannot tell.
    """

    met: bool | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The `chronic_migraine` object of the assessment (spec section 10)."""
        return {"met": self.met, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class MedicationOveruse:
    """Result of the medication-overuse screen (spec section 5).

    `classes` lists the overused classes (sorted), or `("multiple",)` when
    only the total of overuse-counted days qualifies; it is filled whenever
    overuse holds in all three windows, even when `met` is False because B
    has fewer than 15 headache days per 28.
    """

    met: bool | None
    classes: tuple[str, ...]
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The `medication_overuse` object of the assessment (spec section 10)."""
        return {"met": self.met, "classes": list(self.classes), "detail": self.detail}


def fmt(value: Fraction | None) -> str:
    """An exact rate as the one-decimal text clinicians see ("20.5"); "n/a" for None."""
    return "n/a" if value is None else f"{round1(value):.1f}"


def not_evaluable_text(window: Window) -> str:
    """Why a window cannot be used, e.g. `2026-01-04 to 2026-01-31 has 12 of 28 days recorded`."""
    return (
        f"{window.label()} has {window.recorded_days} of {WINDOW_DAYS} days recorded, "
        f"{MIN_RECORDED_DAYS} needed"
    )


def _meets_cm_frequency(window: Window) -> bool:
    headache = window.rate("headache_days")
    migraine = window.rate("migraine_days")
    return (
        headache is not None
        and migraine is not None
        and headache >= CM_HEADACHE_DAYS
        and migraine >= CM_MIGRAINE_DAYS
    )


def _frequency_text(window: Window, rules: Rules = LEGACY) -> str:
    text = (
        f"{rules.fmt(window.rate('headache_days'))} headache days, "
        f"{rules.fmt(window.rate('migraine_days'))} migraine days per 28"
    )
    return f"{rules.definition} definition: {text}" if rules.named else text


def assess_chronic_migraine(
    days: Mapping[dt.date, DiaryDay],
    baseline: Window,
    chronic_headache_since: dt.date | None,
    rules: Rules = LEGACY,
) -> ChronicMigraine:
    """Chronic migraine from the diary (spec section 4; ICHD-3 1.3).

    1. B not evaluable → None.
    2. Per-28 headache days < 15 or migraine days < 8 in B → False.
    3. Duration over 3 months: with `chronic_headache_since`, True when it
       is at least 90 days before B's end, else False; without it, True when
       the two windows before B are both evaluable and each meets 15/8,
       else None.

    `baseline` must have been counted with `rules.definition`; the windows
    before it are counted with it too.
    """
    if not baseline.evaluable:
        return ChronicMigraine(None, f"baseline not evaluable: {not_evaluable_text(baseline)}")
    frequency = _frequency_text(baseline, rules)
    if not _meets_cm_frequency(baseline):
        return ChronicMigraine(
            False,
            f"{frequency}; at least {CM_HEADACHE_DAYS} and {CM_MIGRAINE_DAYS} needed",
        )
    if chronic_headache_since is not None:
        since = chronic_headache_since.isoformat()
        if chronic_headache_since <= baseline.end - dt.timedelta(days=CM_DURATION_DAYS):
            return ChronicMigraine(True, f"{frequency}; chronic since {since}")
        return ChronicMigraine(
            False,
            f"{frequency}; chronic only since {since}, less than {CM_DURATION_DAYS} days "
            f"before {baseline.end.isoformat()}",
        )
    before = windows_before(days, baseline, 2, rules.definition)
    if all(_meets_cm_frequency(window) for window in before):
        labels = " and ".join(window.label() for window in reversed(before))
        return ChronicMigraine(
            True,
            f"{frequency}; {CM_HEADACHE_DAYS} and {CM_MIGRAINE_DAYS} also met in {labels}",
        )
    problems = []
    for window in reversed(before):
        if not window.evaluable:
            problems.append(not_evaluable_text(window))
        elif not _meets_cm_frequency(window):
            problems.append(f"{window.label()} has {_frequency_text(window, rules)}")
    return ChronicMigraine(
        None,
        f"{frequency}; duration over 3 months not established "
        f"(no chronic_headache_since; {'; '.join(problems)})",
    )


def _rates_text(rates: Sequence[Fraction | None], rules: Rules = LEGACY) -> str:
    return "/".join(rules.fmt(rate) for rate in rates)


def multiple_holds(window: Window, rules: Rules = LEGACY) -> bool:
    """ "Multiple" in one window (spec section 5; section 11.2 under standard-2).

    Per-28 days with any of the five overuse-counted classes >= 10; under
    standard-2 also at least two different of those classes taken in the
    window (ICHD-3 8.2.6: a combination of classes), so one class alone
    below its own threshold is never overuse.
    """
    rate = window.overuse_rate()
    if rate is None or rate < MULTIPLE_THRESHOLD:
        return False
    return not rules.ruleset.multiple_needs_two_classes or len(window.overuse_classes_taken) >= 2


def _overused_classes(windows: Sequence[Window], rules: Rules) -> tuple[str, ...]:
    """The classes at their threshold in every window, else ("multiple",) if that holds."""
    overused = []
    for drug_class, threshold in OVERUSE_THRESHOLDS.items():
        rates = [window.class_rate(drug_class) for window in windows]
        if all(rate is not None and rate >= threshold for rate in rates):
            overused.append(drug_class)
    multiple = all(multiple_holds(window, rules) for window in windows)
    return tuple(sorted(overused)) if overused else ((MULTIPLE,) if multiple else ())


def _overuse_text(classes: Sequence[str], windows: Sequence[Window], rules: Rules) -> str:
    """Each overused class (or "multiple") with its per-28 days in each window."""
    totals = [window.overuse_rate() for window in windows]
    parts = []
    for code in classes:
        if code == MULTIPLE:
            rates = totals
            threshold = MULTIPLE_THRESHOLD
            name = "any of " + ", ".join(OVERUSE_THRESHOLDS)
            if rules.ruleset.multiple_needs_two_classes:
                name += " (2 or more of them in each window)"
        else:
            rates = [window.class_rate(code) for window in windows]
            threshold = OVERUSE_THRESHOLDS[code]
            name = code
        parts.append(f"{name} on {_rates_text(rates, rules)} days per 28 (>= {threshold})")
    return "; ".join(parts)


def _baseline_use_text(baseline: Window, rules: Rules) -> str:
    counted = {cls: rate for cls in OVERUSE_THRESHOLDS if (rate := baseline.class_rate(cls))}
    if counted:
        used = ", ".join(f"{cls} {rules.fmt(rate)}" for cls, rate in sorted(counted.items()))
        return f"baseline days per 28: {used}"
    return "no overuse-counted medication in baseline"


def assess_medication_overuse(
    days: Mapping[dt.date, DiaryDay], baseline: Window, rules: Rules = LEGACY
) -> MedicationOveruse:
    """Medication-overuse screen over B and the two windows before it (spec section 5).

    Any of the three windows not evaluable → None. A class is overused
    when its per-28 days reach its threshold (simple analgesic 15; triptan,
    ergot, opioid, combination analgesic 10) in all three windows;
    "multiple" when the per-28 days with any of those five classes reach 10
    in all three. `met` is True when B has >= 15 headache days per 28 and a
    class (or "multiple") qualifies. Gepant, ditan and other days do not
    count. Under standard-2, "multiple" also needs two classes in each
    window (`multiple_holds`).
    """
    windows = (
        *reversed(windows_before(days, baseline, MOH_WINDOWS - 1, rules.definition)),
        baseline,
    )
    span = f"the {MOH_WINDOWS} windows from {windows[0].start.isoformat()} to {baseline.end.isoformat()}"
    missing = [window for window in windows if not window.evaluable]
    if missing:
        return MedicationOveruse(
            None,
            (),
            "not assessable: " + "; ".join(not_evaluable_text(window) for window in missing),
        )

    classes = _overused_classes(windows, rules)

    headache = baseline.rate("headache_days")
    enough_headache = headache is not None and headache >= MOH_HEADACHE_DAYS
    headache_text = f"{rules.fmt(headache)} {rules.days('headache days')} per 28 in baseline"
    if classes:
        overuse_text = _overuse_text(classes, windows, rules) + f" in {span}"
        if enough_headache:
            return MedicationOveruse(True, classes, f"{overuse_text}; {headache_text}")
        return MedicationOveruse(
            False,
            classes,
            f"{overuse_text}, but only {headache_text}, {MOH_HEADACHE_DAYS} needed",
        )

    baseline_text = _baseline_use_text(baseline, rules)
    return MedicationOveruse(
        False,
        (),
        f"no class at its threshold in all of {span} ({baseline_text})",
    )
