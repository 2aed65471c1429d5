"""Reads for treatment sessions, returning domain objects and page-ready rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from django.db.models import Count, Min

from cephalog.accounts.models import Clinic, Membership, Role, User
from cephalog.domain import decisions, dosing, point_of_care
from cephalog.domain.decisions import DecisionEffect
from cephalog.domain.intervals import IntervalRule, earliest_for
from cephalog.domain.point_of_care import Answers, Finding
from cephalog.domain.policies import get_policy
from cephalog.domain.safety import DEFAULT_AFTERCARE, Evidence
from cephalog.eligibility.case import build_case
from cephalog.eligibility.queries import (
    UnknownPolicy,
    earliest_interval_days,
    evaluate,
    policy_for,
    start_gate,
)
from cephalog.patients.models import Patient, ToxinExposure
from cephalog.treatment.models import (
    LOCKED_AFTERCARE,
    AftercareText,
    FlagSignOff,
    InjectorTraining,
    PreSessionCheck,
    ProtocolTemplate,
    Session,
    SessionSite,
    SessionStatus,
)

# ---------------------------------------------------------------------------
# Protocols
# ---------------------------------------------------------------------------


def protocol_snapshot(p: dosing.Protocol) -> dict[str, Any]:
    return {
        "name": p.name,
        "title": p.title,
        "ftp_caps": {m.value: n for m, n in p.ftp_caps.items()},
        "max_units": p.max_units,
        "max_sites": p.max_sites,
    }


def protocol_from_snapshot(d: dict[str, Any]) -> dosing.Protocol:
    return dosing.Protocol(
        name=d["name"],
        fixed_sites=dosing.FIXED_SITES,
        ftp_caps=MappingProxyType({dosing.Muscle(m): n for m, n in d["ftp_caps"].items()}),
        max_units=d["max_units"],
        max_sites=d["max_sites"],
        title=d.get("title", ""),
    )


def protocol_choices(clinic: Clinic) -> list[tuple[str, str]]:
    """Built-in protocols, then the clinic's active templates."""
    choices = [(p.name, p.title) for p in dosing.PROTOCOLS.values()]
    for t in ProtocolTemplate.objects.filter(clinic=clinic, active=True):
        choices.append((t.key, f"{t.title} (clinic template)"))
    return choices


def resolve_protocol(clinic: Clinic, key: str) -> tuple[dosing.Protocol, dict[str, Any]]:
    """The protocol named `key` and its snapshot; KeyError when unknown or invalid."""
    if key in dosing.PROTOCOLS:
        p = dosing.PROTOCOLS[key]
        return p, protocol_snapshot(p)
    if key.startswith("clinic:"):
        t = ProtocolTemplate.objects.filter(clinic=clinic, active=True, name=key[7:]).first()
        if t is not None:
            p = t.to_protocol()
            if not dosing.validate_protocol(p):
                return p, protocol_snapshot(p)
    raise KeyError(key)


def session_protocol(session: Session) -> dosing.Protocol:
    """The protocol the session was started with (sessions from before snapshots: by name)."""
    if session.protocol_definition:
        return protocol_from_snapshot(session.protocol_definition)
    return dosing.PROTOCOLS.get(session.protocol, dosing.PREEMPT_155)


# ---------------------------------------------------------------------------
# Rules' inputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    eligible: bool | None  # None: not assessed / not decided
    summary: str
    source: str
    hard_stop: bool = (
        False  # age under 18, toxin allergy, infection at the sites: never overridable
    )


def eligibility_status(patient: Patient, today: dt.date) -> Eligibility:
    """The eligibility gate for the point-of-care check (issue 4, spec section 6).

    Open (eligible True) when a physician's decision to start covers the current
    screening under the clinic's default policy; a hard stop refuses the session
    whatever reason is given; anything else needs the injector's documented reason.
    """
    return eligibility_of(start_gate(patient, today))


