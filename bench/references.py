"""Naive reference implementations of the core cohort table, for the analytics benchmark.

Issue 10 asks for the cohort table (per-patient baseline, per-cycle headache
days, change, reduction, responder flags) to be many times faster than the
ways an application developer would compute it today. These are those ways,
written honestly and competently, so that the ratios mean something:

1. `orm_loop(patient_ids, today)`: the app's own per-patient path: for each
   patient the diary (with its medicines) and the completed sessions through
   the ORM (`cephalog.diary.queries.diary_days`, as `build_case` reads them),
   then `cephalog.domain` (`baseline_window`, `compute_cycles`). With
   `lean=True` the diary is read with `values_list` of the needed columns
   instead of model instances: the same loop with tuned queries.
2. `pandas_rowloop(frames, today)`: pandas with a Python loop over patients:
   day rules as column operations on the whole diary, then per patient
   (groupby) a boolean date mask and a sum per window.
3. `pandas_vectorised(frames, today)`: no Python loop over patients or rows:
   day rules as column operations, the diary sorted by (patient, date) with
   running totals, every window counted by two `searchsorted` lookups.
4. `postgres_sql(today)`: one SQL statement in PostgreSQL over the stored
   diary (entries, medicines taken) and sessions; the window counts by an
   equi-join of each window's 28 dates with the diary days.

Every one computes the day classes of spec section 2 from the raw diary facts
(hours, features, intensity, aura, the medicines and whether they worked) and
returns the **core table** as a pandas DataFrame with `CORE_COLUMNS`, one row
per patient for the baseline (`cycle` 0) and one per treatment cycle, sorted
by patient and cycle, with the semantics and nulls of
`cephalog.analytics.cohort.cohort_table`:

- `window_start`, `window_end` (datetime64): the baseline window (the 28 days
  ending the day before the first injection, or on `today` without one) or
  the cycle's outcome window (the 28 days ending `min(next - 1, injection +
  83)`); `recorded_days`, `headache_days` (int64) its counts;
- `baseline_recorded_days`, `baseline_headache_days` (int64): the patient's
  baseline counts, on every row;
- `headache_day_change` (float64, per 28 days, cycle - baseline) and
  `headache_day_reduction_pct` (float64): NaN (null) on the baseline row,
  while the cycle is in progress (`today` before the window's end) or either
  window has fewer than 20 recorded days; the reduction also when the
  baseline has no headache day. Both are divisions of two exact integers in
  float64, so they equal `float(Fraction)` of the domain's exact values
  (and `cohort_table`'s unrounded columns) bit for bit;
- `responder_30`, `responder_50` (pandas "boolean", <NA> as null):
  reduction >= 30 / 50 %, compared in integers (exact, like the domain).

`patient` is the cohort's patient index for the pandas references and the
database's patient id (UUID) for the ORM loop and the SQL; `load_into_database`
returns the ids in cohort order (`Loaded.patient_ids`, `Loaded.cohort_index`).

Inputs of the pandas references: `pandas_frames(cohort.to_polars())`, a dict
with the pandas DataFrames `diary`, `sessions` and `patients` (converted column
by column through NumPy, so pyarrow is not needed). The diary may carry the
acute medicines as the generator's slots (`acute1_class`, `acute1_effective`,
`acute2_class`, ...) or as the three day flags `acute_medication`,
`migraine_specific`, `migraine_specific_relieved` (module doc of
`cephalog.analytics.cohort`).

The database references need Django set up and the cohort loaded with
`load_into_database(cohort)`: patients, diary entries, medicines taken and
completed sessions, by COPY on PostgreSQL and `executemany` elsewhere
(`cephalog.demo.load` writes model instances and audit rows per patient:
far too slow for a million diary rows).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cephalog.domain.cycles import OUTCOME_LAST_DAY, RESPONDER_30, RESPONDER_50
from cephalog.domain.diary import AURA_MAX_MINUTES, AURA_MIN_MINUTES, LONG_HEADACHE_HOURS
from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES, MODERATE_OR_SEVERE
from cephalog.domain.windows import MIN_RECORDED_DAYS, WINDOW_DAYS

if TYPE_CHECKING:
    import polars as pl

    from cephalog.accounts.models import Clinic
    from cephalog.demo.generate import Cohort

CORE_COLUMNS = (
    "patient",
    "cycle",
    "window_start",
    "window_end",
    "recorded_days",
    "headache_days",
    "baseline_recorded_days",
    "baseline_headache_days",
    "headache_day_change",
    "headache_day_reduction_pct",
    "responder_30",
    "responder_50",
)
_SPECIFIC = sorted(str(c) for c in MIGRAINE_SPECIFIC_CLASSES)
_MOD_SEV = sorted(str(c) for c in MODERATE_OR_SEVERE)
_PAIN_FLAGS = ("unilateral", "pulsating", "aggravated_by_activity")
_BOOLS = (*_PAIN_FLAGS, "nausea", "vomiting", "photophobia", "phonophobia")
_MEDICATION_FLAGS = ("acute_medication", "migraine_specific", "migraine_specific_relieved")


# --- inputs ---------------------------------------------------------------------------------


def pandas_frames(
    frames: Mapping[str, pl.DataFrame], tables: Iterable[str] = ("diary", "sessions", "patients")
) -> dict[str, pd.DataFrame]:
    """`Cohort.to_polars()` (or any dict of Polars frames) as pandas, without pyarrow.

    Polars' own `to_pandas` needs pyarrow; this converts each column through
    `Series.to_numpy()`, with the dtypes a pandas user would choose: dates
    datetime64, strings `category` (the generator's codes), booleans with
    nulls the nullable "boolean" dtype, other columns as NumPy has them.
    """
    import polars as pl

    def column(series: pl.Series) -> Any:
        if series.dtype == pl.String:
            return pd.Categorical(series.to_numpy())
        if series.dtype == pl.Boolean and series.null_count():
            return pd.array(series.to_numpy(), dtype="boolean")
        return series.to_numpy()

    return {
        name: pd.DataFrame({c: column(frames[name][c]) for c in frames[name].columns})
        for name in tables
    }


def _flag(frame: pd.DataFrame, name: str) -> pd.Series:
    """A boolean column, null as False (as `cohort_table` reads them)."""
    col = frame[name]
    if col.dtype == bool:
        return col
    if isinstance(col.dtype, pd.BooleanDtype):
        return col.fillna(False).astype(bool)
    return col.eq(True)


def _medication_flags(diary: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(migraine_specific, migraine_specific_relieved) for each diary row.

    From the day flags when the diary has them, else from the slots
    `acuteN_class` / `acuteN_effective` (a triptan or ergot taken; one of them
    with effective true).
    """
    if set(_MEDICATION_FLAGS) <= set(diary.columns):
        return _flag(diary, "migraine_specific"), _flag(diary, "migraine_specific_relieved")
    slots = sorted(
        int(c[len("acute") : -len("_class")])
        for c in diary.columns
        if c.startswith("acute") and c.endswith("_class")
    )
    if not slots:
        raise ValueError("diary: needs the medication day flags or acuteN_class slots")
    specific = pd.Series(False, index=diary.index)
    relieved = pd.Series(False, index=diary.index)
    for n in slots:
        s = diary[f"acute{n}_class"].isin(_SPECIFIC)
        specific |= s
        relieved |= s & _flag(diary, f"acute{n}_effective")
    return specific, relieved


def headache_days(diary: pd.DataFrame) -> pd.Series:
    """The headache day flag of each diary row (spec section 2), as column operations.

    migraine day = H and ((C and D) or (L and (C or D)) or T or A);
    headache day = H and (L or MS or migraine day).
    """
    hours = diary["headache_hours"].astype("float64")
    mod_sev = diary["peak_intensity"].isin(_MOD_SEV)
    h = hours > 0
    pain = mod_sev.astype("int8")
    for name in _PAIN_FLAGS:
        pain = pain + _flag(diary, name).astype("int8")
    c = pain >= 2
    d = (
        _flag(diary, "nausea")
        | _flag(diary, "vomiting")
        | (_flag(diary, "photophobia") & _flag(diary, "phonophobia"))
    )
    long = hours >= LONG_HEADACHE_HOURS
    aura = diary["aura_minutes"].fillna(0).between(AURA_MIN_MINUTES, AURA_MAX_MINUTES)
    specific, relieved = _medication_flags(diary)
    migraine = h & ((c & d) | (long & (c | d)) | relieved | aura)
    return h & (long | specific | migraine)


def _finish(rows: pd.DataFrame) -> pd.DataFrame:
    """The core columns in order and dtype, sorted by patient and cycle."""
    out = rows.loc[:, list(CORE_COLUMNS)].sort_values(["patient", "cycle"], kind="stable")
    out = out.reset_index(drop=True)
    for name in ("window_start", "window_end"):
        out[name] = pd.to_datetime(out[name])
    for name in (
        "cycle",
        "recorded_days",
        "headache_days",
        "baseline_recorded_days",
        "baseline_headache_days",
    ):
        out[name] = out[name].astype("int64")
    for name in ("headache_day_change", "headache_day_reduction_pct"):
        out[name] = out[name].astype("float64")
    for name in ("responder_30", "responder_50"):
        out[name] = out[name].astype("boolean")
    return out


def _outcomes(rc: int, hc: int, rb: int, hb: int) -> tuple[Any, Any, Any, Any]:
    """(change, reduction, responder 30, responder 50) of a complete cycle, from counts.

    Per-28 change = 28 (hc rb - hb rc) / (rc rb) and reduction = 100 (hb rc - hc rb) /
    (hb rc), each one correctly rounded division of exact integers (= float(Fraction)).
    """
    if rc < MIN_RECORDED_DAYS or rb < MIN_RECORDED_DAYS:
        return np.nan, np.nan, pd.NA, pd.NA
    change = (hc * rb - hb * rc) * WINDOW_DAYS / (rc * rb)
    if hb == 0:
        return change, np.nan, pd.NA, pd.NA
    fewer = (hb * rc - hc * rb) * 100
    return (
        change,
        fewer / (hb * rc),
        fewer >= RESPONDER_30 * hb * rc,
        fewer >= RESPONDER_50 * hb * rc,
    )


# --- 2. pandas, a Python loop over patients --------------------------------------------------


def pandas_rowloop(frames: Mapping[str, pd.DataFrame], today: dt.date) -> pd.DataFrame:
    """The core table with pandas and a Python loop over patients.

    Day rules as column operations on the whole diary (`headache_days`), then
    for each patient (groupby): the sessions sorted, the baseline and each
    cycle's outcome window, and per window a boolean date mask over the
    patient's diary rows and its sums.
    """
    diary, sessions, patients = frames["diary"], frames["sessions"], frames["patients"]
    days = pd.DataFrame(
        {"patient": diary["patient"], "date": pd.to_datetime(diary["date"])}
    ).assign(headache=headache_days(diary))
    by_patient = dict(iter(days.groupby("patient", sort=False)))
    injections_of = {
        p: sorted(g.tolist())
        for p, g in pd.to_datetime(sessions["date"]).groupby(sessions["patient"], sort=False)
    }
    everyone = pd.unique(pd.concat([patients["patient"], sessions["patient"]]))
    no_days = days.iloc[:0]
    today_ts = pd.Timestamp(today)
    last_day = pd.Timedelta(days=OUTCOME_LAST_DAY)
    one_day = pd.Timedelta(days=1)
    span = pd.Timedelta(days=WINDOW_DAYS - 1)

    rows: list[tuple[Any, ...]] = []
    for patient in everyone:
        g = by_patient.get(patient, no_days)
        injections = injections_of.get(patient, [])

        def count(end: pd.Timestamp, g: pd.DataFrame = g) -> tuple[int, int]:
            inside = g["date"].between(end - span, end)
            return int(inside.sum()), int((inside & g["headache"]).sum())

        base_end = injections[0] - one_day if injections else today_ts
        rb, hb = count(base_end)
        rows.append(
            (patient, 0, base_end - span, base_end, rb, hb, rb, hb, np.nan, np.nan, pd.NA, pd.NA)
        )
        for k, injection in enumerate(injections):
            end = injection + last_day
            if k + 1 < len(injections):
                end = min(end, injections[k + 1] - one_day)
            rc, hc = count(end)
            if today_ts < end:  # in progress
                outcome: tuple[Any, ...] = (np.nan, np.nan, pd.NA, pd.NA)
            else:
                outcome = _outcomes(rc, hc, rb, hb)
            rows.append((patient, k + 1, end - span, end, rc, hc, rb, hb, *outcome))
    return _finish(pd.DataFrame(rows, columns=list(CORE_COLUMNS)))


# --- 3. pandas, vectorised -------------------------------------------------------------------

#: A (patient, date) pair as one sortable int64: the patient's dense index in the high 32
#: bits, the day number (offset to stay positive) in the low 32.
_DAY_OFFSET = 1 << 31


def _day_numbers(dates: pd.Series) -> pd.Series:
    """Dates as int64 days since 1970-01-01."""
    values = pd.to_datetime(dates).to_numpy().astype("datetime64[D]").astype("int64")
    return pd.Series(values, index=dates.index)


def _keys(index: pd.Series, day: pd.Series) -> pd.Series:
    return index.astype("int64") * (1 << 32) + (day + _DAY_OFFSET)


def pandas_vectorised(frames: Mapping[str, pd.DataFrame], today: dt.date) -> pd.DataFrame:
    """The core table with vectorised pandas: no Python loop over patients or rows.

    Day rules as column operations (`headache_days`); the diary sorted by one
    (patient, date) key with a running total of headache days; the windows
    (baseline and every cycle's outcome window) from the sorted sessions with
    groupby cumcount / shift; each window's counts as the difference of the
    running totals at two `searchsorted` positions (the last row on or before
    its end, the last row before its start).
    """
    diary, sessions, patients = frames["diary"], frames["sessions"], frames["patients"]
    everyone = pd.Index(pd.unique(pd.concat([patients["patient"], sessions["patient"]])))
    # diary rows of patients not in `patients` or `sessions` get index -1 and are never asked for
    days = pd.DataFrame(
        {
            "key": _keys(
                pd.Series(everyone.get_indexer(diary["patient"]), index=diary.index),
                _day_numbers(diary["date"]),
            ),
            "headache": headache_days(diary).astype("int64"),
        }
    )
    if not days["key"].is_monotonic_increasing:  # the generator's diary already is
        days = days.sort_values("key", kind="stable")
    keys = days["key"]
    headache_total = np.concatenate([[0], days["headache"].cumsum().to_numpy()])

    s = pd.DataFrame(
        {"patient": sessions["patient"], "injection": _day_numbers(sessions["date"])}
    ).sort_values(["patient", "injection"], kind="stable")
    by_patient = s.groupby("patient", sort=False)["injection"]
    s["cycle"] = by_patient.cumcount() + 1
    next_day_before = by_patient.shift(-1) - 1  # float, NaN for the last injection
    last_day = s["injection"] + OUTCOME_LAST_DAY
    s["window_end"] = last_day.where(~(next_day_before < last_day), next_day_before).astype("int64")
    today_day = (np.datetime64(today, "D") - np.datetime64(0, "D")).astype("int64")
    base = pd.DataFrame({"patient": everyone, "cycle": 0})
    base["window_end"] = (
        (base["patient"].map(by_patient.min()) - 1).fillna(today_day).astype("int64")
    )
    windows = pd.concat([base, s[["patient", "cycle", "window_end"]]], ignore_index=True)

    index = pd.Series(everyone.get_indexer(windows["patient"]), index=windows.index)
    upto_end = keys.searchsorted(_keys(index, windows["window_end"]), side="right")
    before_start = keys.searchsorted(
        _keys(index, windows["window_end"] - WINDOW_DAYS), side="right"
    )
    windows["recorded_days"] = upto_end - before_start
    windows["headache_days"] = headache_total[upto_end] - headache_total[before_start]

    baseline = windows.iloc[: len(base)].set_index("patient")
    rb = windows["patient"].map(baseline["recorded_days"])
    hb = windows["patient"].map(baseline["headache_days"])
    rc, hc = windows["recorded_days"], windows["headache_days"]
    windows["baseline_recorded_days"] = rb
    windows["baseline_headache_days"] = hb

    assessable = (
        (windows["cycle"] > 0)
        & (windows["window_end"] <= today_day)
        & (rc >= MIN_RECORDED_DAYS)
        & (rb >= MIN_RECORDED_DAYS)
    )
    reducible = assessable & (hb > 0)
    # exact integers divided once in float64: equal to float(Fraction) of the domain's value
    windows["headache_day_change"] = ((hc * rb - hb * rc) * WINDOW_DAYS / (rc * rb)).where(
        assessable
    )
    fewer = (hb * rc - hc * rb) * 100
    windows["headache_day_reduction_pct"] = (fewer / (hb * rc)).where(reducible)
    for name, percent in (("responder_30", RESPONDER_30), ("responder_50", RESPONDER_50)):
        windows[name] = (fewer >= percent * hb * rc).astype("boolean").where(reducible)

    end = windows["window_end"].to_numpy().astype("datetime64[D]")
    windows["window_end"] = end
    windows["window_start"] = end - np.timedelta64(WINDOW_DAYS - 1, "D")
    return _finish(windows)


# --- loading a generated cohort into the database --------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """What `load_into_database` wrote: the clinic, the patient ids in cohort order, counts."""

    clinic_id: int
    patient_ids: list[uuid.UUID]
    diary_entries: int
    medicines: int
    sessions: int
    cohort_index: dict[uuid.UUID, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cohort_index", {pk: i for i, pk in enumerate(self.patient_ids)})


#: Diary rows per COPY chunk (CSV text held in memory at once).
_COPY_ROWS = 500_000


def _text_value(value: Any) -> Any:
    """A model default in the text form COPY reads (None stays NULL)."""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return None if value is None else str(value)


def _python_values(values: Any) -> list[Any]:
    """A column (NumPy array, Polars Series or list) as DB-API values for `executemany`."""
    import polars as pl

    if isinstance(values, pl.Series):
        values = values.to_numpy() if values.dtype == pl.Date else values.to_list()
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        text = np.datetime_as_string(values.astype("datetime64[D]")).tolist()
        return [None if t == "NaT" else t for t in text]
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def _write_rows(model: Any, columns: dict[str, Any], n: int, now: dt.datetime) -> None:
    """Insert `n` rows of `model`: `columns` maps a column to its values (a NumPy array,
    Polars Series or list of length n) or to one value for every row; every other
    concrete column but the primary key gets its model default (timestamps: `now`).

    PostgreSQL: the rows as CSV (Polars writes it) streamed to COPY. Elsewhere:
    `executemany` of one INSERT.
    """
    import polars as pl
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    values: dict[str, Any] = {}  # column -> its values, or one value in the database's form
    arrays: set[str] = set()  # the columns with one value per row
    not_null: list[str] = []
    for f in model._meta.concrete_fields:
        name = f.column
        if name in columns:
            given = columns[name]
        elif f.primary_key:
            continue
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            given = now
        else:
            given = f.get_default()
        if not f.null:
            not_null.append(name)
        if name in columns and isinstance(given, np.ndarray | pl.Series | list):
            values[name] = given
            arrays.add(name)
        elif postgres:
            values[name] = _text_value(f.get_prep_value(given))
        else:
            values[name] = f.get_db_prep_save(given, connection)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in values)
    with connection.cursor() as cursor:
        if postgres:
            frame = pl.DataFrame({c: values[c] for c in arrays}).with_columns(
                pl.lit(v, dtype=pl.String).alias(c) for c, v in values.items() if c not in arrays
            )
            frame = frame.select(list(values))
            # an unquoted empty field is NULL in COPY's CSV, except in these columns
            options = f"FORMAT csv, FORCE_NOT_NULL ({', '.join(quote(c) for c in not_null)})"
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN ({options})") as copy:
                for lo in range(0, n, _COPY_ROWS):
                    copy.write(frame.slice(lo, _COPY_ROWS).write_csv(include_header=False))
        else:
            rows = zip(
                *(_python_values(v) if c in arrays else [v] * n for c, v in values.items()),
                strict=True,
            )
            marks = ", ".join(["%s"] * len(values))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


@contextmanager
def _foreign_keys_dropped(tables: Sequence[str]) -> Iterator[None]:
    """PostgreSQL: drop the tables' foreign keys, re-create them (checked in one pass each)
    after the block: the bulk-load advice of PostgreSQL's manual ("Populating a Database"),
    instead of one deferred check per row at commit. Inside the caller's transaction."""
    from django.db import connection

    with connection.cursor() as cursor:
        # ALTER TABLE refuses while checks of rows written earlier in the transaction are
        # pending: run them now, and defer again (Django's foreign keys are deferred) after
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [list(tables)],
        )
        keys = cursor.fetchall()
        for table, name, _ in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def load_into_database(cohort: Cohort, clinic: Clinic | None = None) -> Loaded:
    """Write a generated cohort's patients, diary (with medicines) and sessions, fast.

    One transaction; on PostgreSQL COPY (psycopg `cursor.copy`, the rows as
    CSV written by Polars), elsewhere `executemany`. Diary entry ids are
    assigned here (after the table's largest, with the table locked on
    PostgreSQL, the sequence moved on after), so the medicines can point at
    their entries without reading ids back. Every other column gets its
    model default (timestamps: now). No audit rows (not even for the clinic)
    and no signals: this is a benchmark fixture, not the demo
    (`cephalog.demo.load`). A new clinic is created unless `clinic` is
    given. On PostgreSQL the foreign keys of the three bulk tables are
    dropped for the load and re-created (checked) at its end, and the four
    tables are ANALYZEd, as after any bulk load: without statistics the
    planner can pick nested loops that take minutes.
    """
    import polars as pl
    from django.db import connection, transaction
    from django.utils import timezone

    from cephalog.accounts.models import Clinic
    from cephalog.demo import generate as gen
    from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, EntrySource
    from cephalog.patients.models import Patient
    from cephalog.treatment.models import Session, SessionStatus

    now = timezone.now()
    postgres = connection.vendor == "postgresql"

    def codes(values: np.ndarray[Any, Any], table: Sequence[Any]) -> np.ndarray[Any, Any]:
        """Values looked up by code, code -1 as the table's first entry."""
        return np.asarray(table, dtype=object)[values.astype(np.int64)]

    bulk_tables = [m._meta.db_table for m in (DiaryEntry, AcuteMedicationTaken, Session)]
    with (
        transaction.atomic(),
        _foreign_keys_dropped(bulk_tables) if postgres else nullcontext(),
    ):
        if clinic is None:
            tag = uuid.uuid4().hex[:12]
            clinic = Clinic.objects.create(slug=f"bench-{tag}", name=f"Benchmark clinic {tag}")
        p, d, s = cohort.patients, cohort.diary, cohort.sessions
        n = cohort.n_patients
        ids = [uuid.uuid4() for _ in range(n)]
        # the database's form of the ids: text on PostgreSQL (CSV), 32 hex digits on SQLite
        db_ids = np.asarray(
            [
                str(pk) if postgres else Patient._meta.pk.get_db_prep_save(pk, connection)
                for pk in ids
            ]
            + [None],
            dtype=object,
        )
        _write_rows(
            Patient,
            {
                "id": db_ids[:n],
                "clinic_id": clinic.pk,
                "mrn": p.mrn.astype(str),
                "given_name": p.given_name.astype(str),
                "family_name": p.family_name.astype(str),
                "birth_date": p.birth_date,
                "sex": codes(p.sex, gen.SEXES),
                "consent_date": p.diary_start,
                "consent_version": "bench",
                "chronic_headache_since": p.chronic_headache_since,
                "migraine_onset_year": p.migraine_onset_year,
                "migraine_with_aura": p.migraine_with_aura,
            },
            n,
            now,
        )

        rows = len(d.date)
        table = DiaryEntry._meta.db_table
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            first_id = int(cursor.fetchone()[0]) + 1
        entry_ids = np.arange(first_id, first_id + rows, dtype=np.int64)
        _write_rows(
            DiaryEntry,
            {
                "id": entry_ids,
                "patient_id": db_ids[d.patient],
                "date": d.date,
                # half hours: exact in float32, written as 7.5, 24.0
                "headache_hours": d.headache_hours.astype(np.float64),
                "peak_intensity": codes(d.intensity + 1, ["", *gen.INTENSITIES]),
                **{name: getattr(d, name) for name in (*_BOOLS, "aura_minutes", "late")},
                "source": str(EntrySource.DEMO),
            },
            rows,
            now,
        )
        if postgres and rows:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [table, int(entry_ids[-1])],
                )

        row, slot = np.nonzero(d.acute_class >= 0)
        effective = d.acute_effective[row, slot]
        _write_rows(
            AcuteMedicationTaken,
            {
                "entry_id": entry_ids[row],
                "name": codes(d.acute_drug[row, slot], gen.ACUTE_DRUG_NAMES),
                "drug_class": codes(d.acute_class[row, slot], gen.ACUTE_CLASSES),
                "effective": pl.Series(effective == 1).set(pl.Series(effective < 0), None),
            },
            len(row),
            now,
        )
        _write_rows(
            Session,
            {
                "patient_id": db_ids[s.patient],
                "date": s.date,
                "status": str(SessionStatus.COMPLETED),
                "total_units": s.units,
                "sites_injected": s.sites,
            },
            len(s.date),
            now,
        )
    if postgres:  # planner statistics for the bulk-loaded tables (autovacuum is not instant)
        with connection.cursor() as cursor:
            for model in (Patient, DiaryEntry, AcuteMedicationTaken, Session):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return Loaded(
        clinic_id=clinic.pk,
        patient_ids=ids,
        diary_entries=rows,
        medicines=len(row),
        sessions=len(s.date),
    )


