"""Small helpers of the generator: int days, clinic days and seeded draws."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from cephalog.demo.generate.codes import _NO_DAY
from cephalog.demo.generate.tables import Array


def _to_days(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def _weekday(days: Array) -> Array:
    """Monday = 0 ... Sunday = 6 for int days since 1970-01-01 (a Thursday)."""
    return (days + 3) % 7


def _clinic_day(days: Array, today: int) -> Array:
    """Move a Saturday back to Friday and a Sunday on to Monday (not past `today`)."""
    wd = _weekday(days)
    out = np.where(wd == 5, days - 1, np.where(wd == 6, days + 1, days))
    return np.where((wd == 6) & (out > today), days - 2, out)


def _as_dates(days: Array) -> Array:
    out = days.astype("datetime64[D]")
    out[days == _NO_DAY] = np.datetime64("NaT", "D")
    return out


def _half_hours(hours: Array) -> Array:
    return (np.round(hours * 2) / 2).astype(np.float32)


def _pick(rng: np.random.Generator, n: int, probs: Sequence[float]) -> Array:
    """n category codes drawn with the given probabilities (int8)."""
    cum = np.cumsum(probs)
    return np.searchsorted(cum / cum[-1], rng.random(n), side="right").astype(np.int8)


def _uniform_int(rng: np.random.Generator, low: Array | int, high: Array | int, n: int) -> Array:
    """Integers in [low, high] inclusive, elementwise."""
    low_a = np.asarray(low, dtype=np.float64)
    high_a = np.asarray(high, dtype=np.float64)
    return (low_a + np.floor(rng.random(n) * (high_a - low_a + 1))).astype(np.int64)
