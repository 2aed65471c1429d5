"""Reads composed for the diary pages: the patient's home and calendar, the clinic's
overview. Each page loads the days it needs in one read (`queries.diary_days`) and
computes everything else with the domain rules, so the pages count exactly as
`cephalog assess` does."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import QuerySet

from cephalog.accounts.rules_queries import clinic_rules
from cephalog.diary.models import DiaryEntryRevision
from cephalog.diary.queries import ClassifiedDay, diary_days
from cephalog.domain.criteria import MedicationOveruse, assess_medication_overuse
from cephalog.domain.diary import DiaryDay, classify_day
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.domain.windows import WINDOW_DAYS, Window, compute_window, window_ending
from cephalog.patients.models import Patient
from cephalog.patients.queries import DaysFilled, DiaryBegan, diary_began, diary_start

ONE_DAY = dt.timedelta(days=1)
#: The overuse screen reads the window and the two before it (spec section 5).
OVERUSE_SPAN_DAYS = 3 * WINDOW_DAYS


@dataclass(frozen=True)
class DayClass:
    """How a class of day is shown: a symbol and words, never colour alone."""

    code: str
    symbol: str
    label: str


DAY_CLASSES: dict[str, DayClass] = {
    c.code: c
    for c in (
        DayClass("free", "✓", "No headache"),
        DayClass("minor", "h", "Shorter headache (not a headache day)"),
        DayClass("headache", "H", "Headache day"),
        DayClass("migraine", "M", "Migraine day"),
        DayClass("unrecorded", "?", "Not filled in"),
    )
}
#: A day before the patient's diary began (before she joined): blank, and not in the key.
BEFORE_DIARY = DayClass("before", "", "before your diary began")
#: Such a day still inside her backfill window: open like any day she may fill in, yet not
#: a missed day (no "?"), and in the key only when the month shows one.
BEFORE_DIARY_OPEN = DayClass("before-open", "", "before your diary began; you can still fill it in")
#: The same days on the clinic's pages, in the clinic's words: before the patient joined,
#: or before the first day recorded when the diary began earlier (see `DiaryBegan`).
BEFORE_JOINING_CLINIC = DayClass("before", "", "before the patient joined")
BEFORE_DIARY_CLINIC = DayClass("before", "", "before the diary began")


def classified(
    days: Mapping[dt.date, DiaryDay], date: dt.date, rules: Rules = LEGACY
) -> ClassifiedDay:
    day = days.get(date)
    return ClassifiedDay(
        date, day, classify_day(day, rules.definition, rules.named) if day else None
    )


def rules_of(patient: Patient) -> Rules:
    """The clinic's ruleset and its default policy's day definition (spec section 11)."""
    return clinic_rules(patient.clinic)


def oldest_editable(patient: Patient, today: dt.date) -> dt.date:
    """The first date a patient may still fill in (the clinic's backfill window)."""
    return today - dt.timedelta(days=patient.clinic.backfill_days)


@dataclass(frozen=True)
class CalendarCell:
    date: dt.date
    entry: ClassifiedDay
    is_today: bool
    is_future: bool
    editable: bool
    #: before the diary began and not filled in: never the patient's to fill in
    before: bool = False
    #: how such a day is shown: in the patient's words, or the clinic's
    before_kind: DayClass = BEFORE_DIARY
    #: on the patient's own calendar, how such a day she may still fill in is shown; and
    #: such a day she may not is a plain blank, opening no page. None on the clinic's
    #: pages, where every past day opens.
    before_open: DayClass | None = None

    @property
    def kind(self) -> DayClass:
        if not self.before:
            return DAY_CLASSES[self.entry.css_class]
        if self.editable and self.before_open is not None:
            return self.before_open
        return self.before_kind

    @property
    def opens(self) -> bool:
        """The cell links to its day page (where the page links days at all)."""
        if self.is_future:
            return False
        return not self.before or self.editable or self.before_open is None

    @property
    def css_class(self) -> str:
        return "future" if self.is_future else self.kind.code

    @property
    def medicated(self) -> bool:
        c = self.entry.classification
        return bool(c and c.acute_medication_day)


@dataclass(frozen=True)
class MonthCalendar:
    month: dt.date  # the first of the month
    weeks: list[list[CalendarCell | None]]  # Monday first; None pads the first and last week
    previous: dt.date
    next: dt.date | None  # None when the next month is still in the future

    @property
    def param(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def before_open(self) -> DayClass | None:
        """How a day before the diary began that she may still fill in is shown, when the
        month shows one (the key then names it)."""
        for week in self.weeks:
            for cell in week:
                if cell and cell.before and cell.opens and cell.before_open is not None:
                    return cell.before_open
        return None


def parse_month(value: str | None, today: dt.date) -> dt.date:
    """`YYYY-MM` as the first of that month; today's month when missing, malformed or future."""
    this_month = today.replace(day=1)
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        first = dt.date(year, month, 1)
    except ValueError:
        return this_month
    return min(first, this_month) if first.year >= 1900 else this_month


def month_bounds(first: dt.date) -> tuple[dt.date, dt.date]:
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_calendar(
    days: Mapping[dt.date, DiaryDay],
    first: dt.date,
    today: dt.date,
    editable_from: dt.date | None,
    rules: Rules = LEGACY,
    diary_from: dt.date | None = None,
    before_kind: DayClass = BEFORE_DIARY,
    before_open: DayClass | None = None,
) -> MonthCalendar:
    """The month of `first`, cell by cell; `editable_from` None means any past day.
    Unrecorded days before `diary_from` (the diary's first day) are shown blank, named
    as `before_kind` says; with `before_open` (the patient's calendar) those she may still
    fill in are shown open, and the others open no page."""
    weeks: list[list[CalendarCell | None]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        row: list[CalendarCell | None] = []
        for date in week:
            if date.month != first.month:
                row.append(None)
                continue
            future = date > today
            entry = classified(days, date, rules)
            row.append(
                CalendarCell(
                    date=date,
                    entry=entry,
                    is_today=date == today,
                    is_future=future,
                    editable=not future and (editable_from is None or date >= editable_from),
                    before=diary_from is not None and date < diary_from and entry.day is None,
                    before_kind=before_kind,
                    before_open=before_open,
                )
            )
        weeks.append(row)
    previous = (first - ONE_DAY).replace(day=1)
    following = (month_bounds(first)[1] + ONE_DAY).replace(day=1)
    return MonthCalendar(
        month=first,
        weeks=weeks,
        previous=previous,
        next=following if following <= today else None,
    )


def clinic_before_kind(began: DiaryBegan) -> DayClass:
    """How the clinic's pages name a day before the diary began."""
    return BEFORE_JOINING_CLINIC if began.joined else BEFORE_DIARY_CLINIC


@dataclass(frozen=True)
class FilledIn:
    """A window's days filled in, over the days since the diary began when it began inside
    the window: the days before were never the patient's to fill in. Only what a page says
    about compliance: the window itself (recorded days, evaluability, rates) is the
    clinical rules' and is unchanged."""

    window: Window
    first_day: dt.date  # the window's first day, or the diary's first day when later

    @property
    def days(self) -> int:
        """The days she could have filled in: the window's, since the diary began."""
        return (self.window.end - self.first_day).days + 1

    @property
    def compliance(self) -> int:
        return DaysFilled(recorded=self.window.recorded_days, days=self.days).compliance

    @property
    def cut(self) -> bool:
        """The window was cut short by the diary's start."""
        return self.first_day > self.window.start


def filled_in(window: Window, began: DiaryBegan) -> FilledIn:
    return FilledIn(window=window, first_day=began.first_day_in(window.start, window.end))


@dataclass(frozen=True)
class PatientCounts(FilledIn):
    """The patient's last 28 days (the window, today included), filled in over the days
    since her diary began when it began inside them."""

    joined: bool  # the diary began the day she joined (not with days typed in from before)
    #: the clinic's day definition (spec section 11.1): "What do these mean?" says that one
    definition: str = "label"

    @property
    def since(self) -> str:
        """Words for a window cut short by the diary's start, or "" for a whole window."""
        if not self.cut:
            return ""
        return "since you joined" if self.joined else "since your diary began"


def patient_counts(
    patient: Patient, days: Mapping[dt.date, DiaryDay], today: dt.date, rules: Rules
) -> PatientCounts:
    """The last 28 days' counts from `days` (already read, the window's days among them)."""
    window_start = today - dt.timedelta(days=WINDOW_DAYS - 1)
    began = diary_began(patient, days, today)
    return PatientCounts(
        window=compute_window(days, window_start, today, rules.definition),
        first_day=began.first_day_in(window_start, today),
        joined=began.joined,
        definition=str(rules.definition),
    )


@dataclass(frozen=True)
class PatientHome:
    today: ClassifiedDay
    #: unrecorded days before today in the backfill window since the diary began, newest first
    missed: list[dt.date]
    counts: PatientCounts
    oldest_editable: dt.date
    #: days before the diary began are still in the backfill window: hers to fill in if she
    #: wishes, though never missed days
    before_open: bool = False


def patient_home(patient: Patient, today: dt.date) -> PatientHome:
    oldest = oldest_editable(patient, today)
    window_start = today - dt.timedelta(days=WINDOW_DAYS - 1)
    days = diary_days(patient, min(oldest, window_start), today)
    # Days before the patient's diary began (before she joined) were never hers to fill in.
    first_missable = max(oldest, diary_start(patient, days))
    missed = []
    date = today - ONE_DAY
    while date >= first_missable:
        if date not in days:
            missed.append(date)
        date -= ONE_DAY
    rules = rules_of(patient)
    return PatientHome(
        today=classified(days, today, rules),
        missed=missed,
        counts=patient_counts(patient, days, today, rules),
        oldest_editable=oldest,
        before_open=oldest < first_missable,
    )


@dataclass(frozen=True)
class PatientCalendar:
    calendar: MonthCalendar
    counts: PatientCounts


def patient_calendar(patient: Patient, month: dt.date, today: dt.date) -> PatientCalendar:
    start, end = month_bounds(month)
    window_start = today - dt.timedelta(days=WINDOW_DAYS - 1)
    days = diary_days(patient, min(start, window_start), max(end, today))
    rules = rules_of(patient)
    # The diary's first day from the days read: those of the month and of the last 28 days.
    first = diary_start(patient, days)
    return PatientCalendar(
        calendar=month_calendar(
            days,
            month,
            today,
            oldest_editable(patient, today),
            rules,
            diary_from=first,
            before_open=BEFORE_DIARY_OPEN,
        ),
        counts=patient_counts(patient, days, today, rules),
    )


@dataclass(frozen=True)
class ClinicDiary:
    calendar: MonthCalendar
    month_days: list[ClassifiedDay]  # every date of the month up to today
    latest: Window
    latest_7: Window
    baseline: Window
    first_session: dt.date | None  # the first completed session, which ends the baseline
    overuse_latest: MedicationOveruse
    overuse_baseline: MedicationOveruse
    #: when the diary began: the page's words about unfilled days, never its clinical figures
    began: DiaryBegan
    rules: Rules = LEGACY

    @property
    def filled_28(self) -> FilledIn:
        return filled_in(self.latest, self.began)

    @property
    def filled_7(self) -> FilledIn:
        return filled_in(self.latest_7, self.began)

    @property
    def began_in_baseline(self) -> bool:
        return self.began.within(self.baseline)

    @property
    def began_in_latest(self) -> bool:
        return self.began.within(self.latest)

    @property
    def day_rows(self) -> list[tuple[ClassifiedDay, DayClass]]:
        """The month's days, each with how it is shown: one before the diary began and not
        filled in is blank, as in the calendar."""
        rows = []
        for shown in self.month_days:
            blank = shown.day is None and shown.date < self.began.date
            rows.append(
                (shown, clinic_before_kind(self.began) if blank else DAY_CLASSES[shown.css_class])
            )
        return rows

    @property
    def same_window(self) -> bool:
        return self.baseline.start == self.latest.start

    def rows(self) -> list[WindowRow]:
        """The windows side by side, metric by metric, with the per-28 change."""
        out = []
        for metric, label in WINDOW_METRICS:
            out.append(
                WindowRow(
                    label=label,
                    baseline=self.baseline.count(metric),
                    baseline_28=self.baseline.rate(metric),
                    latest=self.latest.count(metric),
                    latest_28=self.latest.rate(metric),
                    rules=self.rules,
                )
            )
        classes = sorted(
            {
                *self.baseline.acute_medication_days_by_class,
                *self.latest.acute_medication_days_by_class,
            }
        )
        for code in classes:
            out.append(
                WindowRow(
                    label=f"– {code.replace('_', ' ')} days",
                    baseline=Fraction(self.baseline.acute_medication_days_by_class.get(code, 0)),
                    baseline_28=self.baseline.class_rate(code),
                    latest=Fraction(self.latest.acute_medication_days_by_class.get(code, 0)),
                    latest_28=self.latest.class_rate(code),
                    rules=self.rules,
                )
            )
        return out


WINDOW_METRICS = (
    ("headache_days", "Headache days"),
    ("migraine_days", "Migraine days"),
    ("moderate_severe_days", "Moderate/severe headache days"),
    ("headache_free_days", "Headache-free days"),
    ("acute_medication_days", "Acute-medication days"),
    ("headache_hours", "Headache hours"),
)


@dataclass(frozen=True)
class WindowRow:
    label: str
    baseline: Fraction
    baseline_28: Fraction | None
    latest: Fraction
    latest_28: Fraction | None
    rules: Rules = LEGACY

    @property
    def baseline_28_text(self) -> str:
        return self.rules.fmt(self.baseline_28) if self.baseline_28 is not None else "–"

    @property
    def latest_28_text(self) -> str:
        return self.rules.fmt(self.latest_28) if self.latest_28 is not None else "–"

    @property
    def change(self) -> float | None:
        """Per-28 change from baseline, in percent, printed as the ruleset prints (11.7);
        None when either is not evaluable or 0."""
        if self.baseline_28 is None or self.latest_28 is None or self.baseline_28 == 0:
            return None
        return self.rules.one_decimal((self.latest_28 - self.baseline_28) * 100 / self.baseline_28)


def first_completed_session(patient: Patient) -> dt.date | None:
    session = patient.sessions.filter(status="completed").order_by("date").first()
    return session.date if session else None


def clinic_diary(patient: Patient, month: dt.date, today: dt.date) -> ClinicDiary:
    """The clinic's view of a patient's diary (issue 3, part 5), in three reads."""
    first_session = first_completed_session(patient)
    baseline_end = first_session - ONE_DAY if first_session else today
    start, end = month_bounds(month)
    earliest = min(
        start,
        baseline_end - dt.timedelta(days=OVERUSE_SPAN_DAYS - 1),
        today - dt.timedelta(days=OVERUSE_SPAN_DAYS - 1),
    )
    days = diary_days(patient, earliest, today)
    rules = rules_of(patient)
    definition = rules.definition
    # From the days read (the month's and at least the last 84): no query of its own.
    began = diary_began(patient, days, today)
    latest = window_ending(days, today, definition)
    baseline = window_ending(days, baseline_end, definition)
    month_days = []
    date = start
    while date <= min(end, today):
        month_days.append(classified(days, date, rules))
        date += ONE_DAY
    return ClinicDiary(
        calendar=month_calendar(
            days,
            month,
            today,
            None,
            rules,
            diary_from=began.date,
            before_kind=clinic_before_kind(began),
        ),
        month_days=month_days,
        latest=latest,
        latest_7=compute_window(days, today - dt.timedelta(days=6), today, definition),
        baseline=baseline,
        first_session=first_session,
        overuse_latest=assess_medication_overuse(days, latest, rules),
        overuse_baseline=assess_medication_overuse(days, baseline, rules),
        began=began,
        rules=rules,
    )


def revisions(patient: Patient, date: dt.date) -> QuerySet[DiaryEntryRevision]:
    """Earlier versions of a day's entry, newest first, with who changed them."""
    return (
        DiaryEntryRevision.objects.filter(patient=patient, date=date)
        .select_related("changed_by")
        .order_by("-version")
    )
