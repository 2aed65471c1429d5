"""Load the demo clinics into the database (`cephalog demo`, `make run`).

Two clinics: "Demo Headache Centre" with fixed staff logins and a generated
cohort (see `cephalog.demo.generate`), and "Northside Neurology" with one
physician and 3 patients, so cross-clinic isolation can be tried in the
browser. Clinics, staff and patients are created through their actions;
the bulk rows (diary, medicines taken, sessions, adverse events, history)
with `bulk_create`, all in one transaction, with one `import` audit row per
patient.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from cephalog.accounts.actions import create_clinic, create_staff, grant_role
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.demo import generate as gen
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, EntrySource
from cephalog.outcomes.actions import record_decision
from cephalog.outcomes.models import Decision
from cephalog.patients.actions import create_patient, update_contact_details
from cephalog.patients.models import (
    Allergy,
    Condition,
    Medication,
    Patient,
    Preventive,
    ToxinExposure,
)
from cephalog.safety.actions import ReportedSymptom, report_side_effect
from cephalog.safety.models import AdverseEvent, SafetyAlert
from cephalog.treatment.models import Session, SessionStatus

#: The password of every demo login (printed by `cephalog demo` and `make run`).
DEMO_PASSWORD = "demo-cephalog-2026"
DEMO_CLINIC_NAME = "Demo Headache Centre"
OTHER_CLINIC_SLUG = "northside"
OTHER_CLINIC_NAME = "Northside Neurology"
OTHER_CLINIC_PATIENTS = 3
#: Email domains of the demo logins (reserved .invalid TLD: mail can never go out).
DEMO_DOMAIN = "demo-headache-centre.invalid"
OTHER_DOMAIN = "northside-neurology.invalid"
PATIENT_USERNAME = "patient"
#: Rows per INSERT batch.
BATCH_ROWS = 2000

#: Progress callback: (phase, done, total); phase is "generate" or "write".
LoadProgress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class _StaffSpec:
    username: str
    role: str
    first_name: str
    last_name: str
    title: str = ""


DEMO_STAFF = (
    _StaffSpec("physician", Role.PHYSICIAN, "Alex", "Morgan", "Dr"),
    _StaffSpec("nurse", Role.NURSE, "Sam", "Patel"),
    _StaffSpec("admin", Role.CLINIC_ADMIN, "Jordan", "Lee"),
)
OTHER_STAFF = (_StaffSpec("other-physician", Role.PHYSICIAN, "Casey", "Brooks", "Dr"),)
DEMO_USERNAMES = frozenset([s.username for s in DEMO_STAFF + OTHER_STAFF] + [PATIENT_USERNAME])


class DemoError(Exception):
    """The demo cannot be loaded; the message says why and what to do."""


class DemoExists(DemoError):
    """The demo clinics are already loaded (use reset=True to replace them)."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    password: str
    name: str
    role: str
    clinic: str


@dataclass(frozen=True, slots=True)
class DemoResult:
    clinic: Clinic
    other_clinic: Clinic
    logins: tuple[DemoLogin, ...]
    patients: int
    diary_entries: int
    sessions: int
    adverse_events: int
    generate_seconds: float
    write_seconds: float
    #: What a new user sees working on day one: (MRN, what), e.g. a red flag to acknowledge.
    highlights: tuple[tuple[str, str], ...] = ()


