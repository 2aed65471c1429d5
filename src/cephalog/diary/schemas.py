"""API shapes of the diary (issue 3, part 7). A day is the case format's raw facts
(spec section 1) plus the derived flags and reasons of spec section 2.

Input is validated by the domain (cephalog.domain.case), not by these schemas,
so the API gives the forms' messages: `DayIn` only documents the body; its
fields accept any JSON value and the domain says what is wrong with it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Annotated, Any

from django.db import connection
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from cephalog.accounts.rules_queries import clinic_rules_by_id
from cephalog.diary.actions import FLAGS, MAX_NOTES
from cephalog.diary.models import DiaryEntry, PainLocation, Trigger
from cephalog.diary.queries import to_day
from cephalog.domain.case import describe
from cephalog.domain.diary import AcuteMedication, DayClassification, DiaryDay, classify_day
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.domain.vocab import ACUTE_CLASS_CODES, INTENSITY_CODES
from cephalog.patients.models import Patient

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> dt.date:
    """Only `YYYY-MM-DD`: pydantic's lax dates would read `0` or a timestamp as a date."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"must be a date YYYY-MM-DD, got {describe(value)}")


IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]


class Message(Schema):
    detail: str


class Errors(Schema):
    """422: one message per problem, each starting with the field it names."""

    errors: list[str] = Field(examples=[["headache_hours: must be between 0 and 24, got 30"]])


class MedicationOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    name: str
    drug_class: str = Field(alias="class", json_schema_extra={"enum": list(ACUTE_CLASS_CODES)})
    effective: bool | None


class DayOut(Schema):
    """A recorded day: raw facts, then what the day rules make of them."""

    date: dt.date
    headache_hours: float
    peak_intensity: str | None
    unilateral: bool
    pulsating: bool
    aggravated_by_activity: bool
    nausea: bool
    vomiting: bool
    photophobia: bool
    phonophobia: bool
    aura_minutes: int
    acute_medications: list[MedicationOut]
    headache_day: bool
    migraine_day: bool
    moderate_severe_day: bool
    headache_free: bool
    acute_medication_day: bool
    acute_medication_classes: list[str]
    reasons: list[str]
    notes: str
    pain_locations: list[str]
    triggers: list[str]
    version: int
    source: str
    late: bool


class DiaryOut(Schema):
    start: dt.date
    end: dt.date
    days: list[DayOut] = Field(description="Recorded days only; a missing date is unrecorded.")


class Conflict(Schema):
    """409: the day changed since `version`; `current` is the day as stored now (null: removed)."""

    detail: str
    current: DayOut | None


def _documented(schema: dict[str, Any]) -> Any:
    """A field that takes any JSON value (the domain validates it) but documents `schema`."""
    return Field(default=None, json_schema_extra=schema)


def _optional(schema: dict[str, Any]) -> Any:
    """An optional field: null means "not given", as in the case format (spec section 1)."""
    nullable = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        nullable["enum"] = [*schema["enum"], None]
    return _documented(nullable)


_MEDICATION_IN = {
    "type": "object",
    "properties": {
        "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 100},
        "class": {"type": "string", "enum": list(ACUTE_CLASS_CODES)},
        "effective": {"type": ["boolean", "null"]},
    },
    "required": ["class"],
}


class DayIn(Schema):
    """A day's raw facts in the case format (spec section 1); the date is the URL's.

    `peak_intensity` is required when `headache_hours > 0`; booleans default
    to false, `aura_minutes` to 0; null is the same as leaving a field out.
    Errors come back as `{"errors": [...]}`.
    """

    model_config = ConfigDict(
        json_schema_extra={"required": ["headache_hours"], "additionalProperties": True}
    )

    date: Any = _optional({"type": "string", "format": "date"})
    headache_hours: Any = _documented({"type": "number", "minimum": 0, "maximum": 24})
    peak_intensity: Any = _optional({"type": "string", "enum": list(INTENSITY_CODES)})
    unilateral: Any = _optional({"type": "boolean"})
    pulsating: Any = _optional({"type": "boolean"})
    aggravated_by_activity: Any = _optional({"type": "boolean"})
    nausea: Any = _optional({"type": "boolean"})
    vomiting: Any = _optional({"type": "boolean"})
    photophobia: Any = _optional({"type": "boolean"})
    phonophobia: Any = _optional({"type": "boolean"})
    aura_minutes: Any = _optional({"type": "integer", "minimum": 0, "maximum": 32767})
    acute_medications: Any = _optional({"type": "array", "items": _MEDICATION_IN, "maxItems": 20})
    notes: Any = _optional({"type": "string", "maxLength": MAX_NOTES})
    pain_locations: Any = _optional(
        {"type": "array", "items": {"type": "string", "enum": list(PainLocation.values)}}
    )
    triggers: Any = _optional(
        {"type": "array", "items": {"type": "string", "enum": list(Trigger.values)}}
    )
    idempotency_key: Any = _optional(
        {
            "type": "string",
            "format": "uuid",
            "description": "A key made once per entry by the sender (the offline diary): "
            "the same key sent again stores nothing new and answers with the day it stored.",
        }
    )
    version: Any = _optional(
        {
            "type": "integer",
            "minimum": 0,
            "maximum": 2147483647,
            "description": "The version you last read (0: not recorded yet). When the stored "
            "day has moved on, nothing is saved and the answer is 409 with the day as it is.",
        }
    )