def eligibility_of(gate: Any) -> Eligibility:
    """The session's eligibility line from the eligibility app's gate."""
    source = f"assessment spec section 6, policy {gate.policy}"
    if gate.hard_stops:
        return Eligibility(
            eligible=False,
            summary="Hard stop: "
            + ", ".join(gate.hard_stops).replace("_", " ")
            + ". Do not inject.",
            source=source,
            hard_stop=True,
        )
    if gate.allowed:
        return Eligibility(
            eligible=True,
            summary="A physician's recorded decision to start covers today's screening "
            f"(screening: {gate.status.replace('_', ' ')}); no further reason needed.",
            source=source,
        )
    return Eligibility(
        eligible=None,
        summary="No decision to start covers the current screening: " + "; ".join(gate.reasons),
        source=source,
    )


def last_session_date(patient: Patient, on_or_before: dt.date) -> dt.date | None:
    """The date of the latest completed session up to `on_or_before` (interval rule)."""
    return (
        Session.objects.filter(
            patient=patient, status=SessionStatus.COMPLETED, date__lte=on_or_before
        )
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )


def exposures(patient: Patient, exclude: Session | None = None) -> list[point_of_care.Exposure]:
    """Botulinum toxin given: other indications (with their product) and the completed
    sessions here (except `exclude`), for the 400 U cap and the recent-toxin flag."""
    found = [
        point_of_care.Exposure(t.date, t.units, t.product, t.indication)
        for t in ToxinExposure.objects.filter(patient=patient).order_by("date", "id")
    ]
    sessions = Session.objects.filter(
        patient=patient, status=SessionStatus.COMPLETED, total_units__gt=0
    )
    if exclude is not None:
        sessions = sessions.exclude(pk=exclude.pk)
    found += [
        point_of_care.Exposure(d, u, product, "chronic migraine", session=True)
        for d, u, product in sessions.order_by("date").values_list("date", "total_units", "product")
    ]
    return sorted(found, key=lambda e: e.date)


# ---------------------------------------------------------------------------
# Continuation decisions, as the next session reads them
# ---------------------------------------------------------------------------


class StoredDecision(Protocol):
    """What the next session reads of a stored continuation decision (the outcomes app's
    `ContinuationDecision`, read through `patient.continuation_decisions`: treatment sits
    below outcomes and never imports it)."""

    pk: Any
    decided_on: dt.date
    decision: str
    new_interval_days: int | None


def domain_decision(row: StoredDecision) -> decisions.Decision:
    """A stored decision as the domain's rules read it (`cephalog.domain.decisions`)."""
    return decisions.Decision(
        decided_on=row.decided_on,
        kind=row.decision,
        new_interval_days=row.new_interval_days,
        order=row.pk or 0,
    )


def effect_of(rows: Sequence[StoredDecision], last_session: dt.date | None) -> DecisionEffect:
    """What the next session should use after these decisions: the domain's
    `decisions.effect_of` (issue 14.7), over the stored rows."""
    return decisions.effect_of([domain_decision(row) for row in rows], last_session)


def _last_completed(patient: Patient) -> dt.date | None:
    return (
        patient.sessions.filter(status="completed")
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )


def decision_effect(patient: Patient) -> DecisionEffect:
    """What the next session should use (dose, interval, paused/stopped), in two queries.

    For the session pages: `decision_effect(patient).dose_units`, `.interval_days`,
    `.active`, `.next_due(last_session_date)`.
    """
    return effect_of(list(patient.continuation_decisions.all()), _last_completed(patient))


def interval_rule_for(patient: Patient, earliest_days: int) -> IntervalRule:
    """The interval numbers for this patient (issue 14.5): due after the decisions so far,
    the policy's earliest day, the clinic's minimum."""
    effect = decision_effect(patient)
    return IntervalRule(
        due_days=effect.interval_days,
        earliest_days=earliest_for(effect.interval_days, earliest_days),
        minimum_days=patient.clinic.minimum_interval_days,
    )


def interval_rule(patient: Patient) -> IntervalRule:
    """The patient's interval numbers from their one home (domain.intervals): the due day
    after the continuation decisions, the policy's earliest day, the clinic's minimum."""
    return interval_rule_for(patient, earliest_interval_days(patient.clinic))


def check_interval(
    patient: Patient, on: dt.date, early: point_of_care.EarlyInjection | None = None
) -> dosing.RuleResult:
    """The interval rule for a session of `patient` on `on` (the one place the app calls it)."""
    return point_of_care.check_interval(
        last_session_date(patient, on),
        on,
        patient.clinic.minimum_interval_days,
        early,
        interval=interval_rule(patient),
    )