def load_demo(
    *,
    n_patients: int,
    seed: int,
    today: dt.date,
    clinic_slug: str = "demo",
    progress: LoadProgress | None = None,
    reset: bool = False,
    alive: bool = True,
) -> DemoResult:
    """Create the demo clinics, their logins and `n_patients` generated patients.

    Refuses with DemoExists when either demo clinic exists, unless `reset`,
    which deletes both clinics (and their patients) first. Deterministic for
    (n_patients, seed, today). Patient 0 of the cohort gets the `patient` login.
    `alive` (the default) adds what a new user should see working on day one
    (`_bring_to_life`); without it the database holds exactly the generated cohort.
    """
    if not reset:
        _refuse_if_loaded(clinic_slug)  # before generating; checked again when writing
    started = time.perf_counter()
    on_chunk = None if progress is None else (lambda d, t: progress("generate", d, t))
    cohort = gen.generate_cohort(n_patients, seed, today, progress=on_chunk)
    other_cohort = gen.generate_cohort(OTHER_CLINIC_PATIENTS, seed + 1, today, mrn_prefix="NN")
    generated = time.perf_counter()

    with transaction.atomic():
        if reset:
            delete_demo(Clinic.objects.filter(slug__in=[clinic_slug, OTHER_CLINIC_SLUG]))
        else:
            _refuse_if_loaded(clinic_slug)
        _check_usernames()

        clinic = create_clinic(
            slug=clinic_slug,
            name=DEMO_CLINIC_NAME,
            phone="+44 20 7946 0123",
            safety_email=_email("safety", DEMO_DOMAIN),
            address="Headache Unit, Level 2\n1 Demo Street\nLondon EC1A 1AA",
        )
        other = create_clinic(
            slug=OTHER_CLINIC_SLUG,
            name=OTHER_CLINIC_NAME,
            phone="+44 161 496 0456",
            safety_email=_email("safety", OTHER_DOMAIN),
        )
        # One hash for all demo logins (one public password): hashing is the slow part.
        password_hash = make_password(DEMO_PASSWORD)
        logins: list[DemoLogin] = []
        staff: dict[str, User] = {}
        for spec in DEMO_STAFF:
            staff[spec.username] = _staff(clinic, spec, DEMO_DOMAIN, password_hash)
            logins.append(_login(spec, clinic))
        for spec in OTHER_STAFF:
            staff[spec.username] = _staff(other, spec, OTHER_DOMAIN, password_hash)
        patient_user = _patient_login(cohort, password_hash)
        patient = cohort.patients
        logins.append(
            DemoLogin(
                username=PATIENT_USERNAME,
                password=DEMO_PASSWORD,
                name=f"{patient.given_name[0]} {patient.family_name[0]}" if n_patients else "",
                role="Patient",
                clinic=clinic.name,
            )
        )
        logins.append(_login(OTHER_STAFF[0], other))

        on_write = None if progress is None else (lambda d, t: progress("write", d, t))
        counts = _write_cohort(
            clinic,
            cohort,
            injector=staff["physician"],
            first_patient_user=patient_user if n_patients else None,
            seed=seed,
            progress=on_write,
        )
        _write_cohort(other, other_cohort, injector=staff["other-physician"], seed=seed + 1)
        highlights = (
            _bring_to_life(clinic, cohort, physician=staff["physician"], today=today)
            if alive
            else ()
        )

    return DemoResult(
        clinic=clinic,
        other_clinic=other,
        logins=tuple(logins),
        patients=n_patients,
        diary_entries=counts["diary_entries"],
        sessions=counts["sessions"],
        adverse_events=AdverseEvent.objects.filter(patient__clinic=clinic).count(),
        generate_seconds=generated - started,
        write_seconds=time.perf_counter() - generated,
        highlights=highlights,
    )


#: The demo's patient due this week is due this many days from today; the overdue one
#: was due this many days ago (still inside the 7-day window after the due date).
DUE_IN_DAYS = 4
OVERDUE_BY_DAYS = 5
_STOPPED = 2  # the generator's stage of a patient whose treatment stopped (generate.STAGES)


def _shift_sessions(patient: Patient, days: int) -> None:
    """Move a patient's sessions (and the adverse events dated from them) by `days`."""
    if not days:
        return
    delta = dt.timedelta(days=days)
    sessions = list(Session.objects.filter(patient=patient))
    for row in sessions:
        row.date += delta
    Session.objects.bulk_update(sessions, ["date"])
    events = list(AdverseEvent.objects.filter(patient=patient))
    for event in events:
        event.onset += delta
        if event.resolved_on is not None:
            event.resolved_on += delta
    AdverseEvent.objects.bulk_update(events, ["onset", "resolved_on"])


