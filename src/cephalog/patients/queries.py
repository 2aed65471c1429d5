"""Reads of patient records, always scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from cephalog.accounts.access import visible_patients
from cephalog.accounts.models import Clinic
from cephalog.core.time import patient_today
from cephalog.diary.models import DiaryEntry
from cephalog.domain.windows import WINDOW_DAYS, Window
from cephalog.patients.models import Patient

#: What the diary API reads of the request's patient (the rest is deferred): the time zone
#: for the patient's today, the clinic's backfill window for saves, the ids for the audit.
OWN_PATIENT_FIELDS = ("id", "clinic_id", "user_id", "time_zone")
OWN_CLINIC_FIELDS = ("id", "backfill_days")
#: own_patient's statements on PostgreSQL, written once per process, by their extra
#: columns and joins: (sql, patient attnames, clinic attnames), each list in the models'
#: field order (as from_db takes them).
_OWN_SQL: dict[tuple[str, str], tuple[str, list[str], list[str]]] = {}


def _own_sql(extra_columns: str = "", extra_joins: str = "") -> tuple[str, list[str], list[str]]:
    found = _OWN_SQL.get((extra_columns, extra_joins))
    if found is None:
        qn = connection.ops.quote_name
        pm, cm = Patient._meta, Clinic._meta
        p, c = qn(pm.db_table), qn(cm.db_table)
        pf = [f for f in pm.concrete_fields if f.attname in OWN_PATIENT_FIELDS]
        cf = [f for f in cm.concrete_fields if f.attname in OWN_CLINIC_FIELDS]
        columns = [f"{p}.{qn(str(f.column))}" for f in pf]
        columns += [f"{c}.{qn(str(f.column))}" for f in cf]
        if extra_columns:
            columns.append(extra_columns)
        clinic_column = str(pm.get_field("clinic").column)
        user_column = str(pm.get_field("user").column)
        sql = (
            f"SELECT {', '.join(columns)} FROM {p} INNER JOIN {c} "
            f"ON ({p}.{qn(clinic_column)} = {c}.{qn(str(cm.pk.column))}) {extra_joins}"
            f"WHERE {p}.{qn(user_column)} = %s"
        )
        found = (sql, [f.attname for f in pf], [f.attname for f in cf])
        _OWN_SQL[(extra_columns, extra_joins)] = found
    return found


def own_patient(user_id: int) -> Patient | None:
    """The patient record of the logged-in user, read once and narrowly: a lookup by the
    unique user id (no ORDER BY), the OWN_PATIENT_FIELDS with the clinic's
    OWN_CLINIC_FIELDS (the rest deferred: reading one of them costs a query). On
    PostgreSQL the statement is written once (composing it with the ORM cost more CPU than
    running it); elsewhere the ORM composes it."""
    if connection.vendor != "postgresql":
        found = list(
            Patient.objects.select_related("clinic")
            .only("id", "clinic", "user", "time_zone", "clinic__id", "clinic__backfill_days")
            .filter(user_id=user_id)
            .order_by()
        )
        return found[0] if found else None
    found_row = own_patient_row(user_id)
    return found_row[0] if found_row else None


def own_patient_row(
    user_id: int, extra_columns: str = "", extra_joins: str = ""
) -> tuple[Patient, tuple[Any, ...]] | None:
    """PostgreSQL: own_patient's statement with `extra_columns` (SQL, after the patient's
    and clinic's columns; the clinic's table is `accounts_clinic`) and `extra_joins`
    (SQL, e.g. a LEFT JOIN on the clinic, ending in a space): the patient as own_patient
    gives it and the extra columns' values, in one round trip."""
    sql, patient_fields, clinic_fields = _own_sql(extra_columns, extra_joins)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    n, m = len(patient_fields), len(patient_fields) + len(clinic_fields)
    return own_patient_of(tuple(row[:n]), tuple(row[n:m])), tuple(row[m:])