# --- 1. the per-patient ORM loop -------------------------------------------------------------


def _lean_diary_days(patient: Any) -> dict[dt.date, Any]:
    """`diary_days` with only the columns the day rules read, as tuples (`values_list`)."""
    from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry
    from cephalog.domain.diary import AcuteMedication, DiaryDay

    medicines: dict[int, list[AcuteMedication]] = {}
    for entry_id, name, drug_class, effective in (
        AcuteMedicationTaken.objects.filter(entry__patient=patient)
        .order_by("id")
        .values_list("entry_id", "name", "drug_class", "effective")
    ):
        medicines.setdefault(entry_id, []).append(AcuteMedication(name, drug_class, effective))
    days = {}
    for entry_id, date, hours, intensity, *flags, aura in (
        DiaryEntry.objects.filter(patient=patient)
        .order_by("date")
        .values_list("id", "date", "headache_hours", "peak_intensity", *_BOOLS, "aura_minutes")
    ):
        days[date] = DiaryDay(
            date,
            float(hours),
            intensity or None,
            *flags,
            aura_minutes=aura,
            acute_medications=tuple(medicines.get(entry_id, ())),
        )
    return days


def orm_loop(patient_ids: Sequence[Any], today: dt.date, *, lean: bool = False) -> pd.DataFrame:
    """The core table the way the app computes one patient's outcomes, patient by patient.

    For each patient: the diary entries with their medicines and the
    completed sessions through the ORM, as `cephalog.eligibility.case.build_case`
    reads them (`cephalog.diary.queries.diary_days`: model instances with
    `prefetch_related("medications")`, two queries; the sessions, one); then
    the domain's `baseline_window` and `compute_cycles`, exact fractions
    throughout. Patients are fetched 1,000 at a time.

    `lean=True` reads the diary with `values_list` of only the columns the day
    rules need (still two queries per patient): the loop a developer who tuned
    the queries would write. Same result.
    """
    from cephalog.diary.queries import diary_days
    from cephalog.domain.cycles import compute_cycles
    from cephalog.domain.windows import baseline_window
    from cephalog.patients.models import Patient

    read_days = _lean_diary_days if lean else diary_days

    def number(value: Any) -> Any:
        return np.nan if value is None else float(value)

    def flag(value: bool | None) -> Any:
        return pd.NA if value is None else value

    rows: list[tuple[Any, ...]] = []
    for lo in range(0, len(patient_ids), 1000):
        chunk = list(patient_ids[lo : lo + 1000])
        patients = Patient.objects.in_bulk(chunk)
        for pk in chunk:
            patient = patients[pk]
            days = read_days(patient)
            injections = list(
                patient.sessions.filter(status="completed")
                .order_by("date")
                .values_list("date", flat=True)
            )
            base = baseline_window(days, injections, today)
            rb, hb = base.recorded_days, base.headache_days
            rows.append((pk, 0, base.start, base.end, rb, hb, rb, hb, np.nan, np.nan, pd.NA, pd.NA))
            for cycle in compute_cycles(days, injections, base, today):
                w = cycle.window
                rows.append(
                    (
                        pk,
                        cycle.number,
                        w.start,
                        w.end,
                        w.recorded_days,
                        w.headache_days,
                        rb,
                        hb,
                        number(cycle.headache_day_change),
                        number(cycle.headache_day_reduction_pct),
                        flag(cycle.responder_30),
                        flag(cycle.responder_50),
                    )
                )
    return _finish(pd.DataFrame(rows, columns=list(CORE_COLUMNS)))


