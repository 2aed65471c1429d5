"""Injector experience, the care team and the clinic's aftercare advice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min

from cephalog.accounts.models import Clinic, Membership, Role, User
from cephalog.domain.safety import DEFAULT_AFTERCARE, FORMER_AFTERCARE, Evidence
from cephalog.patients.models import Patient
from cephalog.treatment.models import (
    LOCKED_AFTERCARE,
    AftercareText,
    InjectorTraining,
    Session,
    SessionStatus,
)

# ---------------------------------------------------------------------------


def display_name(user: User, role: str | None, *, for_patient: bool = False) -> str:
    """ "Dr Alex Morgan" for a physician; patients never see a login name."""
    name = user.get_full_name().strip()
    if not name:
        if for_patient:
            return {Role.PHYSICIAN.value: "A physician", Role.NURSE.value: "A nurse"}.get(
                role or "", "A member of staff"
            )
        return user.username
    return f"Dr {name}" if role == Role.PHYSICIAN else name


@dataclass(frozen=True)
class Experience:
    user_id: int
    name: str
    role: str | None
    sessions: int
    first_session: dt.date | None
    trainings: tuple[InjectorTraining, ...]

    @property
    def role_label(self) -> str:
        labels: dict[str, str] = {Role.PHYSICIAN.value: "physician", Role.NURSE.value: "nurse"}
        return labels.get(self.role or "", "")

    @property
    def plain_words(self) -> str:
        """For patients: "Dr Alex Morgan has given 312 Botox treatments for migraine since 2019 ..."."""
        if self.sessions:
            n = "1 Botox treatment" if self.sessions == 1 else f"{self.sessions} Botox treatments"
            since = f" since {self.first_session:%Y}" if self.first_session else ""
            text = f"{self.name} has given {n} for migraine{since}"
        else:
            text = f"{self.name} has not yet given Botox treatments for migraine at this clinic"
        if self.trainings:
            courses = [
                f"{t.course}{f' ({t.provider})' if t.provider else ''} in {t.completed_on:%Y}"
                for t in self.trainings
            ]
            text += " and trained on " + _join(courses)
        return text + "."


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def injector_experience(
    users: Sequence[tuple[User, str | None]], *, for_patient: bool = False
) -> dict[int, Experience]:
    """Completed chronic-migraine sessions, first session date and training, per user (2 queries)."""
    ids = [u.pk for u, _ in users]
    counts: dict[int, dict[str, Any]] = {
        row["injector_id"]: dict(row)
        for row in Session.objects.filter(injector_id__in=ids, status=SessionStatus.COMPLETED)
        .order_by()  # no join to the patient for Session's default ordering
        .values("injector_id")
        .annotate(n=Count("id"), first=Min("date"))
    }
    trainings: dict[int, list[InjectorTraining]] = {}
    for t in InjectorTraining.objects.filter(user_id__in=ids).order_by("completed_on"):
        trainings.setdefault(t.user_id, []).append(t)
    result = {}
    for user, role in users:
        c: dict[str, Any] = counts.get(user.pk, {})
        result[user.pk] = Experience(
            user_id=user.pk,
            name=display_name(user, role, for_patient=for_patient),
            role=role,
            sessions=c.get("n", 0),
            first_session=c.get("first"),
            trainings=tuple(trainings.get(user.pk, [])),
        )
    return result


def clinical_staff(clinic: Clinic) -> list[tuple[User, str]]:
    memberships = (
        Membership.objects.filter(clinic=clinic, role__in=[Role.PHYSICIAN, Role.NURSE])
        .select_related("user")
        .order_by("role", "user__last_name", "user__username")
    )
    return [(m.user, m.role) for m in memberships if m.user.is_active]


@dataclass(frozen=True)
class CareTeamMember:
    experience: Experience
    treated_you: int


def care_team(patient: Patient) -> list[CareTeamMember]:
    """The clinic's physicians and nurses; those who treated the patient first."""
    staff = clinical_staff(patient.clinic)
    exp = injector_experience(staff, for_patient=True)
    treated = dict(
        Session.objects.filter(patient=patient, status=SessionStatus.COMPLETED)
        .order_by()
        .values_list("injector_id")
        .annotate(n=Count("id"))
    )
    members = [CareTeamMember(exp[u.pk], treated.get(u.pk, 0)) for u, _ in staff]
    members.sort(key=lambda m: (-m.treated_you, m.experience.role != Role.PHYSICIAN))
    return members


@dataclass(frozen=True)
class AftercareLine:
    key: str
    text: str
    evidence: Evidence
    source: str

    @property
    def tag(self) -> str:
        return (
            "Label guidance" if self.evidence is Evidence.LABEL_GUIDANCE else "Optional precaution"
        )

    @property
    def explanation(self) -> str:
        return self.evidence.patient_label


_LABEL_KEYS = frozenset(i.key for i in DEFAULT_AFTERCARE if i.evidence is Evidence.LABEL_GUIDANCE)


def aftercare(clinic: Clinic) -> list[AftercareLine]:
    """The clinic's aftercare text, or the evidence-labelled default (clinical-reference §10)."""
    custom = AftercareText.objects.filter(clinic=clinic).first()
    if custom is None or not custom.items:
        lines = [AftercareLine(i.key, i.text, i.evidence, i.source) for i in DEFAULT_AFTERCARE]
    else:
        lines = [
            AftercareLine(
                str(i.get("key", "")),
                # The list of the signs of spread of toxin effect is always the label's words.
                LOCKED_AFTERCARE.get(str(i.get("key", "")), str(i["text"])),
                # Only the label's own advice is label guidance (a row written around
                # the actions cannot dress the clinic's advice as the label's).
                Evidence(i["evidence"])
                if str(i.get("key", "")) in _LABEL_KEYS
                else Evidence.OPTIONAL_PRECAUTION,
                str(i.get("source", "")) or f"{clinic.name}",
            )
            for i in custom.items
            # A saved copy of advice that is now what-to-expect information, said above it.
            if FORMER_AFTERCARE.get(str(i.get("key", ""))) != str(i.get("text", "")).strip()
        ]
        # The label's warning signs always show: a default label-guidance item the clinic's
        # text lacks (one added since it was written) is added as the domain words it.
        keys = {line.key for line in lines}
        lines += [
            AftercareLine(i.key, i.text, i.evidence, i.source)
            for i in DEFAULT_AFTERCARE
            if i.evidence is Evidence.LABEL_GUIDANCE and i.key not in keys
        ]
    # Label guidance first.
    return sorted(lines, key=lambda line: line.evidence is not Evidence.LABEL_GUIDANCE)
