"""Checking every row with Polars column expressions (the problem lines are worded in
`problems`)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from django.utils import timezone

from cephalog.diary.actions import FLAGS, MAX_MEDICINE_NAME, MAX_MEDICINES_PER_DAY
from cephalog.diary.bulk_import.common import (
    _DATE,
    _EFFECTS,
    _FALSE,
    _FORMULA_START,
    _INTENSITIES,
    _NUMBER,
    _TRUE,
    _WS,
    MAX_AURA_MINUTES,
    PATIENT_COLUMN,
    WHITESPACE,
)
from cephalog.diary.bulk_import.reading import (
    Table,
)
from cephalog.domain.importing import (
    DAY_COLUMNS,
)
from cephalog.domain.vocab import ACUTE_CLASS_CODES, INTENSITY_CODES

# --- Checking the rows (vectorised) ----------------------------------------------------------


@dataclass
class Checked:
    """The rows ready to store, or (`bad`) the rows with problems.

    `days`: n (row), p (index into `patients`), date, h100 (hundredths of an hour),
    peak_intensity ("" without headache) and its code (0 none, 1 mild, ...), the
    FLAGS, aura_minutes, late. `medicines`: n, p, date, ord (order within the day),
    name, drug_class, effective (null: unknown). `patients`: p, patient (id).
    """

    days: pl.DataFrame
    medicines: pl.DataFrame
    patients: pl.DataFrame
    bad: pl.DataFrame


def _clean(frame: pl.DataFrame, name: str, plain: bool) -> pl.Series:
    """A column as the per-patient import reads its cells: stripped, formula guard removed."""
    if name not in frame.columns:
        return pl.Series(name, [""] * frame.height, dtype=pl.String)
    cells = frame[name].fill_null("")
    if not plain and cells.str.contains(f"^{_WS}|{_WS}$").any():
        cells = cells.str.strip_chars(WHITESPACE)
    if name != PATIENT_COLUMN and cells.str.starts_with("'").any():
        guarded = cells.str.starts_with("'") & cells.str.slice(1, 1).is_in(_FORMULA_START)
        cells = pl.select(pl.when(guarded).then(cells.str.slice(1)).otherwise(cells)).to_series()
    return cells.alias(name)


def _lower(cells: pl.Series, usual: Sequence[str]) -> pl.Series:
    """Lower-cased, unless every cell is already one of `usual` (the common case)."""
    return cells if cells.is_in(usual).all() else cells.str.to_lowercase()


def check_rows(
    table: Table,
    patients: pl.DataFrame,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Checked:
    """Every rule of the days import, vectorised over the whole file.

    `patients` maps the clinic's MRNs to patient ids and time zones. A date is
    in the future after the patient's local today (`today` overrides it for all).
    """
    assert table.frame is not None
    frame = table.frame
    cells = pl.DataFrame(
        [
            frame["_line"],
            *(_clean(frame, name, table.plain) for name in (PATIENT_COLUMN, *DAY_COLUMNS)),
        ]
    ).with_row_index("n")
    cells, patients = _with_patients(cells, patients, today=today, now=now)
    rules, flags = _row_rules(cells)
    code, distinct, items, bad_codes = _medicine_rules(cells, table.plain)
    rules = rules.with_columns(code=code, bad_medicines=code.is_in(bad_codes.implode()))
    row_rules = [
        "bad_patient",
        "bad_date",
        "bad_hours",
        "bad_intensity",
        "bad_flags",
        "bad_aura",
        "bad_future",
        "bad_medicines",
    ]
    rules = rules.with_columns(bad_row=pl.any_horizontal(*row_rules))
    rules = _duplicates(rules)
    is_bad = pl.col("bad_row") | pl.col("bad_duplicate")
    if rules.select(is_bad.any()).item():
        bad = rules.filter(is_bad).select(
            "_line",
            "p",
            "first_line",
            *(PATIENT_COLUMN, *DAY_COLUMNS),
            *row_rules,
            "bad_duplicate",
        )
        return Checked(rules.clear(), items.clear(), patients, bad)
    return _checked(rules, flags, items, len(distinct), patients)


def _with_patients(
    cells: pl.DataFrame,
    patients: pl.DataFrame,
    *,
    today: dt.date | None,
    now: dt.datetime | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each row's patient number `p` (null: no such MRN) and their local `today`."""
    now = now or timezone.now()
    zones = patients["time_zone"].unique().to_list()
    todays = pl.DataFrame(
        {
            "time_zone": zones,
            "today": [today or now.astimezone(zoneinfo.ZoneInfo(z)).date() for z in zones],
        },
        schema={"time_zone": pl.String, "today": pl.Date},
    )
    patients = (
        patients.with_row_index("p")
        .join(todays, on="time_zone", how="left")
        .select("p", PATIENT_COLUMN, "patient", "today")
    )
    p = cells[PATIENT_COLUMN].replace_strict(
        patients[PATIENT_COLUMN], patients["p"], default=None, return_dtype=pl.UInt32
    )
    cells = cells.with_columns(p=p, today=patients["today"].gather(p))
    return cells, patients


