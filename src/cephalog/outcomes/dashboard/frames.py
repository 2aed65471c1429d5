"""A clinic's data as Polars frames, in a fixed number of queries, and its rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db.models import Exists, FloatField, OuterRef
from django.db.models.functions import Cast

from cephalog.accounts.models import Clinic
from cephalog.accounts.rules_queries import UnknownPolicy, policy_for
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry
from cephalog.domain.diary import DAY_FEATURES
from cephalog.domain.rulesets import DEFAULT_RULESET, Rules
from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES
from cephalog.patients.models import Patient
from cephalog.patients.queries import diary_began
from cephalog.treatment.models import Session, SessionStatus

#: A session is "due" from this many days before its due date.
DUE_SOON_DAYS = 14
#: Diary compliance below this share of the last 28 days (of the days since the diary
#: began, when fewer) is flagged.
LOW_COMPLIANCE_PCT = 80
#: ... once the diary has been going this many days in the window,
LOW_COMPLIANCE_MIN_DAYS = 7
#: ... or, when nothing at all has been filled in, this many (her first day over: an
#: evening has passed without an entry; on the day she joins she may not have had one).
NOT_STARTED_MIN_DAYS = 2
#: A renewal is prepared this many days before the payer's authorisation ends.
RENEWAL_LEAD_DAYS = 30
_DIARY_SCHEMA = {
    "patient": pl.String,
    "date": pl.Date,
    "headache_hours": pl.Float64,
    "peak_intensity": pl.String,
    "unilateral": pl.Boolean,
    "pulsating": pl.Boolean,
    "aggravated_by_activity": pl.Boolean,
    "nausea": pl.Boolean,
    "vomiting": pl.Boolean,
    "photophobia": pl.Boolean,
    "phonophobia": pl.Boolean,
    "aura_minutes": pl.Int64,
    "acute_medication": pl.Boolean,
    "migraine_specific": pl.Boolean,
    "migraine_specific_relieved": pl.Boolean,
}


#: What the patients' frame reads of each patient: `diary_began` needs the time zone and
#: the time she was added.
_PATIENT_FIELDS = ("id", "clinic_id", "given_name", "family_name", "mrn", "created_at", "time_zone")


@dataclass
class ClinicFrames:
    #: `patient`, `clinic_id`, `given_name`, `family_name`, `mrn`, and when her diary
    #: began: `diary_start` and `diary_joined` (`patients.queries.diary_began` on the day
    #: the frames were read for: the date, never after it, and whether it is the day she
    #: joined), as the patient list and the diary pages count her days from.
    patients: pl.DataFrame
    diary: pl.DataFrame
    sessions: pl.DataFrame
    planned: pl.DataFrame


def change_words(reduction: float | None) -> str:
    """'; 27.7% fewer headache days', or '; 18.8% more headache days' for a rise."""
    if reduction is None:
        return "; reduction not assessable"
    if reduction < 0:
        return f"; {-reduction:g}% more headache days than at baseline"
    return f"; {reduction:g}% fewer headache days"


def _frame(rows: Sequence[tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def load_frames(clinic_ids: Sequence[int], today: dt.date) -> ClinicFrames:
    """Patients, diary days and sessions of the clinics: three queries. `today` is the
    clinic's: no diary begins after it (`ClinicFrames.patients`)."""
    patients = Patient.objects.filter(clinic_id__in=clinic_ids).only(*_PATIENT_FIELDS)
    meds = AcuteMedicationTaken.objects.filter(entry=OuterRef("pk"))
    specific = meds.filter(drug_class__in=sorted(MIGRAINE_SPECIFIC_CLASSES))
    diary = (
        DiaryEntry.objects.filter(patient__clinic_id__in=clinic_ids)
        .annotate(
            hours=Cast("headache_hours", FloatField()),
            acute=Exists(meds),
            specific=Exists(specific),
            relieved=Exists(specific.filter(effective=True)),
        )
        .values_list(
            "patient_id",
            "date",
            "hours",
            "peak_intensity",
            *DAY_FEATURES,
            "aura_minutes",
            "acute",
            "specific",
            "relieved",
        )
    )
    sessions = Session.objects.filter(
        patient__clinic_id__in=clinic_ids,
        status__in=[SessionStatus.COMPLETED, SessionStatus.PLANNED],
    ).values_list("patient_id", "date", "status")
    d_rows = [(str(r[0]), *r[1:3], r[3] or None, *r[4:]) for r in diary]
    diary_frame = _frame(d_rows, _DIARY_SCHEMA)
    first_entry = dict(diary_frame.group_by("patient").agg(pl.col("date").min()).iter_rows())
    p_rows = []
    for p in patients:
        # The patient list's rule (`diary_start`) from the same facts it reads: the day she
        # joined (created_at, time_zone) and her first day recorded.
        first = first_entry.get(str(p.pk))
        began = diary_began(p, [first] if first else [], today)
        p_rows.append(
            (str(p.pk), p.clinic_id, p.given_name, p.family_name, p.mrn, began.date, began.joined)
        )
    s_rows = [(str(p), d, s) for p, d, s in sessions]
    all_sessions = _frame(s_rows, {"patient": pl.String, "date": pl.Date, "status": pl.String})
    return ClinicFrames(
        patients=_frame(
            p_rows,
            {
                "patient": pl.String,
                "clinic_id": pl.Int64,
                "given_name": pl.String,
                "family_name": pl.String,
                "mrn": pl.String,
                "diary_start": pl.Date,
                "diary_joined": pl.Boolean,
            },
        ),
        diary=diary_frame,
        sessions=all_sessions.filter(pl.col("status") == SessionStatus.COMPLETED).drop("status"),
        planned=all_sessions.filter(pl.col("status") == SessionStatus.PLANNED).drop("status"),
    )


def rules_for(clinic_ids: Sequence[int]) -> Rules:
    """The ruleset and day definition of these clinics (spec section 11): theirs when they
    agree, else standard-2 with label days (a table names the rules it used)."""
    found = set()
    # One query: the clinics with their ruleset rows (built-in policies need none).
    for clinic in Clinic.objects.filter(pk__in=clinic_ids).select_related("ruleset_setting"):
        setting = getattr(clinic, "ruleset_setting", None)
        try:
            definition = policy_for(clinic).day_definition
        except UnknownPolicy:
            definition = "label"
        found.add(Rules.of(setting.ruleset if setting else DEFAULT_RULESET, definition))
    return found.pop() if len(found) == 1 else Rules.of(DEFAULT_RULESET)
