"""One application error type, carrying field problems (issue 20.1).

Every refused write says what is wrong in plain words and, where it can, which field
(form control, API field, case path) it is about. Actions raise `AppError` (or a
subclass that shapes its own words); forms, the API and commands turn it into form
errors, a 422 answer or `line N: ...` lines in one place each (`cephalog.core.http`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

#: "field: words", where the field is a path such as `diary[3].headache_hours` (no spaces).
_FIELD_PREFIX = re.compile(r"^(?P<field>[A-Za-z_][\w.\[\]-]*): (?P<text>.+)$", re.S)

type Problem = str | tuple[str, str]


def split_problem(problem: str) -> tuple[str, str]:
    """`"headache_hours: must be ..."` -> `("headache_hours", "must be ...")`; words with no
    field prefix belong to the request as a whole (`""`)."""
    match = _FIELD_PREFIX.match(problem)
    if match is None:
        return "", problem
    return match["field"], match["text"]


class AppError(ValueError):
    """A refused request. `problems` lists `"field: words"` (or the words alone when they
    concern the request as a whole), stable strings for the API, the CLI and tests;
    `by_field` groups the words by field, for showing each beside its control."""

    #: The HTTP status an API answers with (422: the request was understood and refused).
    status = 422

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        if isinstance(problems, str | tuple):
            problems = [problems]
        self.items: list[tuple[str, str]] = [
            p if isinstance(p, tuple) else split_problem(p) for p in problems
        ]
        self.by_field: dict[str, list[str]] = {}
        for field, text in self.items:
            self.by_field.setdefault(field, []).append(text)
        self.problems: list[str] = [f"{f}: {t}" if f else t for f, t in self.items]
        super().__init__("; ".join(self.problems))

    @property
    def messages(self) -> list[str]:
        """The words alone, for a page that shows them together."""
        return [text for _, text in self.items]

    @classmethod
    def from_validation(cls, error: ValidationError) -> AppError:
        """A model's `full_clean()` refusal, field by field."""
        if not hasattr(error, "error_dict"):
            return cls([("", " ".join(error.messages))])
        return cls(
            [
                ("" if name == NON_FIELD_ERRORS else name, " ".join(messages))
                for name, messages in error.message_dict.items()
            ]
        )
