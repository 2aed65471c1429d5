"""Reading values out of FHIR JSON: the bundle itself, codes, extensions, dates, numbers.

A bad value adds a problem (naming where it is) to the list it is given; nothing here
raises but `parse_json`, which refuses what is not a bundle at all.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

from cephalog import safe_json
from cephalog.core.errors import AppError
from cephalog.interop.fhir import Json
from cephalog.interop.fhir_import.result import MAX_BUNDLE_BYTES, ImportRefused

#: Deepest JSON nesting read (a cephalog bundle is about 12 deep; FHIR's deepest is ~20).
MAX_DEPTH = safe_json.MAX_DEPTH
#: The partial dates read so far in this import (set by `import_bundle`).
_ADJUSTED: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "fhir_import_adjusted", default=None
)


def parse_json(raw: str | bytes | Json) -> Json:
    """The bundle as JSON; refused (never a traceback) when too large, not JSON, not an
    object or nested deeper than `MAX_DEPTH` (the shared depth-limited loader)."""
    deep = [f"bundle: nested more than {MAX_DEPTH} levels deep"]
    if isinstance(raw, dict):
        if safe_json.depth(raw) > MAX_DEPTH:
            raise ImportRefused(deep)
        return raw
    if len(raw) > MAX_BUNDLE_BYTES:
        raise ImportRefused([f"bundle: larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MB"])
    try:
        data = safe_json.loads(raw, max_depth=MAX_DEPTH)
    except safe_json.NestedTooDeep:
        raise ImportRefused(deep) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ImportRefused([f"bundle: not valid JSON ({str(error)[:200]})"]) from None
    if not isinstance(data, dict):
        raise ImportRefused(["bundle: must be a JSON object"])
    return data


def code_of(concept: Any, system: str) -> str | None:
    """The code of `system` in a CodeableConcept (or a Coding), or None."""
    if not isinstance(concept, dict):
        return None
    codings = concept.get("coding", [concept]) if "coding" in concept else [concept]
    for coding in codings:
        if isinstance(coding, dict) and coding.get("system") == system:
            code = coding.get("code")
            return code if isinstance(code, str) else None
    return None


def extensions(resource: Json, url: str) -> list[Any]:
    """The values of every extension `url` on a resource or element."""
    out: list[Any] = []
    for e in resource.get("extension") or []:
        if e.get("url") == url:
            out.extend(v for k, v in e.items() if k.startswith("value"))
    return out


def extension(resource: Json, url: str, default: Any = None) -> Any:
    values = extensions(resource, url)
    return values[0] if values else default


_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")


def _date(value: Any, where: str, problems: list[str]) -> dt.date | None:
    """A FHIR date (or the date of a dateTime). A partial date, `2015` or `2015-03`, as
    FHIR allows, is read as its first day and listed (`ImportResult.adjusted`)."""
    if value in (None, ""):
        return None
    text = str(value)
    partial = _PARTIAL_DATE.fullmatch(text)
    try:
        if partial:
            year, month = int(partial.group(1)), int(partial.group(2) or 1)
            date = dt.date(year, month, 1)
            adjusted = _ADJUSTED.get()
            if adjusted is not None:
                adjusted.append(f"{where}: {text} (a partial date) stored as {date.isoformat()}")
            return date
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        problems.append(f"{where}: not a date, got {str(value)[:40]!r}")
        return None


def _need_date(value: Any, where: str, problems: list[str]) -> dt.date:
    """A required date; when missing or bad a problem is noted (which stops the import)
    and a placeholder returned that is never stored."""
    parsed = _date(value, where, problems)
    if parsed is None:
        if value in (None, ""):
            problems.append(f"{where}: required")
        return dt.date.min
    return parsed


def _need_datetime(value: Any, where: str, problems: list[str]) -> dt.datetime:
    parsed = _datetime(value, where, problems)
    if parsed is None:
        if value in (None, ""):
            problems.append(f"{where}: required")
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return parsed


def _datetime(value: Any, where: str, problems: list[str]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: not a date and time, got {value!r}")
        return None
    if parsed.tzinfo is None:
        problems.append(f"{where}: a date and time needs a time zone, got {value!r}")
        return None
    return parsed


def _number(quantity: Any) -> float | int | None:
    value = quantity.get("value") if isinstance(quantity, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _int(value: Any) -> int | None:
    number = _number(value) if isinstance(value, dict) else value
    if (
        isinstance(number, int | float)
        and not isinstance(number, bool)
        and float(number).is_integer()
    ):
        return int(number)
    return None


def _choice(value: str | None, allowed: Iterable[str], where: str, problems: list[str]) -> str:
    allowed = list(allowed)
    if value not in allowed:
        problems.append(f"{where}: must be one of {', '.join(allowed)}; got {value!r}")
        return ""
    return value


def _refusal(where: str, error: AppError) -> list[str]:
    """An action's refusal as problems of `where`, field by field."""
    return [
        f"{where}.{field}: {text}" if field else f"{where}: {text}" for field, text in error.items
    ]


def _validation(where: str, error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [f"{where}.{k}: {m}" for k, ms in error.message_dict.items() for m in ms]
    return [f"{where}: {m}" for m in error.messages]
