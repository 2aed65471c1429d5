"""Per-value checks, shared with the web forms and the API (spec section 1)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cephalog.domain.case.records import ROOT

# --- Value checks (shared with the web forms and the API) ----------------------------------


def describe(value: object) -> str:
    """A value as it would appear in JSON, shortened, for error messages."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def join(path: str, key: str | int) -> str:
    """The path of `key` inside `path`: `diary[3]` + `date` → `diary[3].date`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def check_date(value: object, path: str, problems: list[str]) -> dt.date | None:
    """A strict ISO 8601 calendar date, `YYYY-MM-DD` (spec section 1)."""
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(f"{path}: must be a date YYYY-MM-DD, got {describe(value)}")
    return None


def check_bool(value: object, path: str, problems: list[str]) -> bool | None:
    """A JSON boolean; numbers and strings are refused."""
    if isinstance(value, bool):
        return value
    problems.append(f"{path}: must be true or false, got {describe(value)}")
    return None


def check_number(
    value: object,
    path: str,
    problems: list[str],
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    whole: bool = False,
) -> float | None:
    """A finite JSON number (booleans refused), optionally whole and within bounds."""
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError):  # an integer too large for a float
            number = float(value)
    if not math.isfinite(number):
        problems.append(f"{path}: must be a number, got {describe(value)}")
        return None
    if whole and not number.is_integer():
        problems.append(f"{path}: must be a whole number, got {describe(value)}")
        return None
    if minimum is not None and maximum is not None and not minimum <= number <= maximum:
        problems.append(
            f"{path}: must be between {minimum:g} and {maximum:g}, got {describe(value)}"
        )
        return None
    if minimum is not None and number < minimum:
        problems.append(f"{path}: must be {minimum:g} or more, got {describe(value)}")
        return None
    if maximum is not None and number > maximum:
        problems.append(f"{path}: must be {maximum:g} or less, got {describe(value)}")
        return None
    return number


def check_string(value: object, path: str, problems: list[str]) -> str | None:
    """A non-empty JSON string."""
    if not isinstance(value, str):
        problems.append(f"{path}: must be a string, got {describe(value)}")
        return None
    if not value.strip():
        problems.append(f"{path}: must not be empty")
        return None
    return value


def check_choice(
    value: object, path: str, choices: Sequence[str], problems: list[str]
) -> str | None:
    """A code from a closed vocabulary (spec section 1, vocabularies)."""
    if isinstance(value, str) and value in choices:
        return value
    problems.append(f"{path}: must be one of {', '.join(choices)}; got {describe(value)}")
    return None


def _field[T](
    obj: Mapping[str, Any],
    key: str,
    path: str,
    problems: list[str],
    check: Callable[[object, str, list[str]], T | None],
    *,
    required: bool = False,
) -> T | None:
    """Read `obj[key]` with `check`; absent or null is None, or "required"."""
    value = obj.get(key)
    if value is None:
        if required:
            problems.append(f"{join(path, key)}: required")
        return None
    return check(value, join(path, key), problems)


def _object(obj: object, path: str, problems: list[str]) -> Mapping[str, Any] | None:
    if isinstance(obj, dict):
        return obj
    problems.append(f"{path or ROOT}: must be an object, got {describe(obj)}")
    return None


def _list(
    obj: Mapping[str, Any], key: str, path: str, problems: list[str], *, required: bool = False
) -> list[tuple[str, object]]:
    """The items of the list `obj[key]` with their paths; absent or null is empty."""
    value = obj.get(key)
    item_path = join(path, key)
    if value is None:
        if required:
            problems.append(f"{item_path}: required")
        return []
    if not isinstance(value, list):
        problems.append(f"{item_path}: must be a list, got {describe(value)}")
        return []
    return [(join(item_path, index), item) for index, item in enumerate(value)]


def _start_stop(
    obj: Mapping[str, Any], path: str, problems: list[str]
) -> tuple[dt.date | None, dt.date | None]:
    start = _field(obj, "start", path, problems, check_date)
    stop = _field(obj, "stop", path, problems, check_date)
    if start is not None and stop is not None and stop < start:
        problems.append(
            f"{join(path, 'stop')}: must not be before start {start.isoformat()}, "
            f"got {describe(stop.isoformat())}"
        )
    return start, stop