def _rules(patient_id: uuid.UUID, clinic_id: int | None = None) -> Rules:
    """The clinic's ruleset and day definition: the API classes days as the pages do
    (spec section 11.1). One query, or none when the clinic is known and cached."""
    if clinic_id is not None:
        return clinic_rules_by_id(clinic_id=clinic_id)
    return clinic_rules_by_id(patient_id=patient_id)


def _clinic_id(entry: DiaryEntry) -> int | None:
    """The entry's clinic when its patient is loaded already (save_day's entry)."""
    return entry.patient.clinic_id if DiaryEntry.patient.is_cached(entry) else None


def day_out(entry: DiaryEntry, rules: Rules | None = None) -> dict[str, Any]:
    """The API shape of an entry (its `medications` prefetched for lists)."""
    return _day_out(
        to_day(entry),
        version=entry.version,
        source=entry.source,
        late=entry.late,
        details=(entry.notes, entry.pain_locations, entry.triggers),
        rules=rules or _rules(entry.patient_id, _clinic_id(entry)),
    )


def _day_out(
    day: DiaryDay,
    *,
    version: int,
    source: str,
    late: bool,
    details: tuple[str, list[str], list[str]],
    rules: Rules = LEGACY,
) -> dict[str, Any]:
    c = classify_day(day, rules.definition, rules.named)
    flags = tuple(getattr(day, flag) for flag in FLAGS)
    return _shape(
        day.date,
        (day.headache_hours, day.peak_intensity, flags, day.aura_minutes, day.acute_medications),
        c,
        version=version,
        source=source,
        late=late,
        details=details,
    )


#: A day's facts as classification reads them: hours, peak, flags (FLAGS' order), aura
#: minutes, medicines.
Facts = tuple[float, str | None, tuple[bool, ...], int, tuple[AcuteMedication, ...]]
_ANY_DATE = dt.date(2000, 1, 1)


@lru_cache(maxsize=4096)
def _classified(facts: Facts, definition: str, named: bool) -> DayClassification:
    """classify_day of a day with these facts: a classification does not depend on the
    date, so the many equal days (headache-free, no medicine...) share one entry."""
    hours, peak, flags, aura_minutes, medicines = facts
    day = DiaryDay(
        date=_ANY_DATE,
        headache_hours=hours,
        peak_intensity=peak,
        **dict(zip(FLAGS, flags, strict=True)),
        aura_minutes=aura_minutes,
        acute_medications=medicines,
    )
    return classify_day(day, definition, named)


def _shape(
    date: dt.date | str,
    facts: Facts,
    c: DayClassification,
    *,
    version: int,
    source: str,
    late: bool,
    details: tuple[str, list[str], list[str]],
) -> dict[str, Any]:
    hours, peak, flags, aura_minutes, medicines = facts
    return {
        "date": date,
        "headache_hours": hours,
        "peak_intensity": peak,
        **dict(zip(FLAGS, flags, strict=True)),
        "aura_minutes": aura_minutes,
        "acute_medications": [
            {"name": m.name, "class": m.drug_class, "effective": m.effective} for m in medicines
        ],
        "headache_day": c.headache_day,
        "migraine_day": c.migraine_day,
        "moderate_severe_day": c.moderate_severe_day,
        "headache_free": c.headache_free,
        "acute_medication_day": c.acute_medication_day,
        "acute_medication_classes": list(c.acute_medication_classes),
        "reasons": list(c.reasons),
        "notes": details[0],
        "pain_locations": list(details[1] or []),
        "triggers": list(details[2] or []),
        "version": version,
        "source": source,
        "late": late,
    }


