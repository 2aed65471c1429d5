"""Building sessions through the actions, at explicit times."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from cephalog.accounts.models import User
from cephalog.domain import dosing, point_of_care
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


def supervisor_for(patient: Patient, injector: User) -> User:
    """A physician of the patient's clinic other than the injector (made once if needed)."""
    from cephalog.accounts.models import Membership, Role

    other = (
        Membership.objects.filter(clinic=patient.clinic, role=Role.PHYSICIAN, user__is_active=True)
        .exclude(user=injector)
        .select_related("user")
        .first()
    )
    if other is not None:
        return other.user
    user = User.objects.create_user(
        username=f"dr-supervisor-{patient.clinic.pk}",
        email=f"supervisor-{patient.clinic.pk}@example.org",
        first_name="Sam",
        last_name="Supervisor",
    )
    Membership.objects.create(user=user, clinic=patient.clinic, role=Role.PHYSICIAN)
    return user


def sign_all_flags(patient: Patient, physician: User, now: dt.datetime = NOW) -> None:
    """A physician signs off every flag of the day's check (the check must be answered)."""
    from cephalog.treatment import queries

    day = actions.clinic_now(patient.clinic, now).date()
    for row in queries.pre_session(patient, day).unsigned:
        actions.sign_off_flag(
            patient=patient, by=physician, flag=row.code, note="Reviewed for this session.", now=now
        )


def start(
    patient: Patient,
    by: User,
    *,
    now: dt.datetime = NOW,
    sign_flags: bool = True,
    **overrides: Any,
) -> Session:
    """Answer the safety questions, sign off every flag (as `by`, or a physician of the
    clinic when `by` is a nurse) and start; a supervisor is recorded when the injector needs
    one. `sign_flags=False` leaves the flags unsigned."""
    from cephalog.accounts.access import role_in
    from cephalog.accounts.models import Role
    from cephalog.treatment import queries

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
    answers = {
        k: kwargs.pop(k)
        for k in (
            "infection_at_sites",
            "red_flags_since_last",
            "pregnant",
            "new_since_last",
            "new_since_last_note",
        )
        if k in kwargs
    }
    if answers:
        day = actions.clinic_now(patient.clinic, now).date()
        if queries.last_session_date(patient, day - dt.timedelta(days=1)) is not None:
            answers.setdefault("new_since_last", False)
        actions.record_check(
            patient=patient,
            by=by,
            answers=point_of_care.Answers(
                infection_at_sites=bool(answers.get("infection_at_sites")),
                red_flags_since_last=bool(answers.get("red_flags_since_last")),
                pregnant=bool(answers.get("pregnant")),
                new_since_last=answers.get("new_since_last"),
                new_since_last_note=str(answers.get("new_since_last_note", "")),
            ),
            now=now,
        )
    injector = kwargs["injector"]
    if sign_flags:
        physician = by if role_in(by, patient.clinic) == Role.PHYSICIAN else None
        sign_all_flags(patient, physician or supervisor_for(patient, injector), now)
    if "supervisor" not in kwargs:
        role = role_in(injector, patient.clinic)
        if role is not None:
            experience = queries.injector_experience([(injector, role)])[injector.pk]
            if actions.needs_supervision(experience):
                kwargs["supervisor"] = supervisor_for(patient, injector)
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