# --- 4. PostgreSQL ---------------------------------------------------------------------------

_SQL = """
WITH patients AS (
    SELECT id FROM {patient} {where}
),
medicines AS (  -- per diary entry: a triptan or ergot taken (MS); one that worked (T)
    SELECT m.entry_id,
           bool_or(m.drug_class IN ({specific})) AS specific,
           bool_or(m.drug_class IN ({specific}) AND m.effective IS TRUE) AS relieved
    FROM {medicine} m
    GROUP BY m.entry_id
),
days AS (  -- spec section 2 on the raw facts
    SELECT e.patient_id, e.date,
           e.headache_hours > 0 AND (
               e.headache_hours >= {long}
               OR COALESCE(md.specific, false)
               OR (  -- migraine day
                   ((e.unilateral::int + e.pulsating::int + e.aggravated_by_activity::int
                     + (e.peak_intensity IN ({mod_sev}))::int) >= 2   -- C
                    AND (e.nausea OR e.vomiting OR (e.photophobia AND e.phonophobia)))  -- D
                   OR (e.headache_hours >= {long}
                       AND ((e.unilateral::int + e.pulsating::int + e.aggravated_by_activity::int
                             + (e.peak_intensity IN ({mod_sev}))::int) >= 2
                            OR e.nausea OR e.vomiting OR (e.photophobia AND e.phonophobia)))
                   OR COALESCE(md.relieved, false)
                   OR e.aura_minutes BETWEEN {aura_min} AND {aura_max}
               )
           ) AS headache
    FROM {entry} e
    JOIN patients p ON p.id = e.patient_id
    LEFT JOIN medicines md ON md.entry_id = e.id
),
injections AS (
    SELECT s.patient_id, s.date,
           row_number() OVER w AS cycle,
           lead(s.date) OVER w AS next_date
    FROM {session} s
    JOIN patients p ON p.id = s.patient_id
    WHERE s.status = 'completed'
    WINDOW w AS (PARTITION BY s.patient_id ORDER BY s.date)
),
windows AS (  -- baseline (cycle 0) and each cycle's outcome window, by their last day
    SELECT p.id AS patient_id, 0::bigint AS cycle,
           COALESCE(f.first_date - 1, %(today)s::date) AS window_end
    FROM patients p
    LEFT JOIN (SELECT patient_id, min(date) AS first_date FROM injections GROUP BY patient_id) f
        ON f.patient_id = p.id
    UNION ALL
    SELECT patient_id, cycle, LEAST(date + {last_day}, next_date - 1)
    FROM injections
),
counts AS (  -- each window's 28 dates joined to the diary days on (patient, date)
    SELECT w.patient_id, w.cycle,
           count(*) AS recorded_days,
           count(*) FILTER (WHERE d.headache) AS headache_days
    FROM windows w
    CROSS JOIN generate_series(0, {span}) AS k(back)
    JOIN days d ON d.patient_id = w.patient_id AND d.date = w.window_end - k.back
    GROUP BY w.patient_id, w.cycle
),
window_counts AS (  -- with the windows that have no recorded day
    SELECT w.patient_id, w.cycle, w.window_end,
           COALESCE(c.recorded_days, 0) AS recorded_days,
           COALESCE(c.headache_days, 0) AS headache_days
    FROM windows w
    LEFT JOIN counts c ON c.patient_id = w.patient_id AND c.cycle = w.cycle
),
paired AS (
    SELECT c.patient_id, c.cycle, c.window_end,
           c.recorded_days AS rc, c.headache_days AS hc,
           b.recorded_days AS rb, b.headache_days AS hb,
           c.cycle > 0 AND c.window_end <= %(today)s::date
               AND c.recorded_days >= {min_days} AND b.recorded_days >= {min_days} AS assessable
    FROM window_counts c
    JOIN window_counts b ON b.patient_id = c.patient_id AND b.cycle = 0
)
SELECT patient_id, cycle, window_end - {span} AS window_start, window_end,
       rc, hc, rb, hb,
       CASE WHEN assessable
            THEN ((hc * rb - hb * rc) * {window})::float8 / (rc * rb)::float8 END,
       CASE WHEN assessable AND hb > 0
            THEN ((hb * rc - hc * rb) * 100)::float8 / (hb * rc)::float8 END,
       CASE WHEN assessable AND hb > 0
            THEN (hb * rc - hc * rb) * 100 >= {r30} * hb * rc END,
       CASE WHEN assessable AND hb > 0
            THEN (hb * rc - hc * rb) * 100 >= {r50} * hb * rc END
FROM paired
ORDER BY patient_id, cycle
"""


