"""Building sessions through the actions, at explicit times."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from cephalog.accounts.models import User
from cephalog.domain import dosing
from cephalog.patients.models import Patient
from cephalog.treatment import actions
from cephalog.treatment.models import Session, Vial

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=LONDON)
ELIGIBLE = "Eligibility confirmed by the headache physician on the paper referral form."

#: The eight follow-the-pain slots used for the 195 U session: temporalis +2, occipitalis +2,
#: trapezius +4 (clinical-reference §1.2), all on the left (the painful side).
FTP_8 = (
    "temporalis-L-5",
    "temporalis-L-6",
    "occipitalis-L-4",
    "occipitalis-L-5",
    "trapezius-L-4",
    "trapezius-L-5",
    "trapezius-L-6",
    "trapezius-L-7",
)


def preempt(
    ftp: Iterable[str] = (), skipped: dict[str, str] | None = None
) -> list[dosing.RecordedSite]:
    """All 31 fixed sites done (or skipped with a reason), plus follow-the-pain sites."""
    skipped = skipped or {}
    sites = [
        dosing.RecordedSite(s.code, dosing.SiteStatus.SKIPPED, 0, skipped[s.code])
        if s.code in skipped
        else dosing.RecordedSite(s.code, dosing.SiteStatus.DONE, 5)
        for s in dosing.FIXED_SITES
    ]
    sites += [dosing.RecordedSite(code, dosing.SiteStatus.ADDED, 5) for code in ftp]
    return sites


def start(patient: Patient, by: User, *, now: dt.datetime = NOW, **overrides: Any) -> Session:
    kwargs: dict[str, Any] = {
        "patient": patient,
        "by": by,
        "injector": by,
        "infection_at_sites": False,
        "red_flags_since_last": False,
        "pregnant": False,
        "precheck_reason": ELIGIBLE,
        "now": now,
    }
    kwargs.update(overrides)
    return actions.start_session(**kwargs)


def vial(session: Session, by: User, *, now: dt.datetime = NOW, **overrides: Any) -> Vial:
    kwargs: dict[str, Any] = {
        "session": session,
        "by": by,
        "lot": "C1234AB",
        "expiry": now.date() + dt.timedelta(days=200),
        "size_units": 200,
        "diluent_ml": Decimal("4.0"),
        "reconstituted_at": now - dt.timedelta(minutes=20),
        "now": now,
    }
    kwargs.update(overrides)
    return actions.add_vial(**kwargs)


def full_session(
    patient: Patient,
    physician: User,
    *,
    now: dt.datetime = NOW,
    ftp: Iterable[str] = (),
    **start_overrides: Any,
) -> Session:
    """A completed PREEMPT session through every action, as on the day."""
    session = start(patient, physician, now=now, **start_overrides)
    vial(session, physician, now=now)
    return actions.complete_session(
        session=session,
        by=physician,
        sites=preempt(ftp),
        ended_at=now + dt.timedelta(minutes=12),
        topical_anaesthetic="none",
        now=now + dt.timedelta(minutes=15),
    )
