"""Content packs: a clinic's licensed questionnaire wording, as a JSON file.

The format (`cephalog.content-pack/1`) is documented in docs/content-packs.md.
cephalog ships no HIT-6 or MIDAS wording (clinical reference 8.1, 8.2: both
are copyrighted); the item keys are the domain's
(`cephalog.domain.instruments`), so a pack can only word the items the
scorer knows. Pure Python: validation gives one message per problem, naming
the path (`items.hit6_3: missing`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cephalog import safe_json
from cephalog.core.errors import AppError
from cephalog.domain.instruments import (
    HIT6_ITEM_KEYS,
    HIT6_VALUES,
    MIDAS_ITEM_A_KEY,
    MIDAS_ITEM_B_KEY,
    MIDAS_ITEM_KEYS,
)

FORMAT = "cephalog.content-pack/1"
#: Largest file accepted, in bytes.
MAX_BYTES = 100_000
MAX_TEXT = 1000
MAX_SHORT = 200

#: Per instrument: (required item keys, optional item keys, option keys or None).
INSTRUMENT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...] | None]] = {
    "hit6": (HIT6_ITEM_KEYS, (), tuple(str(v) for v in HIT6_VALUES)),
    "midas": (MIDAS_ITEM_KEYS, (MIDAS_ITEM_A_KEY, MIDAS_ITEM_B_KEY), None),
}


class ContentPackError(AppError):
    """A pack that cannot be loaded; `problems` names each bad path (`path: words`)."""


@dataclass(frozen=True)
class Pack:
    """A validated pack."""

    instrument: str
    version: str
    language: str
    licence_note: str
    title: str
    instructions: str
    items: dict[str, str]
    options: dict[str, str]

    def to_wording(self) -> dict[str, Any]:
        """What is stored: the wording, without the fields kept in columns."""
        return {
            "title": self.title,
            "instructions": self.instructions,
            "items": self.items,
            "options": self.options,
        }


def _text(data: dict[str, Any], key: str, path: str, problems: list[str], *, limit: int,
          required: bool = True) -> str:  # fmt: skip
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{path}: required, a non-empty string")
        return ""
    if len(value) > limit:
        problems.append(f"{path}: at most {limit} characters, got {len(value)}")
    return value.strip()


def _mapping(
    value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...],
    problems: list[str], what: str,
) -> dict[str, str]:  # fmt: skip
    if not isinstance(value, dict):
        problems.append(f"{path}: must be an object mapping {what} to text")
        return {}
    known = required + optional
    out: dict[str, str] = {}
    for key, text in value.items():
        if key not in known:
            problems.append(
                f"{path}.{key}: unknown {what[:-1]}; expected one of {', '.join(known)}"
            )
        elif not isinstance(text, str) or not text.strip():
            problems.append(f"{path}.{key}: must be a non-empty string")
        elif len(text) > MAX_TEXT:
            problems.append(f"{path}.{key}: at most {MAX_TEXT} characters, got {len(text)}")
        else:
            out[key] = text.strip()
    for key in required:
        if key not in value:
            problems.append(f"{path}.{key}: missing")
    return out


def parse_pack(raw: bytes | str) -> Pack:
    """Parse and validate a content pack file; raises ContentPackError listing every problem."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise ContentPackError([f"$: file too large ({len(raw)} bytes, at most {MAX_BYTES})"])
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ContentPackError(["$: not UTF-8 text"]) from None
    try:
        data = safe_json.loads(raw)
    except json.JSONDecodeError as error:
        raise ContentPackError([f"$: malformed JSON: {error}"]) from None
    if not isinstance(data, dict):
        raise ContentPackError([f"$: must be an object, got {type(data).__name__}"])
    problems: list[str] = []
    if data.get("format") != FORMAT:
        problems.append(f"format: must be {FORMAT!r}, got {data.get('format')!r}")
    instrument = data.get("instrument")
    if instrument not in INSTRUMENT_KEYS:
        problems.append(f"instrument: must be one of hit6, midas; got {instrument!r}")
    version = _text(data, "version", "version", problems, limit=60)
    language = _text(data, "language", "language", problems, limit=20, required=False)
    licence = _text(data, "licence_note", "licence_note", problems, limit=2000)
    title = _text(data, "title", "title", problems, limit=MAX_SHORT)
    instructions = _text(data, "instructions", "instructions", problems, limit=MAX_TEXT,
                         required=False)  # fmt: skip
    items: dict[str, str] = {}
    options: dict[str, str] = {}
    if instrument in INSTRUMENT_KEYS:
        required, optional, option_keys = INSTRUMENT_KEYS[instrument]
        items = _mapping(data.get("items"), "items", required, optional, problems, "item keys")
        if option_keys is not None:
            options = _mapping(
                data.get("options"), "options", option_keys, (), problems, "item values"
            )
        elif data.get("options") not in (None, {}):
            problems.append(f"options: {instrument} items are numbers of days; no options allowed")
    known = {"format", "instrument", "version", "language", "licence_note", "title",
             "instructions", "items", "options"}  # fmt: skip
    for key in data:
        if key not in known:
            problems.append(f"{key}: unknown key")
    if problems:
        raise ContentPackError(problems)
    assert isinstance(instrument, str)
    return Pack(instrument, version, language, licence, title, instructions, items, options)