_COLUMNS = (
    "id",
    "date",
    "headache_hours",
    "peak_intensity",
    *FLAGS,
    "aura_minutes",
    "version",
    "source",
    "late",
    "notes",
    "pain_locations",
    "triggers",
    "medications__name",
    "medications__drug_class",
    "medications__effective",
)


def _days_query(patient_id: Any, start: dt.date, end: dt.date) -> Any:
    return (
        DiaryEntry.objects.filter(patient_id=patient_id)
        .filter(date__gte=start)
        .filter(date__lte=end)
        .order_by("date", "medications__id")
        .values_list(*_COLUMNS)
    )


#: days_out's statement on PostgreSQL, composed by the ORM once per process (composing it
#: cost about as much CPU as classifying the 28 days): (sql, where each parameter goes).
_DAYS_SQL: tuple[str, tuple[int, int, int]] | None = None
#: The columns JSONField decodes on reading (psycopg hands jsonb to Django as text).
_JSON_COLUMNS = tuple(_COLUMNS.index(name) for name in ("pain_locations", "triggers"))


def _days_sql() -> tuple[str, tuple[int, int, int]]:
    """The ORM's SQL of `_days_query` with placeholders, and the positions of the patient,
    `start` and `end` among its parameters (found from distinct sample values)."""
    global _DAYS_SQL
    if _DAYS_SQL is None:
        sample = (uuid.UUID(int=1), dt.date(2001, 2, 3), dt.date(2002, 3, 4))
        sql, params = _days_query(*sample).query.sql_with_params()
        if len(params) != 3 or set(params) != set(sample):
            raise RuntimeError(f"days_out: unexpected parameters {params!r}")
        where = tuple(sample.index(p) for p in params)
        _DAYS_SQL = (sql, (where[0], where[1], where[2]))
    return _DAYS_SQL


def _day_rows(patient: Patient, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """The rows of `_days_query`: on PostgreSQL its SQL run as is (the columns need no
    conversion but the JSON ones), elsewhere through the ORM."""
    if connection.vendor != "postgresql":
        return list(_days_query(patient.pk, start, end))
    sql, where = _days_sql()
    values = (patient.pk, start, end)
    with connection.cursor() as cursor:
        cursor.execute(sql, [values[i] for i in where])
        rows = cursor.fetchall()
    # The JSON texts of all rows decoded at once (one json.loads of one array, not two
    # per row); a column that came decoded (or NULL) is left as it is.
    texts = [(r, i) for r, row in enumerate(rows) for i in _JSON_COLUMNS if isinstance(row[i], str)]
    if not texts:
        return [tuple(row) for row in rows]
    values = json.loads("[" + ",".join(rows[r][i] for r, i in texts) + "]")
    out = [list(row) for row in rows]
    for (r, i), value in zip(texts, values, strict=True):
        out[r][i] = value
    return [tuple(row) for row in out]


def days_out(
    patient: Patient, start: dt.date, end: dt.date, rules: Rules | None = None
) -> list[dict[str, Any]]:
    """The API shape (day_out) of the patient's recorded days from `start` to `end`.

    One query (the days joined with their medicines, a row per medicine) reading only
    the columns needed, and no model instances: for 28 days about half the CPU of
    loading the entries and prefetching their medicines.
    """
    rows = _day_rows(patient, start, end)
    days: list[dict[str, Any]] = []
    rules = rules or _rules(patient.pk, patient.clinic_id)
    for _, group in groupby(rows, key=itemgetter(0)):
        first, *others = group
        date, hours, peak, *rest = first[1:]
        flags = tuple(rest[: len(FLAGS)])
        aura_minutes, version, source, late, *details = rest[len(FLAGS) : len(FLAGS) + 7]
        medicines = tuple(
            AcuteMedication(name=row[-3], drug_class=row[-2], effective=row[-1])
            for row in (first, *others)
            if row[-2] is not None  # a day without medicines joins one row of nulls
        )
        facts = (float(hours), peak or None, flags, aura_minutes, medicines)
        days.append(
            _shape(
                date.isoformat(),  # as the renderer writes it, without its fallback
                facts,
                _classified(facts, rules.definition, rules.named),
                version=version,
                source=source,
                late=late,
                details=(details[0], details[1], details[2]),
            )
        )
    return days