def own_patient_values(patient: Patient) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """What own_patient read of `patient` and of its clinic, as plain values (the
    OWN_PATIENT_FIELDS and OWN_CLINIC_FIELDS, each in the models' field order): kept in
    the shared cache, made a patient again by own_patient_of (cephalog.ops.authcache)."""
    clinic = patient.clinic
    return (
        tuple(getattr(patient, f) for f in own_fields(Patient, OWN_PATIENT_FIELDS)),
        tuple(getattr(clinic, f) for f in own_fields(Clinic, OWN_CLINIC_FIELDS)),
    )


def own_patient_of(patient_values: tuple[Any, ...], clinic_values: tuple[Any, ...]) -> Patient:
    """The patient own_patient reads, from its values (own_patient_values' order), without
    a query: the rest deferred as own_patient defers it."""
    patient = Patient.from_db(
        connection.alias, own_fields(Patient, OWN_PATIENT_FIELDS), patient_values
    )
    clinic = Clinic.from_db(connection.alias, own_fields(Clinic, OWN_CLINIC_FIELDS), clinic_values)
    Patient.clinic.field.set_cached_value(patient, clinic)
    return patient


_ATTNAMES: dict[tuple[type, tuple[str, ...]], list[str]] = {}


def own_fields(model: type[Patient] | type[Clinic], fields: tuple[str, ...]) -> list[str]:
    """`fields` (OWN_PATIENT_FIELDS, OWN_CLINIC_FIELDS) in `model`'s field order: the
    order of own_patient_values' values, and the order from_db takes them in."""
    found = _ATTNAMES.get((model, fields))
    if found is None:
        found = [f.attname for f in model._meta.concrete_fields if f.attname in fields]
        _ATTNAMES[(model, fields)] = found
    return found


def diary_start(patient: Patient, recorded: Iterable[dt.date]) -> dt.date:
    """The first day the patient's diary covers: the local day they were added to the
    programme, or their first recorded day when earlier (a diary imported or backfilled).
    Here, below the diary app, because the patient list counts from it too.

    `recorded` is the dates the caller has already read (on the home page the backfill
    window and the last 28 days; on the patient list her first day recorded), so this
    costs no query. A day recorded only before those is not seen: for a patient who joined
    inside the window and whose earlier diary ends before it, the window's days before
    joining are then not listed as missed (rare; a diary typed in on the first visit is
    inside the window and is seen)."""
    joined = patient_today(patient, patient.created_at)
    return min(joined, min(recorded, default=joined))


@dataclass(frozen=True)
class DiaryBegan:
    """The diary's first day (`diary_start`), never after today: a patient whose local
    "joined" day is still ahead (clock skew) began today. The diary pages and the patient
    list count her days filled in from it."""

    date: dt.date
    joined: bool  # the diary began the day she joined (not with days typed in from before)

    @property
    def clinic_words(self) -> str:
        """The start in the clinic's words: joining is true even when an older diary was
        imported and is not among the days read (see `diary_start`)."""
        return "the patient joined" if self.joined else "the diary began"

    def first_day_in(self, start: dt.date, end: dt.date) -> dt.date:
        """The first of the days from `start` to `end` that were hers to fill in."""
        return min(max(start, self.date), end)

    def within(self, window: Window) -> bool:
        """Whether the diary began after the window's first day and by its last."""
        return window.start < self.date <= window.end


def diary_began(patient: Patient, recorded: Iterable[dt.date], today: dt.date) -> DiaryBegan:
    start = min(diary_start(patient, recorded), today)
    return DiaryBegan(date=start, joined=start == patient_today(patient, patient.created_at))


@dataclass(frozen=True)
class DaysFilled:
    """A window's days filled in, over its days since the diary began when it began inside
    the window (as the diary pages count them, diary.summaries.FilledIn): the days before
    were never the patient's to fill in."""

    recorded: int
    days: int  # the window's days, or those since the diary began when fewer

    @property
    def compliance(self) -> int:
        return round(self.recorded * 100 / self.days)