def _bring_to_life(
    clinic: Clinic, cohort: gen.Cohort, *, physician: User, today: dt.date
) -> tuple[tuple[str, str], ...]:
    """Make every feature visible on day one (issue 17.8), through the apps' actions.

    - patients whose treatment stopped get the stop decision a clinic records, so the
      schedule does not show them as months overdue;
    - one patient is due for a session this week and one is overdue (their sessions
      moved by a few days), both with an email address so the reminder goes out;
    - one patient reports difficulty swallowing today: a red flag, not yet acknowledged.
    """
    patients = list(Patient.objects.filter(clinic=clinic).order_by("mrn"))
    last: dict[Any, dt.date] = {}
    for pid, date in Session.objects.filter(patient__clinic=clinic).values_list(
        "patient_id", "date"
    ):
        last[pid] = max(date, last.get(pid, date))
    stage = cohort.patients.stage
    highlights: list[tuple[str, str]] = []
    for i, patient in enumerate(patients):
        if stage[i] == _STOPPED and patient.pk in last:
            record_decision(
                patient=patient,
                by=physician,
                decision=Decision.STOP,
                reason="Demo: treatment stopped at the review after the last session.",
                decided_on=min(last[patient.pk] + dt.timedelta(days=84), today),
            )
    active = [p for i, p in enumerate(patients) if i > 0 and stage[i] != _STOPPED and p.pk in last]
    taken: set[Any] = set()

    def closest(target: dt.date) -> Patient | None:
        choices = [p for p in active if p.pk not in taken]
        if not choices:
            return None

        def due(p: Patient) -> dt.date:
            return last[p.pk] + dt.timedelta(days=84)

        chosen = min(choices, key=lambda p: (abs((due(p) - target).days), p.mrn))
        taken.add(chosen.pk)
        _shift_sessions(chosen, (target - due(chosen)).days)
        update_contact_details(
            patient=chosen,
            by=physician,
            email=f"{chosen.mrn.lower()}@{DEMO_DOMAIN}",
            phone=f"+44 20 7946 0{100 + len(taken):03d}",
            address="",
            time_zone=chosen.time_zone,
            preferred_contact="email",
        )
        return chosen

    due_soon = closest(today + dt.timedelta(days=DUE_IN_DAYS))
    if due_soon is not None:
        highlights.append((due_soon.mrn, f"session due in {DUE_IN_DAYS} days"))
    overdue = closest(today - dt.timedelta(days=OVERDUE_BY_DAYS))
    if overdue is not None:
        highlights.append((overdue.mrn, f"session overdue by {OVERDUE_BY_DAYS} days"))
    # The red flag: the active patient with the most recent session reports it today.
    recent = sorted(
        (p for p in active if p.pk not in taken), key=lambda p: (last[p.pk], p.mrn), reverse=True
    )
    if recent:
        flagged = recent[0]
        now = timezone.now()
        if timezone.localdate(now) != today:
            now = dt.datetime.combine(
                today, dt.time(12), tzinfo=zoneinfo.ZoneInfo(clinic.time_zone)
            )
        report_side_effect(
            patient=flagged,
            symptoms=[
                ReportedSymptom("dysphagia", onset=today, severity="moderate", still_present=True)
            ],
            note="Hard to swallow since this morning.",
            now=now,
        )
        highlights.append((flagged.mrn, "red flag reported today, not yet acknowledged"))
    return tuple(highlights)


def _refuse_if_loaded(clinic_slug: str) -> None:
    existing = Clinic.objects.filter(slug__in=[clinic_slug, OTHER_CLINIC_SLUG])
    names = sorted(existing.values_list("name", flat=True))
    if names:
        raise DemoExists(
            f"The demo is already loaded ({', '.join(names)}); use --reset to replace it."
        )


def delete_demo(clinics: Iterable[Clinic]) -> None:
    """Delete demo clinics with their patients and everything recorded about them.

    Audit rows stay (the trail is append-only). The demo logins stay too and
    are reused by the next load, so audit rows keep pointing at them.
    """
    for clinic in clinics:
        patients = Patient.objects.filter(clinic=clinic)
        # The big tables first, as plain queryset deletes.
        AcuteMedicationTaken.objects.filter(entry__patient__in=patients).delete()
        DiaryEntry.objects.filter(patient__in=patients).delete()
        SafetyAlert.objects.filter(patient__in=patients).delete()  # they protect their events
        AdverseEvent.objects.filter(patient__in=patients).delete()
        Session.objects.filter(patient__in=patients).delete()
        patients.delete()
        clinic_id = clinic.pk
        clinic.delete()
        record(
            action="delete",
            category="demo",
            clinic_id=clinic_id,
            object_ref=f"clinic:{clinic_id}",
            detail={"reset": True},
        )


