"""Step 3: the day grid, prefix sums and windows, one cell per patient-day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cephalog.analytics.dense.codes import _BITS, FIELDS, Array
from cephalog.analytics.dense.table import day_class_table

# --- 3. the day grid and windows -------------------------------------------------------------


#: Cells per year in the "years" layout: day-of-year 0..365 (the last is empty in common years).
YEAR_CELLS = 366


def year_of(day: Array) -> NDArray[np.int64]:
    """Calendar year of day numbers."""
    years: NDArray[np.int64] = (
        day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    )
    return years


def day_of_year(day: Array) -> NDArray[np.int64]:
    """0-based day of the year of day numbers."""
    jan1 = day.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]")
    doy: NDArray[np.int64] = (day - jan1.astype(np.int64)).astype(np.int64)
    return doy


def _first_and_span(bounds: Array, values: Array) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per patient, whose rows are `bounds[i]:bounds[i + 1]` of the sorted `values`: the
    first value, and how many values from the first to the last (0 with no rows)."""
    n_patients = len(bounds) - 1
    has_rows = bounds[1:] > bounds[:-1]
    first = np.zeros(n_patients, dtype=np.int64)
    last = np.full(n_patients, -1, dtype=np.int64)
    first[has_rows] = values[bounds[:-1][has_rows]]
    last[has_rows] = values[bounds[1:][has_rows] - 1]
    return first, last - first + 1


@dataclass(frozen=True)
class DayGrid:
    """Day codes per patient, one cell per calendar day, patients one after another.

    Patient `p` owns cells `offset[p]` .. `offset[p + 1] - 1` (none without a diary).
    Two layouts:

    - `"days"`: cell `k` of patient `p` is day number `first[p] + k`;
    - `"years"`: 366 cells per calendar year from year `first[p]`, cell
      `(year - first[p]) * 366 + day_of_year` (how `cephalog.outcomes.daycodes`
      stores a patient-year in PostgreSQL). The 366th cell of a common year is
      never recorded, so it adds nothing to any count.
    """

    codes: NDArray[np.uint16]
    offset: NDArray[np.int64]  # n_patients + 1
    first: NDArray[np.int64]
    layout: str = "days"

    @property
    def n_patients(self) -> int:
        return len(self.offset) - 1

    def cells(self, patient: Array, day: Array) -> NDArray[np.int64]:
        """Cell of each (patient, day) relative to the patient's first cell (may be out of range)."""
        if self.layout == "days":
            relative: NDArray[np.int64] = day - self.first[patient]
            return relative
        return (year_of(day) - self.first[patient]) * YEAR_CELLS + day_of_year(day)

    @classmethod
    def from_rows(
        cls, n_patients: int, patient: Array, day: Array, codes: NDArray[np.uint16]
    ) -> DayGrid:
        """From recorded days sorted by (patient, day), one row per patient and day."""
        if len(patient) and not (
            np.all(patient[1:] >= patient[:-1]) and patient[0] >= 0 and patient[-1] < n_patients
        ):
            raise ValueError("diary rows must be sorted by patient, with indices < n_patients")
        bounds = np.searchsorted(patient, np.arange(n_patients + 1, dtype=patient.dtype))
        first, span = _first_and_span(bounds, day)
        offset = np.zeros(n_patients + 1, dtype=np.int64)
        np.cumsum(span, out=offset[1:])
        cells = np.zeros(int(offset[-1]), dtype=np.uint16)
        counts = bounds[1:] - bounds[:-1]
        # native-size positions: NumPy scatters with them three times faster than with int32
        position = np.repeat(offset[:-1] - first, counts)
        position += day
        if len(position) and np.any(position[1:] <= position[:-1]):
            raise ValueError("diary rows must be sorted by date within a patient, one per date")
        cells[position] = codes
        return cls(cells, offset, first)

    @classmethod
    def from_years(
        cls, n_patients: int, patient: Array, year: Array, codes: NDArray[np.uint16]
    ) -> DayGrid:
        """From patient-years sorted by (patient, year): `codes` is (rows, 366), row-major.

        Years missing between a patient's first and last are left unrecorded.
        """
        patient = np.asarray(patient, dtype=np.int64)
        year = np.asarray(year, dtype=np.int64)
        if len(patient) and not (
            np.all(np.diff(patient * 100_000 + year) > 0)
            and patient[0] >= 0
            and patient[-1] < n_patients
        ):
            raise ValueError("patient-years must be sorted and unique, with indices < n_patients")
        bounds = np.searchsorted(patient, np.arange(n_patients + 1))
        first, years = _first_and_span(bounds, year)
        offset = np.zeros(n_patients + 1, dtype=np.int64)
        np.cumsum(years * YEAR_CELLS, out=offset[1:])
        flat = np.ascontiguousarray(codes, dtype=np.uint16).reshape(-1, YEAR_CELLS)
        if int(years.sum()) == len(patient):  # no gaps: the strips are the grid
            return cls(flat.reshape(-1), offset, first, "years")
        cells = np.zeros((int(years.sum()), YEAR_CELLS), dtype=np.uint16)
        slot = offset[:-1][patient] // YEAR_CELLS + (year - first[patient])
        cells[slot] = flat
        return cls(cells.reshape(-1), offset, first, "years")


@dataclass(frozen=True)
class Cumulative:
    """Prefix sums of class words over the grid: `totals[k]` = words of cells before k."""

    grid: DayGrid
    totals: NDArray[np.uint32]

    @classmethod
    def of(cls, grid: DayGrid, definition: str = "label") -> Cumulative:
        totals = np.empty(len(grid.codes) + 1, dtype=np.uint32)
        totals[0] = 0
        words = day_class_table(definition)[grid.codes]
        np.cumsum(words, out=totals[1:], dtype=np.uint32)
        return cls(grid, totals)

    def at(self, patient: Array, day: Array) -> NDArray[np.uint32]:
        """The running total of each patient's words before `day` (a window's boundary)."""
        g = self.grid
        span = g.offset[patient + 1] - g.offset[patient]
        totals: NDArray[np.uint32] = self.totals[
            g.offset[patient] + np.clip(g.cells(patient, day), 0, span)
        ]
        return totals

    def window(self, patient: Array, start: Array, end: Array) -> dict[str, NDArray[np.int64]]:
        """The six counts of each window `[start, end]` (day numbers, at most 28 days)."""
        return unpack(self.at(patient, end + 1) - self.at(patient, start))


def unpack(packed: NDArray[np.uint32]) -> dict[str, NDArray[np.int64]]:
    """The six counts of packed window sums (differences of running totals)."""
    return {
        name: ((packed >> (_BITS * i)) & ((1 << _BITS) - 1)).astype(np.int64)
        for i, name in enumerate(FIELDS)
    }