def preview_rules(patient: Patient, today: dt.date, protocol: dosing.Protocol) -> list[RuleView]:
    """The interval and cumulative-dose rules as they stand if a session starts today."""
    return [
        rule_view(check_interval(patient, today)),
        rule_view(point_of_care.check_cap(exposures(patient), today, protocol.fixed_units)),
    ]


RULE_LABELS = {
    "eligibility": "Eligibility and decision to start",
    "continuation": "Continuation decision",
    "hard_stop": "Hard stop",
    "safety_check": "Safety questions",
    "infection_at_sites": "Infection at the injection sites",
    "red_flags": "New red-flag symptoms",
    "pregnancy": "Pregnancy",
    "retreatment_interval": "Interval since the last session",
    "cumulative_dose": "Cumulative dose, all indications",
}
STATUS_LABELS = {
    "ok": "OK",
    "warning": "Warning",
    "overridden": "Overridden with a reason",
    "signed_off": "Signed off",
    "needs_override": "Needs a reason",
    "refused": "Refused",
}


@dataclass(frozen=True)
class RuleView:
    rule: str
    label: str
    status: str
    status_label: str
    message: str
    source: str


def rule_view(r: dosing.RuleResult | dict[str, Any]) -> RuleView:
    d = (
        {"rule": r.rule, "status": r.status.value, "message": r.message, "source": r.source}
        if isinstance(r, dosing.RuleResult)
        else r
    )
    status = str(d.get("status", ""))
    rule = str(d.get("rule", ""))
    label = str(d.get("label") or "") or RULE_LABELS.get(rule, rule.replace("_", " ").capitalize())
    return RuleView(
        rule=rule,
        label=label,
        status=status,
        status_label=STATUS_LABELS.get(status, status),
        message=str(d.get("message", "")),
        source=str(d.get("source", "")),
    )


# ---------------------------------------------------------------------------
# The safety check before a session (issues 14.3, 17.3)
# ---------------------------------------------------------------------------


def answers_of(check: PreSessionCheck | None) -> Answers | None:
    if check is None:
        return None
    a = check.answers
    return Answers(
        infection_at_sites=bool(a.get("infection_at_sites")),
        red_flags_since_last=bool(a.get("red_flags_since_last")),
        pregnant=bool(a.get("pregnant")),
        new_since_last=a.get("new_since_last"),
        new_since_last_note=str(a.get("new_since_last_note", "")),
    )