def _check_usernames() -> None:
    """Refuse to take over a login that is not a demo login (e.g. a superuser named admin)."""
    expected = {spec.username: _email(spec.username, DEMO_DOMAIN) for spec in DEMO_STAFF}
    expected |= {spec.username: _email(spec.username, OTHER_DOMAIN) for spec in OTHER_STAFF}
    expected[PATIENT_USERNAME] = _email(PATIENT_USERNAME, DEMO_DOMAIN)
    for username, email in User.objects.filter(username__in=expected).values_list(
        "username", "email"
    ):
        if email != expected[username]:
            raise DemoError(
                f"A user named {username!r} exists and is not a demo login; "
                "the demo needs that username. Rename or remove that user first."
            )


def _email(username: str, domain: str) -> str:
    return f"{username}@{domain}"


def _login(spec: _StaffSpec, clinic: Clinic) -> DemoLogin:
    name = f"{spec.first_name} {spec.last_name}"
    return DemoLogin(
        username=spec.username,
        password=DEMO_PASSWORD,
        name=f"{spec.title} {name}" if spec.title else name,
        role=Role(spec.role).label,
        clinic=clinic.name,
    )


def _staff(clinic: Clinic, spec: _StaffSpec, domain: str, password_hash: str) -> User:
    email = _email(spec.username, domain)
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = create_staff(
            clinic=clinic,
            username=spec.username,
            email=email,
            role=spec.role,
            password=None,
            first_name=spec.first_name,
            last_name=spec.last_name,
        )
        user.password = password_hash
        user.save(update_fields=["password"])
        return user
    # Kept from an earlier load (see delete_demo): bring it back to its demo state.
    user.first_name, user.last_name, user.email, user.is_active = (
        spec.first_name,
        spec.last_name,
        email,
        True,
    )
    user.password = password_hash
    user.full_clean(exclude=["password"])
    user.save()
    grant_role(user=user, clinic=clinic, role=spec.role)
    return user


def _patient_login(cohort: gen.Cohort, password_hash: str) -> User:
    user = User.objects.filter(username=PATIENT_USERNAME).first() or User(username=PATIENT_USERNAME)
    if cohort.n_patients:
        user.first_name = str(cohort.patients.given_name[0])
        user.last_name = str(cohort.patients.family_name[0])
    user.email = _email(PATIENT_USERNAME, DEMO_DOMAIN)
    user.is_active = True
    user.password = password_hash
    user.full_clean(exclude=["password"])
    user.save()
    record(action="create", category="account", object_ref=f"user:{user.pk}", detail={"demo": True})
    return user


def _dates(values: np.ndarray[Any, Any]) -> list[dt.date | None]:
    """datetime64[D] to dates, NaT to None."""
    dates: list[dt.date | None] = values.astype("datetime64[D]").astype(object).tolist()
    return dates


def _required_dates(values: np.ndarray[Any, Any]) -> list[dt.date]:
    """datetime64[D] without NaT to dates."""
    assert not np.isnat(values).any()
    dates: list[dt.date] = values.astype("datetime64[D]").astype(object).tolist()
    return dates


_HALF_HOURS = [Decimal(k) / 2 for k in range(49)]


