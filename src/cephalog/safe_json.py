"""JSON from outside, read safely: a depth limit, and no crash on absurd nesting.

Python's json module recurses once per level and raises RecursionError (which most
callers do not catch) for a few thousand levels; a content pack, a FHIR bundle or an
API body nested 10,000 deep must be refused with a message instead. Everything cephalog
reads is at most a handful of levels deep; MAX_DEPTH leaves ample room.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class NestedTooDeep(json.JSONDecodeError):
    """JSON nested deeper than allowed (a JSONDecodeError, so existing handlers catch it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested more than {limit} levels deep", "", 0)
        self.msg = f"nested more than {limit} levels deep"

    def __str__(self) -> str:
        return self.msg


def depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed value (without recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item)
    return deepest


def loads(raw: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """json.loads, refusing (NestedTooDeep) anything nested more than `max_depth` levels."""
    try:
        value = json.loads(raw, **kwargs)
    except RecursionError:
        raise NestedTooDeep(max_depth) from None
    if depth(value) > max_depth:
        raise NestedTooDeep(max_depth)
    return value