def _row_rules(cells: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """The parsed values and a `bad_` column per rule of a row's own cells; the flags."""
    date = cells["date"]
    parsed = date.str.to_date("%Y-%m-%d", strict=False)
    day = pl.select(
        pl.when(date.str.contains(_DATE) & (parsed.dt.year() >= 1)).then(parsed)
    ).to_series()
    hours_cell = cells["headache_hours"]
    hours = pl.select(
        pl.when(hours_cell.str.contains(_NUMBER)).then(hours_cell.cast(pl.Float64, strict=False))
    ).to_series()
    intensity = _lower(cells["peak_intensity"], _INTENSITIES)
    aura_cell = cells["aura_minutes"]
    aura = pl.select(
        pl.when(aura_cell == "")
        .then(pl.lit(0.0))
        .when(aura_cell.str.contains(_NUMBER))
        .then(aura_cell.cast(pl.Float64, strict=False))
    ).to_series()
    flags: dict[str, pl.Series] = {}
    bad_flags = pl.Series(np.zeros(cells.height, dtype=bool))
    for name in FLAGS:
        cell = cells[name]
        value = cell == "true"
        if not (value | (cell == "false") | (cell == "")).all():
            lower = cell.str.to_lowercase()
            value = lower.is_in(_TRUE)
            bad_flags = bad_flags | ~lower.is_in(["", *_TRUE, *_FALSE])
        flags[name] = value.alias(name)

    rules = cells.with_columns(
        day=day,
        hours_value=hours,
        intensity=intensity,
        aura_value=aura,
        bad_patient=pl.col("p").is_null(),
        bad_date=day.is_null(),
        bad_hours=hours.is_null() | ~hours.is_between(0.0, 24.0),
        bad_intensity=((intensity != "") & ~intensity.is_in(INTENSITY_CODES))
        | ((intensity == "") & hours.is_not_null() & (hours > 0)),
        bad_flags=bad_flags,
        bad_aura=aura.is_null()
        | (aura != aura.floor())
        | ~aura.is_between(0.0, float(MAX_AURA_MINUTES)),
    ).with_columns(
        bad_future=pl.col("day").is_not_null()
        & pl.col("today").is_not_null()
        & (pl.col("day") > pl.col("today")),
    )
    return rules, flags


def _medicine_rules(
    cells: pl.DataFrame, plain: bool
) -> tuple[pl.Series, pl.Series, pl.DataFrame, pl.Series]:
    """Each row's medicines cell code, the distinct cells, their items, the bad codes."""
    # The medicine rules run once per distinct cell (a registry has few) and the
    # verdicts are mapped back to the rows by the cell's code.
    cell = cells["acute_medications"]
    distinct = cell.unique()
    code = cell.replace_strict(distinct, range(len(distinct)), return_dtype=pl.UInt32)
    items = _medicines(
        pl.DataFrame({"code": range(len(distinct)), "acute_medications": distinct}),
        plain,
    )
    bad_codes = (
        items.group_by("code")
        .agg(
            bad=(~pl.col("well_formed") | ~pl.col("class_ok") | ~pl.col("name_ok")).any()
            | (pl.len() > MAX_MEDICINES_PER_DAY)
        )
        .filter("bad")["code"]
    )
    return code, distinct, items, bad_codes


def _checked(
    rules: pl.DataFrame,
    flags: dict[str, pl.Series],
    items: pl.DataFrame,
    distinct: int,
    patients: pl.DataFrame,
) -> Checked:
    """The days and medicines to store, from rules without a problem."""
    h100 = _hundredths(rules)
    intensity_code = pl.col("intensity").cast(pl.Enum(_INTENSITIES)).to_physical().cast(pl.Int16)
    days = rules.select(
        "n",
        "p",
        pl.col("day").alias("date"),
        h100.alias("h100"),
        pl.when(h100 > 0).then(pl.col("intensity")).otherwise(pl.lit("")).alias("peak_intensity"),
        pl.when(h100 > 0).then(intensity_code).otherwise(pl.lit(0, pl.Int16)).alias("intensity"),
        pl.col("aura_value").cast(pl.Int16).alias("aura_minutes"),
        (pl.col("day") < pl.col("today")).alias("late"),
    ).with_columns(**flags)
    # Each row's medicines: its cell's items, in order (rows in file order).
    item = pl.struct("ord", "name", "drug_class", "effective")
    by_code = (
        pl.DataFrame({"code": range(distinct)}, schema={"code": pl.UInt32})
        .join(items.group_by("code").agg(items=item), on="code", how="left")
        .sort("code")["items"]
    )
    taking = rules.filter(pl.col("code").is_in(items["code"].unique().implode()))
    medicines = (
        taking.select("n", "p", pl.col("day").alias("date"))
        .with_columns(items=by_code.gather(taking["code"]))
        .explode("items")
        .unnest("items")
    )
    return Checked(days, medicines, patients, rules.clear())


def _duplicates(rules: pl.DataFrame) -> pl.DataFrame:
    """Two rows for one patient's date: the later ones are problems (among rows that are
    otherwise valid, as in read_days_csv). A file sorted by patient and date has none."""
    key = (pl.col("p").cast(pl.Int64) * 4_000_000 + pl.col("day").cast(pl.Int32)).alias("key")
    good = rules.filter(~pl.col("bad_row")).select("n", "_line", key)
    none = pl.lit(None, pl.Int32)
    if good.height < 2 or good.select((pl.col("key").diff().drop_nulls() > 0).all()).item():
        return rules.with_columns(first_line=none, bad_duplicate=pl.lit(False))
    repeated = good.filter(pl.col("key").is_duplicated())
    if not repeated.height:
        return rules.with_columns(first_line=none, bad_duplicate=pl.lit(False))
    repeated = repeated.with_columns(first_line=pl.col("_line").min().over("key")).filter(
        pl.col("first_line") != pl.col("_line")
    )
    return rules.join(
        repeated.select("n", "first_line"), on="n", how="left", maintain_order="left"
    ).with_columns(bad_duplicate=pl.col("first_line").is_not_null())


def _hundredths(rules: pl.DataFrame) -> pl.Expr:
    """Hours to 0.01 h as the per-patient import stores them: `round(float(cell), 2)`.

    A cell with at most two decimals is exact; a longer one (rare) is rounded by
    Python itself, so half-way cases match `round` (`2.675` -> 2.67).
    """
    value = pl.col("hours_value")
    long = pl.col("headache_hours").str.contains(r"\.[0-9]{3,}$")
    if rules.select(long.any()).item():
        return (
            pl.when(long)
            .then(value.map_elements(lambda v: round(round(v, 2) * 100), return_dtype=pl.Int64))
            .otherwise((value * 100).round(0).cast(pl.Int64))
            .cast(pl.Int16)
        )
    return (value * 100).round(0).cast(pl.Int16)


def _medicines(cells: pl.DataFrame, plain: bool) -> pl.DataFrame:
    """One row per medicine item of the `acute_medications` cells (`name:class:yes|no|unknown`,
    `;` between items; `%25`, `%3A`, `%3B` in names), with the rules it breaks; `code`
    names the cell, `ord` the item's place in it."""

    def strip(text: pl.Expr) -> pl.Expr:
        return text if plain else text.str.strip_chars(WHITESPACE)

    items = (
        cells.filter(pl.col("acute_medications") != "")
        .select(
            "code",
            item=pl.col("acute_medications")
            .str.split(";")
            .list.eval(pl.element().filter(strip(pl.element()) != "")),
        )
        .with_columns(ord=pl.int_ranges(0, pl.col("item").list.len(), dtype=pl.Int16))
        .explode("item", "ord")
        .drop_nulls("item")
    )
    parts = pl.col("item").str.split(":")
    items = items.with_columns(
        count=parts.list.len(),
        p0=strip(parts.list.get(0, null_on_oob=True)),
        p1=strip(parts.list.get(1, null_on_oob=True)),
        p2=strip(parts.list.get(2, null_on_oob=True)).str.to_lowercase(),
    )
    name = (
        pl.col("p0")
        .str.replace_all("%3B", ";", literal=True)
        .str.replace_all("%3A", ":", literal=True)
        .str.replace_all("%25", "%", literal=True)
    )
    return items.select(
        "code",
        "ord",
        well_formed=pl.col("count").is_between(2, 3)
        & ((pl.col("count") == 2) | pl.col("p2").is_in(["yes", "no", "unknown", ""])),
        class_ok=pl.col("p1").is_in(ACUTE_CLASS_CODES),
        name=pl.when(name == "").then(pl.col("p1")).otherwise(name),
        drug_class=pl.col("p1"),
        effective=pl.col("p2").replace_strict(_EFFECTS, default=None, return_dtype=pl.Boolean),
    ).with_columns(name_ok=pl.col("name").str.len_chars() <= MAX_MEDICINE_NAME)
