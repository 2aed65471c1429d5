"""What every session action shares: who is clinical, the refusal and its plain words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cephalog.accounts.models import Role
from cephalog.core.errors import AppError
from cephalog.core.time import written_dates
from cephalog.domain import dosing
from cephalog.treatment import queries
from cephalog.treatment.models import Session, SessionStatus

CLINICAL = (Role.PHYSICIAN, Role.NURSE)

SRC_ELIGIBILITY = "clinical-reference §5, §11.1 (eligibility gates)"
SRC_SUPERVISION = "clinic governance: a new injector treats under a physician's supervision"


class SessionError(AppError):
    """A refused session change.

    Each problem is plain words, optionally tied to the form control that
    caused it: `problems` lists the words, `by_field` groups them by control
    (`""` for the page as a whole), so pages show each one beside its control.
    A domain problem (`vials[0].expiry: ...`) is turned into plain words (`plain`).
    """

    def __init__(self, problems: str | tuple[str, str] | Sequence[str | tuple[str, str]]) -> None:
        if isinstance(problems, str | tuple):
            problems = [problems]
        super().__init__([p if isinstance(p, tuple) else plain(p) for p in problems])
        # The session pages show the words alone (no control names), grouped by control.
        self.problems = [t for texts in self.by_field.values() for t in texts]
        self.args = ("; ".join(self.problems),)


def _refused(words: str) -> SessionError:
    return SessionError([("", words)])


#: Where a domain problem's path points on the session pages.
_FIELD_OF_PATH = {
    "expiry": "expiry",
    "lot": "lot",
    "size_units": "size_units",
    "diluent_ml": "diluent_ml",
    "reconstituted_at": "reconstituted_at",
    "product": "product",
    "ended_at": "ended_at",
    "reason": "reason",
    "injector": "injector",
    "supervisor": "supervisor",
    "protocol": "protocol",
    "text": "text",
}
_PATH = re.compile(r"^(?P<path>[A-Za-z_][\w.\[\]-]*): (?P<text>.+)$", re.S)


def plain(problem: str) -> tuple[str, str]:
    """A domain problem (`vials[0].expiry: lot X expired on 2026-01-01, ...`) as (control,
    plain words): the path prefix names the control and never shows; dates read as dates."""
    field, text = "", problem
    m = _PATH.match(problem)
    if m and " " not in m["path"]:
        path = m["path"]
        leaf = re.sub(r"\[\d+\]", "", path.rsplit(".", 1)[-1])
        if leaf in _FIELD_OF_PATH:
            field = _FIELD_OF_PATH[leaf]
        elif path.startswith(("sites", "total", "follow-the-pain")) or dosing.get_site(path):
            field = "sites"
        text = m["text"]
        if dosing.get_site(path):
            text = f"{path}: {text}"
    text = _SITE.sub(_site_name, written_dates(text)).strip()
    return field, text[:1].upper() + text[1:]


_SITE = re.compile(r"\b[a-z_]+-[LRM]-\d+\b")


def _site_name(m: re.Match[str]) -> str:
    site = dosing.get_site(m[0])
    return queries.site_label(site) if site is not None else m[0]


def _require_open(session: Session) -> None:
    if session.is_locked:
        raise SessionError([("", "This session is completed and locked: add an addendum instead.")])
    if session.status != SessionStatus.IN_PROGRESS:
        raise SessionError(
            [("", f"This session is {session.get_status_display().lower()}, not in progress.")]
        )


def rule_dict(result: dosing.RuleResult) -> dict[str, Any]:
    return {
        "rule": result.rule,
        "status": result.status.value,
        "message": result.message,
        "source": result.source,
    }


# ---------------------------------------------------------------------------
# The safety check before a session (issues 14.3, 17.3; rules: domain.point_of_care)
# ---------------------------------------------------------------------------