def todays_check(patient: Patient, on: dt.date) -> PreSessionCheck | None:
    """The latest safety check answered for `patient` on `on`."""
    return (
        PreSessionCheck.objects.filter(patient=patient, date=on)
        .select_related("answered_by")
        .order_by("-answered_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class FlagRow:
    """One flag of the session and its physician's sign-off (None: not, or no longer, signed)."""

    finding: Finding
    sign_off: FlagSignOff | None
    stale: bool  # signed before its text changed (e.g. another medicine of the class)

    @property
    def code(self) -> str:
        return self.finding.code

    @property
    def signed(self) -> bool:
        return self.sign_off is not None

    @property
    def anchor(self) -> str:
        return "flag-" + self.finding.code.replace(":", "-").replace("_", "-")


@dataclass
class PreSession:
    """Everything checked before a session on `on`, before its first site."""

    patient: Patient
    on: dt.date
    check: PreSessionCheck | None
    answers: Answers | None
    last_session: dt.date | None
    hard_stops: list[Finding]
    flags: list[FlagRow]
    eligibility: Eligibility
    new_medicines: list[Any]
    exposures: list[point_of_care.Exposure]
    last_completed: dt.date | None  # the interval counts from it (a completed one today too)
    interval: Any  # domain.intervals.IntervalRule for this patient

    def preview(self, protocol: dosing.Protocol) -> list[RuleView]:
        """The interval and cap rules as they stand if the session starts with `protocol`."""
        return [
            rule_view(
                point_of_care.check_interval(
                    self.last_completed,
                    self.on,
                    self.patient.clinic.minimum_interval_days,
                    interval=self.interval,
                )
            ),
            rule_view(point_of_care.check_cap(self.exposures, self.on, protocol.fixed_units)),
        ]

    @property
    def answered(self) -> bool:
        return self.check is not None

    @property
    def unsigned(self) -> list[FlagRow]:
        return [f for f in self.flags if not f.signed]

    @property
    def earliest(self) -> dt.date | None:
        return point_of_care.earliest_day(self.last_session, self.interval)

    @property
    def due(self) -> dt.date | None:
        return point_of_care.due_day(self.last_session, self.interval)


def avoid_sites_for(patient: Patient) -> list[tuple[str, str]]:
    """Site codes to avoid at the next session, each with the reason (for the site map).

    From every adverse event of the patient with `avoid_sites`, newest event
    first; a site named by several events appears once, with the newest reason.
    """
    seen: dict[str, str] = {}
    # The safety app's adverse events, through the patient (safety sits above treatment).
    events = (
        patient.adverse_events.all()
        .exclude(avoid_sites=[])
        .select_related("session")
        .order_by("-onset", "-id")
    )
    for event in events:
        reason = f"{event.symptom_label} from {event.onset:%d %b %Y}"
        if event.session is not None:
            reason += f" after the session of {event.session.date:%d %b %Y}"
        if event.actions:
            reason += f": {event.actions}"
        for code in event.avoid_sites:
            seen.setdefault(str(code), reason)
    return list(seen.items())


def red_flag_events_since(patient: Patient, last: dt.date | None) -> int:
    # The safety app's adverse events, through the patient (safety sits above treatment).
    red = patient.adverse_events.filter(red_flag=True)
    if last is not None:
        red = red.filter(onset__gte=last)
    return red.count()


def pre_session(patient: Patient, on: dt.date) -> PreSession:
    """The hard stops and flags of a session on `on` (cephalog.domain.point_of_care), the
    sign-offs of today's check, and the eligibility gate; flags are computed from the record
    alone until the safety questions are answered."""
    check = todays_check(patient, on)
    answers = answers_of(check)
    completed = list(
        Session.objects.filter(patient=patient, status=SessionStatus.COMPLETED, date__lte=on)
        .order_by("-date")
        .values_list("date", flat=True)[:2]
    )
    last = next((d for d in completed if d < on), None)
    try:
        policy = policy_for(patient.clinic)
    except UnknownPolicy:  # the gate refuses such a clinic; the flags still show
        policy = get_policy("us-label")
        case, gate = build_case(patient, on), start_gate(patient, on)
    else:
        # One assessment for the gate and the flags (the same case, built on the date).
        evaluation = evaluate(patient, on, policy)
        case, gate = evaluation.case, evaluation.gate
    given = exposures(patient)
    shown = answers or Answers(False, False, False)
    if not shown.red_flags_since_last and red_flag_events_since(patient, last):
        # The chart already holds red flags since the last session: the same flag.
        shown = dataclasses.replace(shown, red_flags_since_last=True)
    findings = point_of_care.session_flags(
        case, on, policy, shown, exposures=given, last_session=last
    )
    latest: dict[str, FlagSignOff] = {}
    if check is not None:
        # Any sign-off of the day counts while the flag reads the same: answering the
        # questions again does not undo a physician's sign-off.
        day = FlagSignOff.objects.filter(
            safety_check__patient=patient, safety_check__date=on
        ).select_related("signed_by")
        for row in day.order_by("-signed_at", "-id"):
            latest.setdefault(row.flag, row)
    rows = []
    for finding in findings:
        signed = latest.get(finding.code)
        valid = signed is not None and signed.detail == finding.detail
        rows.append(FlagRow(finding, signed if valid else None, signed is not None and not valid))
    new_medicines = []
    if last is not None:
        new_medicines = list(patient.medications.filter(start__gt=last).order_by("start", "name"))
    return PreSession(
        patient=patient,
        on=on,
        check=check,
        answers=answers,
        last_session=last,
        hard_stops=list(point_of_care.hard_stops(case, on, shown, policy)),
        flags=rows,
        eligibility=eligibility_of(gate),
        new_medicines=new_medicines,
        exposures=given,
        last_completed=completed[0] if completed else None,
        interval=interval_rule(patient),
    )


# ---------------------------------------------------------------------------
# The site map
# ---------------------------------------------------------------------------

_SIDE_WORD = {dosing.Side.LEFT: "Left", dosing.Side.RIGHT: "Right", dosing.Side.MIDLINE: ""}


def muscle_name(muscle: dosing.Muscle) -> str:
    return muscle.value.replace("_", " ")


def site_label(site: dosing.Site) -> str:
    """A screen-reader name: "Left temporalis 2", "Procerus (midline)"."""
    if site.side is dosing.Side.MIDLINE:
        return f"{muscle_name(site.muscle).capitalize()} (midline)"
    return f"{_SIDE_WORD[site.side]} {muscle_name(site.muscle)} {site.index}"


@dataclass
class SiteRow:
    site: dosing.Site
    label: str
    status: str  # done, skipped, added, pending (fixed, not recorded), unused (FTP slot)
    units: int
    skip_reason: str

    @property
    def code(self) -> str:
        return self.site.code

    @property
    def ftp(self) -> bool:
        return self.site.follow_the_pain

    @property
    def checked(self) -> bool:
        return self.status in ("done", "added")

    @property
    def state_text(self) -> str:
        return {
            "done": "done",
            "added": "added",
            "skipped": f"skipped: {self.skip_reason}",
            "pending": "not yet recorded",
            "unused": "not added",
        }[self.status]

    @property
    def aria_label(self) -> str:
        kind = " (follow-the-pain)" if self.ftp else ""
        return f"{self.label}{kind}, {dosing.UNITS_PER_SITE} units, {self.state_text}"


@dataclass
class MuscleGroup:
    muscle: dosing.Muscle
    name: str
    rows: list[SiteRow]
    ftp_cap: int

    @property
    def fixed_rows(self) -> list[SiteRow]:
        return [r for r in self.rows if not r.ftp]

    @property
    def ftp_rows(self) -> list[SiteRow]:
        return [r for r in self.rows if r.ftp]

    @property
    def done(self) -> int:
        return sum(1 for r in self.rows if r.status == "done")

    @property
    def added(self) -> int:
        return sum(1 for r in self.rows if r.status == "added")

    @property
    def skipped(self) -> list[SiteRow]:
        return [r for r in self.rows if r.status == "skipped"]

    @property
    def units(self) -> int:
        return sum(r.units for r in self.rows if r.checked)


@dataclass
class MapMarker:
    row: SiteRow
    x: int
    y: int


@dataclass
class MapPanel:
    key: str  # front, side-L, side-R, back
    title: str
    markers: list[MapMarker] = field(default_factory=list)


def site_rows(
    protocol: dosing.Protocol, recorded: Iterable[dosing.RecordedSite]
) -> list[MuscleGroup]:
    """Every fixed site of the protocol and every follow-the-pain slot it allows, by muscle."""
    by_code = {r.code: r for r in recorded}
    groups: dict[dosing.Muscle, MuscleGroup] = {
        m: MuscleGroup(m, muscle_name(m).capitalize(), [], protocol.ftp_cap(m))
        for m in dosing.Muscle
    }
    slots = [*protocol.fixed_sites, *(s for s in dosing.FTP_SITES if protocol.ftp_cap(s.muscle))]
    # Left then right within each muscle, fixed sites before follow-the-pain slots.
    slots.sort(key=lambda s: (s.follow_the_pain, s.side != dosing.Side.LEFT, s.index))
    for site in slots:
        r = by_code.get(site.code)
        if r is None:
            status = "unused" if site.follow_the_pain else "pending"
            row = SiteRow(site, site_label(site), status, 0, "")
        else:
            row = SiteRow(site, site_label(site), r.status.value, r.units, r.skip_reason or "")
        groups[site.muscle].rows.append(row)
    return [g for g in groups.values() if g.rows]


def map_panels(groups: Sequence[MuscleGroup]) -> list[MapPanel]:
    panels = {
        "front": MapPanel("front", "Front"),
        "side-L": MapPanel("side-L", "Left side"),
        "side-R": MapPanel("side-R", "Right side"),
        "back": MapPanel("back", "Back"),
    }
    for g in groups:
        for row in g.rows:
            for p in row.site.points:
                key = f"side-{row.site.side.value}" if p.view is dosing.View.SIDE else p.view.value
                panels[key].markers.append(MapMarker(row, p.x, p.y))
    return list(panels.values())


def recorded_sites(sites: Iterable[SessionSite]) -> list[dosing.RecordedSite]:
    return [
        dosing.RecordedSite(s.code, dosing.SiteStatus(s.status), s.units, s.skip_reason or None)
        for s in sites
    ]


# ---------------------------------------------------------------------------
# Injector experience and the care team
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


# ---------------------------------------------------------------------------
# Aftercare
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# The session page
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BillingRow:
    code: str
    modifier: str
    units: int
    description: str


@dataclass
class SessionPage:
    """Everything the session page shows, read in a fixed number of queries."""

    session: Session
    protocol: dosing.Protocol
    groups: list[MuscleGroup]
    panels: list[MapPanel]
    check: dosing.SessionCheck
    vials: list[Any]
    units_opened: int
    units_discarded: int | None
    billing: list[BillingRow]  # saved lines, or the domain's lines as a preview
    billing_is_preview: bool
    addenda: list[Any]
    rules: list[RuleView]
    injector: Experience | None
    signer_name: str

    @property
    def totals(self) -> dosing.SessionTotals:
        return self.check.totals

    @property
    def fixed_pending(self) -> int:
        return sum(1 for g in self.groups for r in g.rows if r.status == "pending")


def session_page(
    session: Session, *, posted_sites: list[dosing.RecordedSite] | None = None
) -> SessionPage:
    """The session page's data; `posted_sites` (a refused form) replaces the saved sites."""
    protocol = session_protocol(session)
    # Children in their own order: the models' default ("session", ...) would join the
    # session and the patient for Session's and Patient's default orderings.
    recorded = (
        posted_sites if posted_sites is not None else recorded_sites(session.sites.order_by("id"))
    )
    groups = site_rows(protocol, recorded)
    check = dosing.validate_session(recorded, protocol)
    vials = list(session.vials.order_by("id"))
    given = check.totals.units_given
    if session.is_locked and posted_sites is None and not recorded:
        # Sessions recorded before site-by-site recording (e.g. imported): trust the totals.
        given = session.total_units
    opened = dosing.units_opened(v.to_domain() for v in vials)
    waste = opened - given if opened >= given else None
    # Billing lines are saved on completion and addenda added after it: a session being
    # recorded has neither (the page previews the billing and shows no addenda).
    recording = session.status == SessionStatus.IN_PROGRESS and not session.is_locked
    billing = [
        BillingRow(b.code, b.modifier, b.units, b.description)
        for b in ([] if recording else session.billing_lines.order_by("id"))
    ]
    preview = False
    if not billing and not session.is_locked and given > 0 and waste is not None:
        billing = [
            BillingRow(b.code, "-".join(b.modifiers), b.units, b.description)
            for b in dosing.billing_lines(given, waste)
        ]
        preview = True
    roles: dict[int, str] = {}
    users = [u for u in (session.injector, session.signed_by) if u is not None]
    if users:
        roles = dict(
            Membership.objects.filter(
                clinic_id=session.patient.clinic_id, user__in=users
            ).values_list("user_id", "role")
        )
    injector = None
    if session.injector is not None:
        injector = injector_experience([(session.injector, roles.get(session.injector.pk))])[
            session.injector.pk
        ]
    signer = (
        display_name(session.signed_by, roles.get(session.signed_by.pk))
        if session.signed_by is not None
        else ""
    )
    return SessionPage(
        session=session,
        protocol=protocol,
        groups=groups,
        panels=map_panels(groups),
        check=check,
        vials=vials,
        units_opened=opened,
        units_discarded=waste,
        billing=billing,
        billing_is_preview=preview,
        addenda=(
            []
            if recording
            else list(session.addenda.select_related("author").order_by("created_at", "id"))
        ),
        rules=[rule_view(r) for r in session.rule_results],
        injector=injector,
        signer_name=signer,
    )