def _quoted(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def postgres_sql(today: dt.date, patient_ids: Sequence[Any] | None = None) -> pd.DataFrame:
    """The core table computed in PostgreSQL by one statement, read into a DataFrame.

    Day rules as SQL expressions over the diary entries and an aggregate of
    their medicines; the sessions numbered and paired with the next by window
    functions; each window's 28 dates (`generate_series`) left-joined to the
    diary days on (patient, date) and counted; change and reduction as float8
    divisions of exact integers, responders compared in integers. For every
    patient in the database, or those of `patient_ids`.
    """
    from django.db import connection

    from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry
    from cephalog.patients.models import Patient
    from cephalog.treatment.models import Session

    if connection.vendor != "postgresql":
        raise RuntimeError("postgres_sql needs a PostgreSQL database")
    sql = _SQL.format(
        patient=Patient._meta.db_table,
        entry=DiaryEntry._meta.db_table,
        medicine=AcuteMedicationTaken._meta.db_table,
        session=Session._meta.db_table,
        where="" if patient_ids is None else "WHERE id = ANY(%(ids)s)",
        specific=_quoted(_SPECIFIC),
        mod_sev=_quoted(_MOD_SEV),
        long=LONG_HEADACHE_HOURS,
        aura_min=AURA_MIN_MINUTES,
        aura_max=AURA_MAX_MINUTES,
        last_day=OUTCOME_LAST_DAY,
        span=WINDOW_DAYS - 1,
        window=WINDOW_DAYS,
        min_days=MIN_RECORDED_DAYS,
        r30=RESPONDER_30,
        r50=RESPONDER_50,
    )
    params: dict[str, Any] = {"today": today}
    if patient_ids is not None:
        params["ids"] = list(patient_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    table = pd.DataFrame(rows, columns=list(CORE_COLUMNS))
    for name in ("headache_day_change", "headache_day_reduction_pct"):
        table[name] = table[name].astype("float64")  # None -> NaN
    return _finish(table)