def _write_cohort(
    clinic: Clinic,
    cohort: gen.Cohort,
    *,
    injector: User,
    seed: int,
    first_patient_user: User | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    p = cohort.patients
    n = cohort.n_patients
    birth = _dates(p.birth_date)
    consent = _dates(p.diary_start)
    chronic = _dates(p.chronic_headache_since)
    sexes = [gen.SEXES[code] for code in p.sex.tolist()]
    patients: list[Patient] = []
    for i in range(n):
        patients.append(
            create_patient(
                clinic=clinic,
                user=first_patient_user if i == 0 else None,
                mrn=str(p.mrn[i]),
                given_name=str(p.given_name[i]),
                family_name=str(p.family_name[i]),
                birth_date=birth[i],
                sex=sexes[i],
                email=first_patient_user.email if i == 0 and first_patient_user else "",
                consent_date=consent[i],
                consent_version="demo",
                chronic_headache_since=chronic[i],
                migraine_onset_year=int(p.migraine_onset_year[i]),
                migraine_with_aura=bool(p.migraine_with_aura[i]),
            )
        )

    _bulk(_history_rows(cohort, patients))
    sessions = _session_rows(cohort, patients, injector)
    Session.objects.bulk_create(sessions, batch_size=BATCH_ROWS)
    _bulk(_adverse_event_rows(cohort, patients, sessions))
    diary_entries = _write_diary(cohort, patients, progress)

    per_patient = {
        "diary_entries": np.bincount(cohort.diary.patient, minlength=n),
        "sessions": np.bincount(cohort.sessions.patient, minlength=n),
        "adverse_events": np.bincount(cohort.adverse_events.patient, minlength=n),
    }
    for i, patient in enumerate(patients):
        record(
            action="import",
            category="demo",
            patient=patient,
            object_ref=f"patient:{patient.pk}",
            detail={"seed": seed} | {k: int(v[i]) for k, v in per_patient.items()},
        )
    return {
        "diary_entries": diary_entries,
        "sessions": len(sessions),
        "adverse_events": len(cohort.adverse_events.patient),
    }


def _bulk(rows: Sequence[Any]) -> None:
    by_model: dict[type[Any], list[Any]] = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    for model, objs in by_model.items():
        model.objects.bulk_create(objs, batch_size=BATCH_ROWS)


def _history_rows(cohort: gen.Cohort, patients: list[Patient]) -> list[Any]:
    rows: list[Any] = []
    pv = cohort.preventives
    for i, drug, start, stop, outcome in zip(
        pv.patient.tolist(),
        pv.drug.tolist(),
        _dates(pv.start),
        _dates(pv.stop),
        pv.outcome.tolist(),
        strict=True,
    ):
        name, drug_class, dose = gen.PREVENTIVE_DRUGS[drug]
        rows.append(
            Preventive(
                patient=patients[i],
                name=name,
                drug_class=drug_class,
                dose=dose,
                start=start,
                stop=stop,
                outcome=gen.PREVENTIVE_OUTCOMES[outcome],
            )
        )
    md = cohort.medications
    for i, drug, start, stop in zip(
        md.patient.tolist(), md.drug.tolist(), _dates(md.start), _dates(md.stop), strict=True
    ):
        name, drug_class, _ = gen.OTHER_MEDICATIONS[drug]
        rows.append(
            Medication(
                patient=patients[i], name=name, drug_class=drug_class, start=start, stop=stop
            )
        )
    cd = cohort.conditions
    for i, code, noted, resolved in zip(
        cd.patient.tolist(),
        cd.code.tolist(),
        _dates(cd.noted_on),
        _dates(cd.resolved_on),
        strict=True,
    ):
        rows.append(
            Condition(
                patient=patients[i],
                code=gen.CONDITION_CODES[code],
                noted_on=noted,
                resolved_on=resolved,
            )
        )
    for i in cohort.allergies.patient.tolist():
        rows.append(Allergy(patient=patients[i], reaction="Rash and facial swelling"))
    tx = cohort.toxin_exposures
    for i, date, units, indication in zip(
        tx.patient.tolist(),
        _required_dates(tx.date),
        tx.units.tolist(),
        tx.indication.tolist(),
        strict=True,
    ):
        rows.append(
            ToxinExposure(
                patient=patients[i],
                date=date,
                product="onabotulinumtoxinA",
                units=units,
                indication=gen.TOXIN_INDICATIONS[indication][0],
            )
        )
    return rows


def _session_rows(cohort: gen.Cohort, patients: list[Patient], injector: User) -> list[Session]:
    s = cohort.sessions
    return [
        Session(
            patient=patients[i],
            date=date,
            status=SessionStatus.COMPLETED,
            total_units=units,
            sites_injected=sites,
            injector=injector,
        )
        for i, date, units, sites in zip(
            s.patient.tolist(),
            _required_dates(s.date),
            s.units.tolist(),
            s.sites.tolist(),
            strict=True,
        )
    ]


def _adverse_event_rows(
    cohort: gen.Cohort, patients: list[Patient], sessions: list[Session]
) -> list[AdverseEvent]:
    ae = cohort.adverse_events
    return [
        AdverseEvent(
            patient=patients[i],
            session=sessions[session],
            symptom=gen.AE_SYMPTOMS[symptom],
            onset=onset,
            severity=gen.SEVERITIES[severity],
            serious=serious,
            red_flag=red_flag,
            resolved_on=resolved,
        )
        for i, session, symptom, onset, severity, serious, red_flag, resolved in zip(
            ae.patient.tolist(),
            ae.session.tolist(),
            ae.symptom.tolist(),
            _dates(ae.onset),
            ae.severity.tolist(),
            ae.serious.tolist(),
            ae.red_flag.tolist(),
            _dates(ae.resolved_on),
            strict=True,
        )
    ]


def _write_diary(
    cohort: gen.Cohort, patients: list[Patient], progress: Callable[[int, int], None] | None
) -> int:
    d = cohort.diary
    total = len(d.patient)
    n = cohort.n_patients
    for lo in range(0, total, BATCH_ROWS):
        hi = min(lo + BATCH_ROWS, total)
        part = slice(lo, hi)
        cols = {
            name: getattr(d, name)[part].tolist()
            for name in (
                "patient",
                "intensity",
                "unilateral",
                "pulsating",
                "aggravated_by_activity",
                "nausea",
                "vomiting",
                "photophobia",
                "phonophobia",
                "aura_minutes",
                "late",
                "acute_class",
                "acute_drug",
                "acute_effective",
            )
        }
        half_hours = np.rint(d.headache_hours[part] * 2).astype(np.int64).tolist()
        dates = _required_dates(d.date[part])
        entries = [
            DiaryEntry(
                patient=patients[cols["patient"][k]],
                date=dates[k],
                headache_hours=_HALF_HOURS[half_hours[k]],
                peak_intensity=gen.INTENSITIES[cols["intensity"][k]]
                if cols["intensity"][k] >= 0
                else "",
                unilateral=cols["unilateral"][k],
                pulsating=cols["pulsating"][k],
                aggravated_by_activity=cols["aggravated_by_activity"][k],
                nausea=cols["nausea"][k],
                vomiting=cols["vomiting"][k],
                photophobia=cols["photophobia"][k],
                phonophobia=cols["phonophobia"][k],
                aura_minutes=cols["aura_minutes"][k],
                late=cols["late"][k],
                source=EntrySource.DEMO,
            )
            for k in range(hi - lo)
        ]
        DiaryEntry.objects.bulk_create(entries)
        if entries and entries[0].pk is None:  # a backend that does not return ids
            rows = DiaryEntry.objects.filter(patient__in={e.patient_id for e in entries})
            ids = {
                (pid, date): pk for pid, date, pk in rows.values_list("patient_id", "date", "pk")
            }
            for entry in entries:
                entry.pk = ids[(entry.patient_id, entry.date)]
        taken = [
            AcuteMedicationTaken(
                entry=entries[k],
                name=gen.ACUTE_DRUG_NAMES[drug],
                drug_class=gen.ACUTE_CLASSES[cls],
                effective=None if eff < 0 else eff == 1,
            )
            for k in range(hi - lo)
            for cls, drug, eff in zip(
                cols["acute_class"][k],
                cols["acute_drug"][k],
                cols["acute_effective"][k],
                strict=True,
            )
            if cls >= 0
        ]
        AcuteMedicationTaken.objects.bulk_create(taken, batch_size=BATCH_ROWS)
        if progress is not None:
            done = n if hi == total else int(d.patient[hi])
            progress(done, n)
    if progress is not None and total == 0:
        progress(n, n)
    return total