@dataclass(frozen=True)
class PatientRow:
    patient: Patient
    last_entry: dt.date | None
    entries_7: int
    entries_28: int
    next_session: dt.date | None
    #: when the diary began (`diary_start` over all her days), never after the list's today
    began: DiaryBegan
    today: dt.date

    @property
    def days_since_entry(self) -> int | None:
        """Days from her last entry to the list's today (None without entries)."""
        return None if self.last_entry is None else (self.today - self.last_entry).days

    @property
    def stale(self) -> bool:
        """No diary entry for 3 days or more (issue 3: flagged on the patient list)."""
        days = self.days_since_entry
        return days is None or days >= 3

    def filled(self, window_days: int, recorded: int) -> DaysFilled:
        start = self.today - dt.timedelta(days=window_days - 1)
        first_day = self.began.first_day_in(start, self.today)
        return DaysFilled(recorded=recorded, days=(self.today - first_day).days + 1)

    @property
    def filled_7(self) -> DaysFilled:
        return self.filled(7, self.entries_7)

    @property
    def filled_28(self) -> DaysFilled:
        return self.filled(WINDOW_DAYS, self.entries_28)

    @property
    def compliance_7(self) -> int:
        return self.filled_7.compliance

    @property
    def compliance_28(self) -> int:
        return self.filled_28.compliance


def search_patients(user: Any, query: str = "") -> QuerySet[Patient]:
    patients = visible_patients(user).select_related("clinic")
    query = query.strip()
    if query:
        patients = patients.filter(name_or_mrn(query))
    return patients.order_by("family_name", "given_name")


def name_or_mrn(query: str) -> Q:
    """Patients whose name or MRN holds every word of `query` (its first four)."""
    terms = Q()
    for word in query.split()[:4]:
        terms &= (
            Q(given_name__icontains=word) | Q(family_name__icontains=word) | Q(mrn__icontains=word)
        )
    return terms


#: Patients per page of the list. A search shows its first page and asks to narrow it.
PAGE_SIZE = 50


@dataclass(frozen=True)
class PatientPage:
    """One page of the patient list (or of a search's matches)."""

    rows: list[PatientRow]
    number: int  # 1-based
    pages: int
    total: int  # patients in the list (or matching the search)
    size: int
    searched: bool

    @property
    def first(self) -> int:
        """The position of the first row shown (1-based; 0 when there are none)."""
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def patient_page(
    user: Any, *, today: dt.date, query: str = "", page: int = 1, size: int = PAGE_SIZE
) -> PatientPage:
    """A page of the clinic's patient list with diary compliance, in two queries.

    The page is cut first, and the diary columns are read for its patients only
    (index lookups per row), so the list costs the same with 50 or 5,000 patients
    and two years of diary each.
    """
    patients = search_patients(user, query)
    total = patients.count()
    pages = max(1, -(-total // size))
    number = min(max(page, 1), pages)
    rows = patient_rows(patients, today=today, offset=(number - 1) * size, limit=size)
    return PatientPage(
        rows=rows,
        number=number,
        pages=pages,
        total=total,
        size=size,
        searched=bool(query.strip()),
    )


def patient_rows(
    patients: QuerySet[Patient], *, today: dt.date, offset: int = 0, limit: int = PAGE_SIZE
) -> list[PatientRow]:
    """`patients[offset:offset + limit]` with their diary compliance, in one query."""
    entries = DiaryEntry.objects.filter(patient=OuterRef("pk")).order_by()

    def recorded_since(days: int) -> Coalesce:
        since = entries.filter(date__gt=today - dt.timedelta(days=days), date__lte=today)
        counted = since.values("patient").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    page = patients.annotate(
        last_entry=Subquery(entries.order_by("-date").values("date")[:1]),
        # Where the diary began (`diary_start`): from her first day recorded and the day
        # she joined (created_at, already read), in the same query.
        first_entry=Subquery(entries.order_by("date").values("date")[:1]),
        entries_7=recorded_since(7),
        entries_28=recorded_since(WINDOW_DAYS),
    )[offset : offset + limit]
    return [
        PatientRow(
            patient=p,
            last_entry=p.last_entry,
            entries_7=p.entries_7,
            entries_28=p.entries_28,
            next_session=None,
            began=diary_began(p, [p.first_entry] if p.first_entry else [], today),
            today=today,
        )
        for p in page
    ]
