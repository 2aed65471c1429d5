"""The authorisation matrix: every URL pattern of the site, who may use it, and how to
build its arguments for each object relation (issue 9, part 1).

Read by tests/security/test_authz_matrix.py (allow/deny for every persona, relation and
method), tests/security/test_audit_coverage.py (every patient-data endpoint writes an
audit row) and scripts that print docs/authorisation.md.

Vocabulary
----------
Personas (tests.personas.ALL_PERSONAS): anonymous, patient_user (Ada Quill), other_patient_user
(Brook Tarrant, same clinic), nurse, physician, clinic_admin (all of Leeds), other_physician
(a physician of York, another clinic; Cyrus Vantablack is York's patient, without a login).

Relations (whose object the URL names):
- ``self``: the URL names no object (a list, a form, the logged-in patient's own page).
- ``own``: Ada, or an object of Ada's (for clinic objects: Leeds's).
- ``other_patient``: Brook, or an object of Brook's (Leeds's other patient).
- ``other_clinic``: Cyrus, or an object of his / of York's.
- ``crossed``: Ada's URL with an object of Brook's inside (``/patients/<Ada>/sessions/<Brook's>``).
- ``revoked``: a calendar feed address that was replaced.
- ``missing``: an id that does not exist.

Access classes (``Entry.access``) say who is allowed for each relation; see ``allowed``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import secrets
import uuid
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.personas import ALL_PERSONAS, Cast

# --- time -----------------------------------------------------------------------------------

#: The whole matrix runs with the clock stopped here (a Friday; London is on GMT).
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
YESTERDAY = TODAY - dt.timedelta(days=1)
LONDON = zoneinfo.ZoneInfo("Europe/London")

MISSING_UUID = uuid.UUID("00000000-0000-4000-8000-00000000dead")
MISSING_INT = 2_000_000_000

# --- personas, relations, roles ---------------------------------------------------------------

PHYSICIAN, NURSE, CLINIC_ADMIN = "physician", "nurse", "clinic_admin"
STAFF_ROLES = frozenset({PHYSICIAN, NURSE, CLINIC_ADMIN})
CLINICAL = frozenset({PHYSICIAN, NURSE})
PHYSICIAN_ONLY = frozenset({PHYSICIAN})
ADMIN_ONLY = frozenset({CLINIC_ADMIN})

#: persona -> (clinic, role) for staff personas.
STAFF_PERSONAS: dict[str, tuple[str, str]] = {
    "nurse": ("clinic", NURSE),
    "physician": ("clinic", PHYSICIAN),
    "clinic_admin": ("clinic", CLINIC_ADMIN),
    "other_physician": ("other_clinic", PHYSICIAN),
}
#: patient persona -> the relation naming their own record.
PATIENT_PERSONAS: dict[str, str] = {"patient_user": "own", "other_patient_user": "other_patient"}

SELF, OWN, OTHER_PATIENT, OTHER_CLINIC = "self", "own", "other_patient", "other_clinic"
CROSSED, REVOKED, MISSING = "crossed", "revoked", "missing"
#: relation -> (clinic, patient) the object belongs to.
OWNERS: dict[str, tuple[str, str]] = {
    OWN: ("clinic", "patient"),
    OTHER_PATIENT: ("clinic", "other_patient"),
    OTHER_CLINIC: ("other_clinic", "other_clinic_patient"),
}
#: The names and MRNs that must never reach someone who may not see that patient.
SECRETS: dict[str, tuple[str, ...]] = {
    "patient": ("Quill", "MRN-1001"),
    "other_patient": ("Tarrant", "MRN-1002"),
    "other_clinic_patient": ("Vantablack", "Y-77"),
}


def legitimate_viewers(patient_key: str) -> frozenset[str]:
    """Personas who may know this patient exists: the patient and their clinic's staff."""
    clinic = "other_clinic" if patient_key == "other_clinic_patient" else "clinic"
    staff = {p for p, (c, _) in STAFF_PERSONAS.items() if c == clinic}
    own = {p for p, rel in PATIENT_PERSONAS.items() if OWNERS[rel][1] == patient_key}
    return frozenset(staff | own)


# --- the world: the cast plus real objects for every relation -----------------------------------


@dataclass
class World:
    cast: Cast
    #: kind -> relation -> object (model instance, token string, ...)
    objs: dict[str, dict[str, Any]] = field(default_factory=dict)
    logins: dict[str, dict[str, str]] = field(default_factory=dict)
    client: Client | None = None

    def patient(self, relation: str) -> Any:
        if relation in (CROSSED, MISSING, SELF, REVOKED):
            return self.cast.patient
        return getattr(self.cast, OWNERS[relation][1])

    def clinic(self, relation: str) -> Any:
        if relation == OTHER_CLINIC:
            return self.cast.other_clinic
        return self.cast.clinic

    def put(self, kind: str, **by_relation: Any) -> None:
        self.objs.setdefault(kind, {}).update(by_relation)

    def get(self, kind: str, relation: str) -> Any:
        return self.objs[kind][relation]


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def build_world(cast: Cast) -> World:
    """Real objects for every relation, made through the apps' actions (the ORM only where
    no action exists: admin-managed configuration rows). Call with the clock at NOW."""
    from cephalog.accounts import actions as account_actions
    from cephalog.accounts.models import Membership, Role
    from cephalog.diary.actions import save_day
    from cephalog.domain.policies import POLICIES
    from cephalog.domain.safety import Symptom
    from cephalog.eligibility import actions as eligibility_actions
    from cephalog.eligibility.models import FlagSignOff, StartDecision
    from cephalog.interop import bulk
    from cephalog.interop.models import BulkExport, ExportStatus
    from cephalog.outcomes import actions as outcome_actions
    from cephalog.outcomes.models import ItemLabel
    from cephalog.safety import actions as safety_actions
    from cephalog.safety.actions import ReportedSymptom
    from cephalog.safety.models import OutboundEmail, SafetySettings
    from cephalog.scheduling import actions as scheduling_actions
    from cephalog.scheduling.models import Appointment
    from cephalog.treatment.models import AftercareText, InjectorTraining, ProtocolTemplate
    from tests.treatment.helpers import full_session, start, vial

    world = World(cast)
    w = world
    york_admin = account_actions.create_staff(
        clinic=cast.other_clinic,
        username="york-admin",
        email="york-admin@example.org",
        role=Role.CLINIC_ADMIN,
        password=secrets.token_urlsafe(12),
    )
    w.put("york_admin", other_clinic=york_admin)
    # Staff whose second factor a clinic admin may (own) or may not (other clinic) reset.
    w.put("staffuser", own=cast.nurse, other_clinic=cast.other_physician)
    for clinic in (cast.clinic, cast.other_clinic):
        clinic.safety_email = f"safety@{clinic.slug}.example.org"
        clinic.save(update_fields=["safety_email"])

    patients = {
        OWN: cast.patient,
        OTHER_PATIENT: cast.other_patient,
        OTHER_CLINIC: cast.other_clinic_patient,
    }
    physicians = {
        OWN: cast.physician,
        OTHER_PATIENT: cast.physician,
        OTHER_CLINIC: cast.other_physician,
    }
    admins = {OWN: cast.clinic_admin, OTHER_CLINIC: york_admin}

    for rel, patient in patients.items():
        doctor = physicians[rel]
        # Diary: yesterday recorded (the day pages, the API's PUT and DELETE).
        save_day(
            patient=patient,
            data={"date": YESTERDAY.isoformat(), "headache_hours": 2, "peak_intensity": "mild"},
            by=doctor,
            today=TODAY,
            reason="typed in from paper",
            source="staff",
        )
        # Consultation items.
        w.put(
            "preventive",
            **{
                rel: eligibility_actions.save_preventive(
                    patient=patient,
                    by=doctor,
                    name="propranolol",
                    drug_class="beta_blocker",
                    start=TODAY - dt.timedelta(days=400),
                    stop=TODAY - dt.timedelta(days=300),
                    outcome="inadequate_response",
                )
            },
        )
        w.put(
            "medication",
            **{
                rel: eligibility_actions.save_medication(
                    patient=patient, by=doctor, name="omeprazole", drug_class="other"
                )
            },
        )
        w.put(
            "exposure",
            **{
                rel: eligibility_actions.add_toxin_exposure(
                    patient=patient,
                    by=doctor,
                    date=TODAY - dt.timedelta(days=700),
                    units=50,
                    indication="cervical dystonia",
                )
            },
        )
        # A caution: the screening raises it as a flag for a physician to sign off.
        eligibility_actions.set_cautions(
            patient=patient,
            by=doctor,
            today=TODAY,
            conditions=["myasthenia_gravis"],
            toxin_allergy=False,
        )
        # Sessions: one completed long ago, one still open since yesterday (with a vial).
        done = full_session(patient, doctor, now=NOW - dt.timedelta(days=100))
        opened = start(patient, doctor, now=NOW - dt.timedelta(days=1))
        w.put("session_done", **{rel: done})
        w.put("session_open", **{rel: opened})
        w.put("vial", **{rel: vial(opened, doctor, now=NOW - dt.timedelta(days=1))})
        # Safety: a red-flag side effect (check-in, adverse event, alert, e-mails).
        report = safety_actions.report_side_effect(
            patient=patient,
            symptoms=[ReportedSymptom(Symptom.DOUBLE_VISION, None, "severe", True)],
        )
        assert report.alert is not None
        w.put("checkin", **{rel: report.checkin})
        w.put("event", **{rel: report.events[0]})
        w.put("alert", **{rel: report.alert})
        # Calendar: the plan, and a feed address (the first one replaced, so revoked).
        scheduling_actions.sync_plan(patient=patient, today=TODAY)
        w.put(
            "appointment",
            **{
                rel: Appointment.objects.filter(patient=patient, status="planned")
                .order_by("date", "id")
                .first()
            },
        )
        first = scheduling_actions.issue_feed_token(by=doctor, patient=patient)
        live = scheduling_actions.issue_feed_token(by=doctor, patient=patient)
        w.put("patient_feed", **{rel: scheduling_actions.feed_token_value(live)})
        if rel == OWN:
            w.put("patient_feed", revoked=scheduling_actions.feed_token_value(first))
        # A bridging treatment (for its withdrawal).
        w.put(
            "bridging",
            **{
                rel: outcome_actions.record_bridging(
                    patient=patient, by=doctor, date=YESTERDAY, kind="ketorolac"
                )
            },
        )
        # Screening records (read-only in the admin).
        w.put(
            "flagsignoff",
            **{
                rel: FlagSignOff.objects.create(
                    patient=patient,
                    policy="us-label",
                    flag="matrix",
                    signed_by=doctor,
                    reason="fixture for the authorisation matrix",
                    signed_at=NOW,
                )
            },
        )
        w.put(
            "startdecision",
            **{
                rel: StartDecision.objects.create(
                    patient=patient,
                    policy="us-label",
                    decided_by=doctor,
                    decided_at=NOW,
                    assessed_on=TODAY,
                    status="eligible",
                    snapshot={},
                )
            },
        )
    w.put("patient_feed", missing=secrets.token_urlsafe(32))
    w.put("clinic_feed", missing=secrets.token_urlsafe(32))

    # Clinic-level objects, for Leeds (own) and York (other_clinic).
    four = {
        **{k: v for k, v in POLICIES["us-payer"].to_dict().items() if k not in ("name", "title")},
        "source": "Authorisation matrix fixture",
        "failed_preventives_required": 4,
    }
    export_dir = bulk.export_dir()
    export_dir.mkdir(parents=True, exist_ok=True)
    for rel, clinic in ((OWN, cast.clinic), (OTHER_CLINIC, cast.other_clinic)):
        admin = admins[rel]
        w.put("clinic", **{rel: clinic})
        w.put(
            "membership",
            **{
                rel: Membership.objects.filter(clinic=clinic)
                .exclude(user=admin)
                .order_by("id")
                .first()
            },
        )
        w.put(
            "clinicpolicy",
            **{
                rel: eligibility_actions.save_clinic_policy(
                    clinic=clinic, by=admin, name=f"{clinic.slug}-4", title="Four", definition=four
                )
            },
        )
        token = scheduling_actions.issue_feed_token(by=admin, clinic=clinic)
        w.put("clinic_feed", **{rel: scheduling_actions.feed_token_value(token)})
        export = bulk.start_bulk_export(clinic=clinic, by=admin)
        name = f"matrix-{clinic.slug}-{uuid.uuid4().hex}.zip"
        (export_dir / name).write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip
        BulkExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.DONE, file_name=name, finished_at=NOW, done=export.total
        )
        w.put("export", **{rel: export})
        w.put("export_file", **{rel: export_dir / name})
        pack = json.loads(
            (Path(__file__).parents[1] / "outcomes/fixtures/invented-hit6-pack.json").read_text()
        )
        w.put(
            "contentpack",
            **{
                rel: outcome_actions.load_content_pack(
                    clinic=clinic, by=admin, raw=json.dumps(pack)
                )
            },
        )
        w.put(
            "itemlabel",
            **{
                rel: ItemLabel.objects.create(
                    clinic=clinic, item_key="hit6_1", label="Pain that stops you"
                )
            },
        )
        w.put(
            "protocoltemplate",
            **{
                rel: ProtocolTemplate.objects.create(
                    clinic=clinic,
                    name=f"{clinic.slug}-local",
                    title="Local",
                    definition={"ftp_caps": {}, "max_units": 155, "max_sites": 31},
                    active=False,
                )
            },
        )
        w.put(
            "injectortraining",
            **{
                rel: InjectorTraining.objects.create(
                    clinic=clinic,
                    user=physicians[rel],
                    course="PREEMPT injection course",
                    completed_on=TODAY - dt.timedelta(days=30),
                )
            },
        )
        w.put("aftercaretext", **{rel: AftercareText.objects.create(clinic=clinic, items=[])})
        w.put(
            "safetysettings",
            **{rel: SafetySettings.objects.get_or_create(clinic=clinic)[0]},
        )
        w.put(
            "outboundemail",
            **{rel: OutboundEmail.objects.filter(clinic=clinic).order_by("id").first()},
        )
    # Today's safety check before a session, its flags signed (session-start, -sign-off).
    from cephalog.domain.point_of_care import Answers
    from cephalog.treatment import actions as treatment_actions
    from tests.treatment.helpers import sign_all_flags

    for rel, patient in patients.items():
        treatment_actions.record_check(
            patient=patient,
            by=physicians[rel],
            answers=Answers(False, False, False, new_since_last=False),
            now=NOW,
        )
        sign_all_flags(patient, physicians[rel], NOW)
    return world


# --- access classes ---------------------------------------------------------------------------

PUBLIC = "public"  # anyone, logged in or not
TOKEN = "token"  # anyone holding the secret address (calendar feeds)
NOWHERE = "nowhere"  # answers no one (404/403 whoever asks)
LOGGED_IN = "logged_in"  # any logged-in user
PATIENT_SELF = "patient_self"  # the logged-in patient, about themself (/me/...)
STAFF_PATIENT = "staff_patient"  # staff with `roles` in the named patient's clinic
PATIENT_OR_STAFF = "patient_or_staff"  # the patient themself, or their clinic's staff
STAFF_CLINIC = "staff_clinic"  # staff with `roles`, their own clinics' rows only
CLINIC_ADMIN_PAGE = "clinic_admin"  # clinic admins, their own clinics' rows only
DJANGO_ADMIN = "django_admin"  # the Django admin: superusers only (no persona)
API_PATIENT_SELF = "api_patient_self"
API_STAFF_PATIENT = "api_staff_patient"

PATIENT_SIDE = frozenset({PATIENT_SELF, API_PATIENT_SELF, PATIENT_OR_STAFF})
STAFF_SIDE = frozenset(
    {
        STAFF_PATIENT,
        API_STAFF_PATIENT,
        PATIENT_OR_STAFF,
        STAFF_CLINIC,
        CLINIC_ADMIN_PAGE,
        DJANGO_ADMIN,
    }
)
#: Classes whose endpoints read or write one patient's data: the audit test covers them all.
PATIENT_DATA = frozenset(
    {PATIENT_SELF, STAFF_PATIENT, PATIENT_OR_STAFF, API_PATIENT_SELF, API_STAFF_PATIENT}
)

WRITE_METHODS = ("post", "put", "delete")

Kwargs = Callable[[World, str], dict[str, Any]]
Body = Callable[[World, str], dict[str, Any]]


@dataclass(frozen=True)
class Entry:
    """One URL pattern: who may use it and how to call it.

    - ``roles``: the staff roles the view names (its decorator); ``post_roles`` when writing
      needs other roles than reading (``None``: the same).
    - ``relations``: the object relations tried; ``kwargs`` builds the URL's arguments for
      one (``url`` instead, for a pattern without a name).
    - ``methods``: what is sent; GET always, writes for views that accept them.
    - ``get_ok``: what an allowed GET answers (405 for POST-only views, 302 for redirects).
    - ``body``: a valid body for writes (refused personas send it too: refusing an empty
      form proves less); ``json`` sends it as JSON, ``multipart`` as a form with files.
    - ``audit``: ``"patient"``: every allowed request writes an audit row naming the
      relation's patient; ``"any"``: at least one row; ``""``: not required, ``why`` says
      why (``unaudited``: the same for one method).
    """

    access: str
    roles: frozenset[str] = STAFF_ROLES
    post_roles: frozenset[str] | None = None
    relations: tuple[str, ...] = (SELF,)
    kwargs: Kwargs | None = None
    url: Callable[[World, str], str] | None = None
    methods: tuple[str, ...] = ("get",)
    get_ok: tuple[int, ...] = (200,)
    body: Body | None = None
    json: bool = False
    audit: str = ""
    why: str = ""
    #: Methods that need no audit row although the pattern is audited: method -> why.
    unaudited: dict[str, str] = field(default_factory=dict)
    #: Methods that only read (a POSTed search): their audit row may be a read.
    read_methods: tuple[str, ...] = ("get",)
    note: str = ""
    #: The allowed answer is the login page (logging out).
    login_is_success: bool = False

    def roles_for(self, method: str) -> frozenset[str]:
        if method != "get" and self.post_roles is not None:
            return self.post_roles
        return self.roles


def allowed(entry: Entry, persona: str, relation: str, method: str = "get") -> bool:
    """The matrix itself: may `persona` use `entry` on an object of `relation`?"""
    if relation in (CROSSED, MISSING, REVOKED) or entry.access in (NOWHERE, DJANGO_ADMIN):
        # The Django admin is for superusers only (issue 17.5): none of the personas is one.
        return False
    if entry.access in (PUBLIC, TOKEN):
        return True
    if persona == "anonymous":
        return False
    if entry.access == LOGGED_IN:
        return True
    if persona in PATIENT_PERSONAS:
        if entry.access not in PATIENT_SIDE:
            return False
        return relation == SELF or PATIENT_PERSONAS[persona] == relation
    clinic, role = STAFF_PERSONAS[persona]
    if entry.access not in STAFF_SIDE or role not in entry.roles_for(method):
        return False
    return relation == SELF or OWNERS[relation][0] == clinic


# --- argument builders --------------------------------------------------------------------------

PATIENT_RELS = (OWN, OTHER_PATIENT, OTHER_CLINIC, MISSING)
SUB_RELS = (OWN, OTHER_PATIENT, OTHER_CLINIC, CROSSED, MISSING)
CLINIC_RELS = (OWN, OTHER_CLINIC, MISSING)


def _patient_id(w: World, rel: str) -> uuid.UUID:
    return MISSING_UUID if rel == MISSING else w.patient(rel).pk


def pid(**extra: Any) -> Kwargs:
    """`patient_id` of the relation's patient (plus fixed arguments)."""
    return lambda w, rel: {"patient_id": _patient_id(w, rel), **extra}


def sub(kind: str, arg: str, **extra: Any) -> Kwargs:
    """`patient_id` and the id of one of that patient's `kind` objects. `crossed`: Ada's
    URL with Brook's object; `missing`: Ada's URL with an id that does not exist."""

    def build(w: World, rel: str) -> dict[str, Any]:
        if rel == MISSING:
            return {"patient_id": w.cast.patient.pk, arg: MISSING_INT, **extra}
        if rel == CROSSED:
            return {"patient_id": w.cast.patient.pk, arg: w.get(kind, OTHER_PATIENT).pk, **extra}
        return {"patient_id": w.patient(rel).pk, arg: w.get(kind, rel).pk, **extra}

    return build


def vial_ids(w: World, rel: str) -> dict[str, Any]:
    own_session = w.get("session_open", OWN).pk
    if rel == MISSING:
        return {"patient_id": w.cast.patient.pk, "session_id": own_session, "vial_id": MISSING_INT}
    if rel == CROSSED:
        return {
            "patient_id": w.cast.patient.pk,
            "session_id": own_session,
            "vial_id": w.get("vial", OTHER_PATIENT).pk,
        }
    return {
        "patient_id": w.patient(rel).pk,
        "session_id": w.get("session_open", rel).pk,
        "vial_id": w.get("vial", rel).pk,
    }


def obj(kind: str, arg: str, attr: str = "pk", missing: Any = MISSING_INT) -> Kwargs:
    """The id (or `attr`) of the relation's `kind` object, with no patient in the URL."""

    def build(w: World, rel: str) -> dict[str, Any]:
        if rel == MISSING:
            return {arg: missing}
        return {arg: getattr(w.get(kind, rel), attr)}

    return build


def token(kind: str) -> Kwargs:
    return lambda w, rel: {"token": w.get(kind, rel)}


def colleague_id(w: World, rel: str) -> dict[str, Any]:
    """A staff member of the relation's clinic (the nurse at home, the other physician away)."""
    if rel == MISSING:
        return {"user_id": 987654}
    return {"user_id": (w.cast.other_physician if rel == OTHER_CLINIC else w.cast.nurse).pk}


def policy_ids(with_name: bool) -> Kwargs:
    def build(w: World, rel: str) -> dict[str, Any]:
        if rel == MISSING:
            return {
                "clinic_slug": "no-such-clinic",
                **({"name": "no-such-policy"} if with_name else {}),
            }
        policy = w.get("clinicpolicy", rel)
        return {"clinic_slug": policy.clinic.slug, **({"name": policy.name} if with_name else {})}

    return build


def fixed(**kwargs: Any) -> Kwargs:
    return lambda w, rel: dict(kwargs)


# --- valid bodies -------------------------------------------------------------------------------


def _upload(name: str, content: bytes, content_type: str = "text/csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def _physician_for(w: World, rel: str) -> Any:
    return w.cast.other_physician if rel == OTHER_CLINIC else w.cast.physician


def _sites(action: str = "save") -> dict[str, str]:
    from cephalog.domain import dosing

    data = {f"site-{s.code}": "1" for s in dosing.FIXED_SITES}
    data.update({"action": action, "ended_at": "", "topical_anaesthetic": "none"})
    return data


def _symptom_report() -> dict[str, str]:
    code = "neck_pain"
    return {
        "key": str(uuid.uuid4()),
        f"sym_{code}": "on",
        f"onset_{code}": YESTERDAY.isoformat(),
        f"severity_{code}": "mild",
        f"status_{code}": "present",
    }


def _event() -> dict[str, str]:
    return {
        "symptom": "neck_pain",
        "onset": YESTERDAY.isoformat(),
        "severity": "mild",
        "outcome": "unknown",
    }


def _policy_definition() -> str:
    from cephalog.domain.policies import POLICIES

    definition = {
        **{k: v for k, v in POLICIES["us-payer"].to_dict().items() if k not in ("name", "title")},
        "source": "Authorisation matrix fixture",
    }
    return json.dumps(definition)


def _diary_csv() -> Any:
    from cephalog.domain.importing import DAY_COLUMNS

    row = {"date": (TODAY - dt.timedelta(days=2)).isoformat(), "headache_hours": "0"}
    text = ",".join(DAY_COLUMNS) + "\n" + ",".join(row.get(c, "") for c in DAY_COLUMNS) + "\n"
    return _upload("days.csv", text.encode())


DAY = {"headache_hours": "0", "med-TOTAL_FORMS": "0", "med-INITIAL_FORMS": "0"}
HIT6 = {"hit6_1": 13, "hit6_2": 11, "hit6_3": 11, "hit6_4": 10, "hit6_5": 10, "hit6_6": 8}
FIXTURES = Path(__file__).parents[1]


def body(**data: Any) -> Body:
    return lambda w, rel: dict(data)


BODIES: dict[str, Body] = {
    "patient-list": body(q="Qui"),  # finds Quill; the box echoes only "Qui"
    # Lists Ada and Brook to choose from (one match is sent on to her opaque id: a 302).
    "audit-report": body(find="a"),
    "patient-new": lambda w, rel: {
        "clinic": w.cast.clinic.pk,
        "mrn": "MRN-NEW-1",
        "given_name": "Noor",
        "family_name": "Newcomer",
        "birth_date": "1990-01-01",
        "sex": "female",
        "email": "noor@example.org",
        "phone": "",
        "time_zone": "Europe/London",
    },
    "diary-no-headache": body(date=(TODAY - dt.timedelta(days=3)).isoformat()),
    "diary-day": body(**DAY),
    "diary-settings": body(reminder_time="20:30"),
    "clinic-diary-day": body(**DAY, reason="Corrected from the paper diary."),
    "consultation-history": body(
        **{"hist-migraine_onset_year": "2001", "hist-chronic_headache_since": "2020-01-01"}
    ),
    "preventive-add": body(
        **{"prev-name": "topiramate", "prev-drug_class": "antiepileptic", "prev-outcome": "ongoing"}
    ),
    "preventive-edit": body(
        **{
            "prev-name": "propranolol",
            "prev-drug_class": "beta_blocker",
            "prev-outcome": "intolerance",
        }
    ),
    "medicine-add": body(**{"med-name": "omeprazole", "med-drug_class": "other"}),
    "medicine-edit": body(**{"med-name": "lansoprazole", "med-drug_class": "other"}),
    "consultation-cautions": body(**{"caut-conditions": ["myasthenia_gravis"]}),
    "exposure-add": body(
        **{"exp-units": "100", "exp-date": "2023-01-10", "exp-indication": "blepharospasm"}
    ),
    "eligibility-sign-off": body(policy="us-label", flag="myasthenia_gravis", reason="Reviewed."),
    "eligibility-decide": body(policy="us-label", override_reason="Reviewed with the patient."),
    "session-start": lambda w, rel: {
        "protocol": "preempt-155",
        "injector": _physician_for(w, rel).pk,
        "infection_at_sites": "no",
        "red_flags_since_last": "no",
        "pregnant": "no",
        "new_since_last": "no",
        "precheck_reason": "Eligibility confirmed on the paper referral form.",
    },
    "session-check": body(
        infection_at_sites="no", red_flags_since_last="no", pregnant="no", new_since_last="no"
    ),
    "session-sign-off": body(flag="myasthenia_gravis", note="Reviewed for this session."),
    "session-check-add": body(
        **{"item-kind": "medicine", "item-name": "omeprazole", "item-drug_class": "other"}
    ),
    "session-record": lambda w, rel: _sites(),
    "session-vial-add": body(
        product="onabotulinumtoxinA",
        lot="M4TR1X",
        expiry=(TODAY + dt.timedelta(days=200)).isoformat(),
        size_units="100",
        diluent_ml="2",
        reconstituted_at=(NOW - dt.timedelta(minutes=10))
        .astimezone(LONDON)
        .strftime("%Y-%m-%dT%H:%M"),
    ),
    "session-addendum": body(text="Bruising noted at the next visit."),
    "session-cancel": body(reason="The patient felt unwell.", confirm="on"),
    "safety-checkin": lambda w, rel: _symptom_report(),
    "safety-side-effect": lambda w, rel: _symptom_report(),
    "safety-alert": body(action_taken="Phoned the patient; advised the emergency department."),
    "safety-event-new": lambda w, rel: _event(),
    "safety-event-edit": lambda w, rel: {**_event(), "severity": "moderate"},
    "diary-io-import": lambda w, rel: {"kind": "cephalog", "file": _diary_csv(), "token": ""},
    "clinic-diary-io-import": lambda w, rel: {
        "kind": "cephalog",
        "file": _diary_csv(),
        "token": "",
    },
    "staff-appointment-reschedule": body(
        new_date=(TODAY + dt.timedelta(days=9)).isoformat(),
        new_time="10:30",
        reason="Clinic closed.",
    ),
    "staff-appointment-cancel": body(reason="Moved to another clinic."),
    "staff-authorisation": body(end=(TODAY + dt.timedelta(days=300)).isoformat()),
    "outcomes-decision": body(policy="nice-ta260", decision="continue", reason="Good response."),
    "outcomes-bridging": body(date=YESTERDAY.isoformat(), kind="nerve_block", notes=""),
    "outcomes-bridging-withdraw": body(reason="Recorded against the wrong patient."),
    "outcomes-questionnaire": body(
        **{f"hit6-{k}": str(v) for k, v in HIT6.items()},
        **{"hit6-completed_on": YESTERDAY.isoformat()},
    ),
    "my-questionnaires": body(instrument="hit6", **{f"hit6-{k}": str(v) for k, v in HIT6.items()}),
    "policy-default": body(default_policy="us-payer"),
    "policy-ruleset": body(ruleset="standard-1"),
    "policy-new": lambda w, rel: {
        "name": "matrix-new",
        "title": "New",
        "definition": _policy_definition(),
    },
    "policy-edit": lambda w, rel: {
        "name": w.get("clinicpolicy", OWN if rel == MISSING else rel).name,
        "title": "Changed",
        "definition": _policy_definition(),
    },
    "content-packs": lambda w, rel: {
        "file": _upload(
            "midas.json",
            (FIXTURES / "outcomes/fixtures/invented-midas-pack.json").read_bytes(),
            "application/json",
        )
    },
    "api:put_my_day": body(headache_hours=0),
    "item-labels": body(hit6_1="Pain that stops you", midas_1=""),
}


# --- the matrix -----------------------------------------------------------------------------------

R = (200, 302)  # a page that redirects some allowed users (login page for the logged-in, ...)
POST_ONLY = (405,)
CONFIG_FORM = "the clinic's own configuration; no patient data"
GP = ("get", "post")
P = ("get", "post")  # a POST-only view is still sent GET: it must answer 405, never the page


#: Who keeps the clinic's protocol templates (cephalog.treatment.actions.PROTOCOL_EDITORS).
PROTOCOL_EDITORS = frozenset({CLINIC_ADMIN, PHYSICIAN})


def _protocol_body() -> dict[str, Any]:
    return {
        "title": "Temporal follow-the-pain only",
        "max_units": 165,
        "max_sites": 33,
        "ftp_temporalis": 2,
        "ftp_occipitalis": 0,
        "ftp_trapezius": 0,
    }


def _staff_patient(
    roles: frozenset[str] = STAFF_ROLES,
    *,
    kwargs: Kwargs | None = None,
    relations: tuple[str, ...] = PATIENT_RELS,
    **more: Any,
) -> Entry:
    return Entry(
        STAFF_PATIENT,
        roles=roles,
        relations=relations,
        kwargs=kwargs or pid(),
        audit=more.pop("audit", "patient"),
        **more,
    )


def _me(**more: Any) -> Entry:
    return Entry(PATIENT_SELF, audit=more.pop("audit", "patient"), **more)


def _staff_sub(kind: str, arg: str, roles: frozenset[str] = STAFF_ROLES, **more: Any) -> Entry:
    return _staff_patient(roles, kwargs=sub(kind, arg), relations=SUB_RELS, **more)


PATTERNS: dict[str, Entry] = {
    # --- the site -------------------------------------------------------------------------
    "home": Entry(LOGGED_IN, get_ok=(302,), note="sends each user to their start page"),
    "healthz": Entry(PUBLIC),
    # --- accounts ---------------------------------------------------------------------------
    "login": Entry(PUBLIC, get_ok=R, note="logged-in users are sent on"),
    "logout": Entry(PUBLIC, methods=P, get_ok=POST_ONLY, login_is_success=True),
    "password_reset": Entry(PUBLIC),
    "password_reset_done": Entry(PUBLIC),
    "password_reset_confirm": Entry(
        PUBLIC,
        kwargs=fixed(uidb64="MQ", token="set-password"),
        note="the link's token is the credential",
    ),
    "invite-accept": Entry(
        PUBLIC,
        kwargs=fixed(uidb64="MQ", token="set-password"),
        note="the link's token is the credential",
    ),
    "password_reset_complete": Entry(PUBLIC),
    "my-email-confirm": Entry(
        PUBLIC,
        kwargs=fixed(uidb64="MQ", token="set-email"),
        methods=GP,
        get_ok=(404,),
        note="the link's token is the credential (signed in or not): an unknown one answers 404",
    ),
    "mfa-verify": Entry(
        LOGGED_IN, methods=GP, get_ok=(302,), note="staff's second factor; done already: sent on"
    ),
    "mfa-setup": Entry(
        LOGGED_IN, methods=GP, get_ok=(302,), note="staff with an authenticator: to mfa-verify"
    ),
    "confirm-password": Entry(
        LOGGED_IN, note="the password again before exports and account changes (issue 16.1)"
    ),
    "my-security": _me(),
    "patient-more": _me(audit="", why="links to the patient's other pages; no patient data"),
    "mfa-replace": Entry(
        LOGGED_IN,
        methods=GP,
        get_ok=R,
        note="staff past their second factor re-enter their password; patients sent home",
    ),
    "mfa-recover": Entry(
        LOGGED_IN,
        methods=GP,
        get_ok=(302,),
        note="staff before their second factor: a recovery code; others sent on",
    ),
    "mfa-recovery-codes": Entry(
        LOGGED_IN, methods=GP, get_ok=R, note="staff's own recovery codes; patients sent home"
    ),
    "passkeys": Entry(LOGGED_IN, note="the user's own passkeys"),
    "passkey-register-options": Entry(
        LOGGED_IN, methods=P, get_ok=POST_ONLY, note="a WebAuthn challenge for the user"
    ),
    "passkey-register": Entry(
        LOGGED_IN,
        methods=P,
        get_ok=POST_ONLY,
        note="refused (400) without a challenge and a valid credential",
    ),
    "passkey-remove": Entry(
        LOGGED_IN,
        relations=(MISSING,),
        kwargs=fixed(passkey_id=MISSING_INT),
        methods=P,
        get_ok=POST_ONLY,
        note="the user's own passkey only (404 for anyone else's)",
    ),
    "passkey-login-options": Entry(PUBLIC, methods=P, get_ok=POST_ONLY),
    "passkey-login": Entry(
        PUBLIC, methods=P, get_ok=POST_ONLY, note="a valid assertion of a patient's passkey"
    ),
    "mfa-passkey-options": Entry(
        LOGGED_IN,
        methods=P,
        get_ok=POST_ONLY,
        note="staff with a passkey, before their second factor",
    ),
    "mfa-passkey": Entry(
        LOGGED_IN, methods=P, get_ok=POST_ONLY, note="staff's second factor by passkey"
    ),
    "mfa-staff": Entry(
        CLINIC_ADMIN_PAGE, roles=ADMIN_ONLY, why="staff logins only, no patient data"
    ),
    "mfa-staff-reset": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=obj("staffuser", "user_id"),
        methods=P,
        get_ok=POST_ONLY,
        audit="any",
    ),
    # --- patients ---------------------------------------------------------------------------
    "patient-list": Entry(
        STAFF_CLINIC, methods=GP, read_methods=GP, audit="any", note="the search is POSTed"
    ),
    "patient-new": Entry(STAFF_CLINIC, methods=GP, audit="any", unaudited={"get": "an empty form"}),
    "patient-chart": _staff_patient(),
    "patient-invite": _staff_patient(methods=P, get_ok=POST_ONLY),
    "patient-contact": _staff_patient(
        methods=GP,
        body=lambda w, rel: {
            "email": f"matrix-{rel}@example.org",
            "phone": "0113 496 0000",
            "address": "",
            "time_zone": "Europe/London",
            "preferred_contact": "phone",
        },
    ),
    "patient-email-change-withdraw": _staff_patient(
        methods=P,
        get_ok=POST_ONLY,
        unaudited={"post": "nothing to withdraw without an open change (a withdrawal is audited)"},
    ),
    "email-change-confirm": Entry(
        PATIENT_SELF,
        kwargs=fixed(token="A" * 43),
        methods=GP,
        get_ok=(404,),
        why="the link's secret is the credential, for the signed-in patient only: "
        "an unknown one answers 404",
    ),
    # --- audit ------------------------------------------------------------------------------
    "audit-report": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        methods=GP,
        read_methods=GP,
        audit="any",
        note="the patient search (MRN or name) is POSTed",
    ),
    # --- staff and clinic settings (clinic admins) ---------------------------------------------
    "staff-list": Entry(CLINIC_ADMIN_PAGE, roles=ADMIN_ONLY, audit="any"),
    "staff-invite": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        methods=GP,
        body=lambda w, rel: {
            "first_name": "Matrix",
            "last_name": "Colleague",
            "email": f"matrix-{rel}@example.org",
            "role": "nurse",
        },
        audit="any",
        unaudited={"get": "an empty form"},
    ),
    "staff-member": Entry(
        CLINIC_ADMIN_PAGE, roles=ADMIN_ONLY, relations=CLINIC_RELS, kwargs=colleague_id, audit="any"
    ),
    "staff-role": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=colleague_id,
        methods=P,
        get_ok=POST_ONLY,
        body=lambda w, rel: {"role": "physician"},
        audit="any",
    ),
    "staff-training": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=colleague_id,
        methods=P,
        get_ok=POST_ONLY,
        body=lambda w, rel: {"course": "PREEMPT workshop", "completed_on": "2025-01-01"},
        audit="any",
    ),
    "staff-active": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=colleague_id,
        methods=P,
        get_ok=POST_ONLY,
        body=lambda w, rel: {"active": "0"},
        audit="any",
    ),
    "staff-invite-again": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=colleague_id,
        methods=P,
        get_ok=POST_ONLY,
        why="staff logins only, no patient data; the colleague here has a password, so it is "
        "refused with nothing sent (sending is audited: tests/accounts/test_staff_pages.py)",
    ),
    "staff-role-decide": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=(MISSING,),
        kwargs=fixed(change_id=987654),
        methods=P,
        get_ok=POST_ONLY,
        note="an unknown change answers 404; deciding is walked in tests/accounts",
    ),
    "safety-settings": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        methods=GP,
        body=lambda w, rel: {
            "urgent_phone": "0113 496 0999",
            "out_of_hours_number": "111",
            "emergency_number": "999",
            "escalation_minutes": 20,
            "max_escalations": 6,
        },
        audit="any",
    ),
    "aftercare-settings": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        methods=GP,
        body=lambda w, rel: {"key": ["no_rubbing"], "text_no_rubbing": "Rub gently if at all."},
        audit="any",
    ),
    "protocol-list": Entry(STAFF_CLINIC, roles=PROTOCOL_EDITORS, audit="any"),
    "protocol-new": Entry(
        STAFF_CLINIC,
        roles=PROTOCOL_EDITORS,
        methods=GP,
        body=lambda w, rel: {**_protocol_body(), "name": f"matrix-{rel}"},
        audit="any",
        unaudited={"get": "an empty form"},
    ),
    "protocol-edit": Entry(
        STAFF_CLINIC,
        roles=PROTOCOL_EDITORS,
        relations=CLINIC_RELS,
        kwargs=obj("protocoltemplate", "template_id"),
        methods=GP,
        body=lambda w, rel: _protocol_body(),
        audit="any",
    ),
    "protocol-active": Entry(
        STAFF_CLINIC,
        roles=PROTOCOL_EDITORS,
        relations=CLINIC_RELS,
        kwargs=obj("protocoltemplate", "template_id"),
        methods=P,
        get_ok=POST_ONLY,
        body=lambda w, rel: {"active": "1"},
        audit="any",
    ),
    "content-pack-active": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=obj("contentpack", "pack_id"),
        methods=P,
        get_ok=POST_ONLY,
        body=lambda w, rel: {"active": "0"},
        audit="any",
    ),
    "clinic-settings": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        methods=GP,
        body=lambda w, rel: {
            "name": "Leeds Headache Centre",
            "country": "GB",
            "address": "",
            "phone": "0113 999 9999",
            "safety_email": "",
            "time_zone": "Europe/London",
            "backfill_days": 7,
            "minimum_interval_days": 70,
        },
        audit="any",
        unaudited={"get": CONFIG_FORM},
    ),
    # --- diary ------------------------------------------------------------------------------
    "diary-home": _me(),
    "patient-home": _me(),
    "diary-no-headache": _me(methods=P, get_ok=POST_ONLY),
    "diary-calendar": _me(),
    "diary-day": _me(kwargs=fixed(date=YESTERDAY), methods=GP),
    "diary-settings": _me(methods=GP),
    "diary-offline-day": _me(
        audit="", why="a blank day form kept for offline use; it shows nothing of the record"
    ),
    "diary-service-worker": Entry(
        PUBLIC, note="the offline diary's service worker script; no patient data"
    ),
    "clinic-diary": _staff_patient(),
    "clinic-diary-day": _staff_patient(CLINICAL, kwargs=pid(date=YESTERDAY), methods=GP),
    "diary-io-days": _me(),
    "diary-io-attacks": _me(),
    "diary-io-import": _me(methods=GP),
    "diary-io-import-status": Entry(
        LOGGED_IN,
        kwargs=fixed(token="0123456789abcdef0123456789abcdef"),
        why="the user's own import progress, kept in the cache under their user id",
    ),
    "clinic-diary-io-days": _staff_patient(),
    "clinic-diary-io-attacks": _staff_patient(),
    "clinic-diary-io-import": _staff_patient(CLINICAL, methods=GP),
    # --- eligibility: the consultation record -------------------------------------------------
    "consultation": _staff_patient(),
    "consultation-history": _staff_patient(CLINICAL, methods=P, get_ok=POST_ONLY),
    "preventive-add": _staff_patient(CLINICAL, methods=P, get_ok=POST_ONLY),
    "preventive-edit": _staff_sub("preventive", "item_id", CLINICAL, methods=GP),
    "preventive-remove": _staff_sub("preventive", "item_id", CLINICAL, methods=P, get_ok=POST_ONLY),
    "medicine-add": _staff_patient(CLINICAL, methods=P, get_ok=POST_ONLY),
    "medicine-edit": _staff_sub("medication", "item_id", CLINICAL, methods=GP),
    "medicine-remove": _staff_sub("medication", "item_id", CLINICAL, methods=P, get_ok=POST_ONLY),
    "consultation-cautions": _staff_patient(CLINICAL, methods=P, get_ok=POST_ONLY),
    "exposure-add": _staff_patient(CLINICAL, methods=P, get_ok=POST_ONLY),
    "exposure-remove": _staff_sub("exposure", "item_id", CLINICAL, methods=P, get_ok=POST_ONLY),
    # --- eligibility: screening, decision, letter, policies ------------------------------------
    "eligibility": _staff_patient(),
    "eligibility-sign-off": _staff_patient(
        PHYSICIAN_ONLY, methods=GP, get_ok=(302,), note="GET goes back to the screening page"
    ),
    "eligibility-decide": _staff_patient(
        PHYSICIAN_ONLY, methods=GP, get_ok=(302,), note="GET goes back to the screening page"
    ),
    "eligibility-letter": _staff_patient(),
    "eligibility-letter-pdf": _staff_patient(),
    "my-eligibility": _me(),
    "policies": Entry(STAFF_CLINIC, audit="any"),
    "policy-default": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=policy_ids(False),
        methods=P,
        get_ok=POST_ONLY,
        audit="any",
    ),
    "policy-ruleset": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=policy_ids(False),
        methods=P,
        get_ok=POST_ONLY,
        audit="any",
    ),
    "policy-new": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=policy_ids(False),
        methods=GP,
        audit="any",
        unaudited={"get": CONFIG_FORM},
    ),
    "policy-edit": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=policy_ids(True),
        methods=GP,
        audit="any",
        unaudited={"get": CONFIG_FORM},
    ),
    "policy-delete": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=policy_ids(True),
        methods=P,
        get_ok=POST_ONLY,
        audit="any",
    ),
    # --- treatment -----------------------------------------------------------------------------
    "session-list": _staff_patient(),
    "session-start": _staff_patient(CLINICAL, methods=P, get_ok=POST_ONLY),
    "session-check": _staff_patient(CLINICAL, methods=P, get_ok=POST_ONLY),
    "session-sign-off": _staff_patient(PHYSICIAN_ONLY, methods=P, get_ok=POST_ONLY),
    "session-check-add": _staff_patient(CLINICAL, methods=P, get_ok=POST_ONLY),
    "session-detail": _staff_sub("session_done", "session_id"),
    "session-record": _staff_sub(
        "session_open", "session_id", CLINICAL, methods=P, get_ok=POST_ONLY
    ),
    "session-vial-add": _staff_sub(
        "session_open", "session_id", CLINICAL, methods=P, get_ok=POST_ONLY
    ),
    "session-vial-remove": _staff_patient(
        CLINICAL, kwargs=vial_ids, relations=SUB_RELS, methods=P, get_ok=POST_ONLY
    ),
    "session-addendum": _staff_sub(
        "session_done", "session_id", CLINICAL, methods=P, get_ok=POST_ONLY
    ),
    "session-cancel": _staff_sub(
        "session_open", "session_id", CLINICAL, methods=P, get_ok=POST_ONLY
    ),
    "care-team": _me(),
    "my-sessions": _me(),
    "session-aftercare": _me(relations=PATIENT_RELS, kwargs=obj("session_done", "session_id")),
    # --- safety --------------------------------------------------------------------------------
    "safety-checkin": _me(methods=GP),
    "safety-side-effect": _me(
        methods=GP, unaudited={"get": "an empty form; it shows nothing of the patient's record"}
    ),
    "safety-urgent": _me(
        audit="",
        why="the emergency guidance and the clinic's phone number only; by design it touches "
        "no database (nothing may stand between a red flag and the guidance)",
    ),
    "safety-my-reports": _me(),
    "safety-report-done": _me(relations=PATIENT_RELS, kwargs=obj("checkin", "checkin_id")),
    "safety-alerts": Entry(STAFF_CLINIC, audit="any"),
    "safety-alert": Entry(
        STAFF_CLINIC,
        post_roles=CLINICAL,
        relations=PATIENT_RELS,
        kwargs=obj("alert", "alert_id"),
        methods=GP,
        audit="patient",
        note="clinic admins see alerts; clinicians acknowledge them",
    ),
    "safety-register": Entry(STAFF_CLINIC, audit="any"),
    "safety-rates": Entry(STAFF_CLINIC, audit="any"),
    "safety-medwatch-pdf": Entry(
        STAFF_CLINIC,
        roles=CLINICAL,
        relations=PATIENT_RELS,
        kwargs=obj("event", "event_id"),
        audit="patient",
    ),
    "safety-medwatch-csv": Entry(
        STAFF_CLINIC,
        roles=CLINICAL,
        relations=PATIENT_RELS,
        kwargs=obj("event", "event_id"),
        audit="patient",
    ),
    "safety-yellow-card-pdf": Entry(
        STAFF_CLINIC,
        roles=CLINICAL,
        relations=PATIENT_RELS,
        kwargs=obj("event", "event_id"),
        audit="patient",
    ),
    "safety-yellow-card-csv": Entry(
        STAFF_CLINIC,
        roles=CLINICAL,
        relations=PATIENT_RELS,
        kwargs=obj("event", "event_id"),
        audit="patient",
    ),
    "safety-patient-events": _staff_patient(),
    "safety-event-new": _staff_patient(CLINICAL, methods=GP),
    "safety-event-edit": _staff_sub("event", "event_id", CLINICAL, methods=GP),
    # --- scheduling ------------------------------------------------------------------------------
    "patient-calendar": _me(),
    "patient-feed-renew": _me(methods=P, get_ok=POST_ONLY),
    "patient-feed-revoke": _me(methods=P, get_ok=POST_ONLY),
    "staff-patient-calendar": _staff_patient(),
    "staff-appointment-reschedule": _staff_sub(
        "appointment", "appointment_id", methods=P, get_ok=POST_ONLY
    ),
    "staff-appointment-cancel": _staff_sub(
        "appointment", "appointment_id", methods=P, get_ok=POST_ONLY
    ),
    "staff-authorisation": _staff_patient(methods=P, get_ok=POST_ONLY),
    "staff-patient-feed-revoke": _staff_patient(methods=P, get_ok=POST_ONLY),
    "clinic-schedule": Entry(STAFF_CLINIC, audit="any"),
    "clinic-feed-renew": Entry(
        STAFF_CLINIC,
        relations=CLINIC_RELS,
        kwargs=obj("clinic", "clinic_id"),
        methods=P,
        get_ok=POST_ONLY,
        audit="any",
    ),
    "clinic-feed-revoke": Entry(
        STAFF_CLINIC,
        relations=CLINIC_RELS,
        kwargs=obj("clinic", "clinic_id"),
        methods=P,
        get_ok=POST_ONLY,
        audit="any",
        note="each member of staff their own link",
    ),
    "clinic-feed": Entry(
        TOKEN,
        relations=(OWN, OTHER_CLINIC, MISSING),
        kwargs=token("clinic_feed"),
        audit="any",
        note="the secret address is the credential",
    ),
    "patient-feed": Entry(
        TOKEN,
        relations=(OWN, OTHER_PATIENT, OTHER_CLINIC, REVOKED, MISSING),
        kwargs=token("patient_feed"),
        audit="patient",
        note="the secret address is the credential; a replaced address answers 404",
    ),
    # --- outcomes --------------------------------------------------------------------------------
    "outcomes-patient": _staff_patient(),
    "outcomes-decision": _staff_patient(
        PHYSICIAN_ONLY, methods=P, get_ok=POST_ONLY, note="nurses and admins: 403 from the view"
    ),
    "outcomes-bridging": _staff_patient(CLINICAL, methods=P, get_ok=POST_ONLY),
    "outcomes-bridging-withdraw": _staff_sub(
        "bridging", "bridging_id", CLINICAL, methods=P, get_ok=POST_ONLY
    ),
    "outcomes-questionnaire": _staff_patient(CLINICAL, kwargs=pid(instrument="hit6"), methods=GP),
    "cycle-summary": _staff_patient(),
    "cycle-summary-pdf": _staff_patient(),
    "renewal-letter-pdf": _staff_patient(),
    "clinic-dashboard": Entry(STAFF_CLINIC, audit="any"),
    "clinic-cohort": Entry(STAFF_CLINIC, audit="any"),
    "clinic-cohort-csv": Entry(STAFF_CLINIC, audit="any"),
    "content-packs": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        methods=GP,
        audit="any",
        unaudited={"get": "the clinic's questionnaire wordings; no patient data"},
    ),
    "item-labels": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        methods=GP,
        audit="any",
        unaudited={"get": "the clinic's questionnaire labels; no patient data"},
    ),
    "my-progress": _me(),
    "my-questionnaires": _me(methods=GP),
    # --- interop ---------------------------------------------------------------------------------
    "fhir-everything": Entry(
        PATIENT_OR_STAFF, relations=PATIENT_RELS, kwargs=pid(), audit="patient"
    ),
    "my-data": _me(
        audit="",
        why="the list of downloads the patient may take, with the clinic's name; each "
        "download (my-data-download) is audited",
    ),
    "my-data-download": _me(
        relations=(SELF, MISSING),
        kwargs=lambda w, rel: {"key": "no-such-download" if rel == MISSING else "diary"},
    ),
    "clinic-fhir-import": Entry(
        STAFF_CLINIC,
        methods=GP,
        why="the form, and an upload refused by the form; an import audits itself "
        "(interop.fhir_import.import_bundle)",
    ),
    "clinic-export": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        methods=GP,
        audit="any",
        unaudited={"get": "the clinic's exports and its number of patients; no patient data"},
    ),
    "clinic-export-status": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=obj("export", "export_id"),
    ),
    "clinic-export-download": Entry(
        CLINIC_ADMIN_PAGE,
        roles=ADMIN_ONLY,
        relations=CLINIC_RELS,
        kwargs=obj("export", "export_id"),
        audit="any",
    ),
    # --- the JSON API (django-ninja, one Django URL pattern per operation) ------------------------
    "api:openapi-json": Entry(PUBLIC, note="the API's description; no data"),
    "api:openapi-view": Entry(PUBLIC, note="the API's description; no data"),
    "api:api-root": Entry(NOWHERE, note="django-ninja's root: 404 for everyone"),
    "api:my_diary": Entry(API_PATIENT_SELF, audit="patient"),
    "api:put_my_day": Entry(
        API_PATIENT_SELF,
        kwargs=fixed(date=YESTERDAY.isoformat()),
        methods=("get", "put"),
        get_ok=POST_ONLY,
        json=True,
        audit="patient",
    ),
    "api:delete_my_day": Entry(
        API_PATIENT_SELF,
        kwargs=fixed(date=YESTERDAY.isoformat()),
        methods=("get", "delete"),
        get_ok=POST_ONLY,
        audit="patient",
    ),
    "api:patient_diary": Entry(
        API_STAFF_PATIENT, relations=PATIENT_RELS, kwargs=pid(), audit="patient"
    ),
    # --- the clinic-scoped Django admin: the site (models below) ----------------------------------
    "admin:index": Entry(DJANGO_ADMIN, roles=ADMIN_ONLY),
    "admin:login": Entry(PUBLIC, get_ok=R),
    "admin:logout": Entry(
        DJANGO_ADMIN, roles=ADMIN_ONLY, methods=P, get_ok=POST_ONLY, login_is_success=True
    ),
    "admin:password_change": Entry(DJANGO_ADMIN, roles=ADMIN_ONLY, methods=GP),
    "admin:password_change_done": Entry(DJANGO_ADMIN, roles=ADMIN_ONLY),
    "admin:autocomplete": Entry(NOWHERE, note="no admin declares autocomplete fields: 403"),
    "admin:jsi18n": Entry(DJANGO_ADMIN, roles=ADMIN_ONLY),
    "admin:view_on_site": Entry(
        NOWHERE,
        url=lambda w, rel: f"/admin/r/{_content_type('patients', 'patient')}/{w.cast.patient.pk}/",
        note="no model has a public URL: 404 for admins, the login page for others",
    ),
    "admin:app_list": Entry(DJANGO_ADMIN, roles=ADMIN_ONLY, kwargs=fixed(app_label="patients")),
    "admin/(?P<url>.*)$": Entry(
        NOWHERE, url=lambda w, rel: "/admin/no-such-page/", note="the admin's catch-all: 404"
    ),
}


def _content_type(app: str, model: str) -> int:
    from django.contrib.contenttypes.models import ContentType

    return int(ContentType.objects.get_by_natural_key(app, model).pk)


@dataclass(frozen=True)
class AdminModel:
    """A model on the clinic-scoped admin: what its clinic admins may do (None: nothing)."""

    app: str
    model: str
    add: bool = True
    change: bool = True
    #: Its change and history pages show one patient's data (so they must be audited).
    patient_data: bool = False
    #: Otherwise, why its pages need no audit row.
    why: str = "configuration, not one patient's data"


ADMIN_MODELS = (
    AdminModel("accounts", "clinic", add=False),
    AdminModel("accounts", "membership", why="staff roles, not patient data"),
    AdminModel("patients", "patient", patient_data=True),
    AdminModel("treatment", "protocoltemplate"),
    AdminModel("treatment", "injectortraining"),
    AdminModel("treatment", "aftercaretext"),
    AdminModel("accounts", "clinicpolicy"),
    AdminModel("eligibility", "flagsignoff", add=False, change=False, patient_data=True),
    AdminModel("eligibility", "startdecision", add=False, change=False, patient_data=True),
    AdminModel("safety", "safetysettings"),
    AdminModel(
        "safety", "outboundemail", add=False, change=False, why="the e-mails carry no identifiers"
    ),
    AdminModel("outcomes", "contentpack", add=False),
    AdminModel("outcomes", "itemlabel"),
)


def _admin_object(kind: str) -> Kwargs:
    missing = MISSING_UUID if kind == "patient" else MISSING_INT

    def build(w: World, rel: str) -> dict[str, Any]:
        if rel == MISSING:
            return {"object_id": missing}
        found = w.get(kind, rel) if kind != "patient" else w.patient(rel)
        return {"object_id": found.pk}

    return build


def _admin_entries(m: AdminModel) -> dict[str, Entry]:
    name = f"admin:{m.app}_{m.model}"
    objects = _admin_object(m.model)
    patient = "patient" if m.patient_data else ""
    why = "" if m.patient_data else m.why
    none: frozenset[str] = frozenset()
    admin = Entry(DJANGO_ADMIN, roles=ADMIN_ONLY)
    return {
        f"{name}_changelist": Entry(DJANGO_ADMIN, roles=ADMIN_ONLY, audit="any"),
        f"{name}_add": Entry(
            DJANGO_ADMIN,
            roles=ADMIN_ONLY if m.add else none,
            methods=GP,
            note="" if m.add else "no one adds these here (403 for clinic admins)",
        ),
        f"{name}_history": Entry(
            DJANGO_ADMIN,
            roles=ADMIN_ONLY,
            relations=CLINIC_RELS,
            kwargs=objects,
            audit=patient,
            why=why,
        ),
        f"{name}_delete": Entry(
            DJANGO_ADMIN,
            roles=none,
            relations=CLINIC_RELS,
            kwargs=objects,
            methods=GP,
            note="superusers only (403 for clinic admins)",
        ),
        f"{name}_change": Entry(
            DJANGO_ADMIN,
            roles=ADMIN_ONLY,
            post_roles=ADMIN_ONLY if m.change else none,
            relations=CLINIC_RELS,
            kwargs=objects,
            methods=GP,
            audit=patient,
            why=why,
            unaudited={"post": "saves are audited by ClinicScopedAdmin.save_model (its own tests)"}
            if m.change
            else {},
            note="" if m.change else "read-only here (POST: 403 for clinic admins)",
        ),
        f"admin/{m.app}/{m.model}/<path:object_id>/": Entry(
            admin.access,
            roles=admin.roles,
            get_ok=(302,),
            url=lambda w, rel: f"/admin/{m.app}/{m.model}/{objects(w, OWN)['object_id']}/",
            note="redirects to the change page without reading the object",
        ),
    }


for _model in ADMIN_MODELS:
    PATTERNS.update(_admin_entries(_model))
for _key, _body in BODIES.items():
    PATTERNS[_key] = dataclasses.replace(PATTERNS[_key], body=_body)


# --- audit coverage (issue 9, part 2) ------------------------------------------------------------

#: Who makes the request: the first persona the matrix allows, in this order.
PREFERENCE = (
    "physician",
    "nurse",
    "clinic_admin",
    "patient_user",
    "other_physician",
    "other_patient_user",
    "anonymous",
)
SUCCESS = (200, 201, 204, 302)
READS = frozenset({"read", "login", "logout", "login_failed"})

#: Endpoints known to read or write patient data without an audit row: (pattern, method) ->
#: why. Each is a strict xfail: it fails the suite once the endpoint audits (remove it here).
KNOWN_UNAUDITED: dict[tuple[str, str], str] = {}


def relation_of(entry: Entry) -> str:
    """The relation the audit test uses: Ada's record (or the persona's own page)."""
    return OWN if OWN in entry.relations else SELF


def persona_for(entry: Entry, method: str) -> str:
    """The persona the audit test sends: the first the matrix allows, in PREFERENCE order."""
    relation = relation_of(entry)
    return next(p for p in PREFERENCE if allowed(entry, p, relation, method))


def audited() -> list[tuple[str, str]]:
    """(pattern, method) of every endpoint that must leave an audit row."""
    found = []
    for key, entry in PATTERNS.items():
        if not entry.audit:
            continue
        for method in entry.methods:
            if method in entry.unaudited:
                continue
            if method == "get" and 200 not in entry.get_ok:
                continue  # a GET that only redirects or answers 405 shows nothing
            if not any(allowed(entry, p, relation_of(entry), method) for p in PREFERENCE):
                continue  # no one may (the admin's read-only pages refuse a POST)
            found.append((key, method))
    return found


def exempt() -> list[tuple[str, str, str]]:
    """Patient-data endpoints that need no row, each with the matrix's reason."""
    found = [
        (key, "*", entry.why)
        for key, entry in PATTERNS.items()
        if entry.access in PATIENT_DATA and not entry.audit
    ]
    found += [
        (key, method, why)
        for key, entry in PATTERNS.items()
        if entry.audit
        for method, why in entry.unaudited.items()
    ]
    return found


def coverage_line() -> str:
    """The audit-coverage figure, as the test prints it and the docs state it."""
    endpoints = audited()
    data = [c for c in endpoints if PATTERNS[c[0]].access in PATIENT_DATA]
    known = [c for c in endpoints if c in KNOWN_UNAUDITED]
    return (
        f"{len(data) - len([c for c in known if c in data])}/{len(data)} patient-data "
        f"endpoints (pattern x method) write audit rows; {len(endpoints) - len(known)}/"
        f"{len(endpoints)} with the clinic-wide pages and the admin's; exempt with a reason: "
        f"{len(exempt())}; known gaps: {len(known)}"
    )


#: Known authorisation gaps: (pattern, method, relation, persona) -> why. Their group is
#: reported as xfail, and fails when such a case starts passing or any other case fails.
KNOWN_AUTHZ: dict[tuple[str, str, str, str], str] = {}


# --- enumerating the site's URL patterns -------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str  # the route name (namespaced) or, for an unnamed pattern, its route
    route: str
    name: str | None


def _walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Iterator[Pattern]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            name = f"{namespace}:{p.name}" if (namespace and p.name) else p.name
            yield Pattern(name or route, route, name)


def site_patterns() -> list[Pattern]:
    """Every URL pattern the site answers, the admin's and the API's included."""
    return list(_walk(get_resolver().url_patterns))


def url_for(key: str, entry: Entry, w: World, relation: str) -> str:
    if entry.url is not None:
        return entry.url(w, relation)
    kwargs = entry.kwargs(w, relation) if entry.kwargs else {}
    return reverse(key, kwargs=kwargs)


def cases() -> Iterator[tuple[str, str, str, str]]:
    """(pattern, method, relation, persona) for every check of the matrix."""
    for key, entry in PATTERNS.items():
        for method in entry.methods:
            for relation in entry.relations:
                for persona in ALL_PERSONAS:
                    yield key, method, relation, persona


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The cast and every object of the matrix, built once per test module inside a
    transaction that is rolled back at the end; each test runs in a savepoint of it, so
    what a request writes is undone before the next. The clock stands still at NOW."""
    from django.db import transaction

    from tests.personas import client_for, make_cast

    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        pytest.MonkeyPatch.context() as patch,
        transaction.atomic(),
    ):
        # Thousands of 404s and 405s: their log lines are expected (errors still show).
        patch.setattr(logging.getLogger("django.request"), "level", logging.ERROR)
        # Authorisation does not depend on how a PDF is drawn: skip the slow drawing.
        patch.setattr("weasyprint.HTML.write_pdf", lambda *a, **k: b"%PDF-1.7 (matrix stub)")
        w = build_world(make_cast())
        # Sessions of the logged-in personas, from tests.personas.client_for (so a later login
        # step such as staff MFA is handled in one place).
        w.logins = {
            persona: {
                name: morsel.value for name, morsel in client_for(w.cast, persona).cookies.items()
            }
            for persona in ALL_PERSONAS
        }
        try:
            yield w
        finally:
            transaction.set_rollback(True)
            for path in w.objs["export_file"].values():
                path.unlink(missing_ok=True)


def client(w: World, persona: str) -> Client:
    """The world's client holding only the persona's session cookie (a request may change the
    jar: logout). One client for all: each new one would load the middleware again, and
    WhiteNoise scans every static file when it starts."""
    if w.client is None:
        w.client = Client()
    w.client.cookies = SimpleCookie()
    for name, value in w.logins[persona].items():
        w.client.cookies[name] = value
    return w.client


# --- the matrix in words (docs/authorisation.md) ---------------------------------------------------

ROLE_NAMES = {PHYSICIAN: "physician", NURSE: "nurse", CLINIC_ADMIN: "clinic admin"}
CLASS_TITLES = {
    PUBLIC: "Public",
    TOKEN: "Secret address",
    LOGGED_IN: "Any logged-in user",
    NOWHERE: "No one",
    PATIENT_SELF: "The patient's own pages (/me/)",
    API_PATIENT_SELF: "API: the patient's own diary",
    PATIENT_OR_STAFF: "The patient or their clinic's staff",
    STAFF_PATIENT: "Staff pages of one patient (/clinic/patients/<uuid>/...)",
    API_STAFF_PATIENT: "API: one patient's diary (staff)",
    STAFF_CLINIC: "Clinic-wide staff pages",
    CLINIC_ADMIN_PAGE: "Clinic admin pages",
    DJANGO_ADMIN: "The Django admin (/admin/), superusers only",
}
RELATION_NAMES = {
    SELF: "-",
    OWN: "own",
    OTHER_PATIENT: "other patient",
    OTHER_CLINIC: "other clinic",
    CROSSED: "crossed",
    REVOKED: "revoked",
    MISSING: "missing",
}
BEGIN, END = (
    "<!-- matrix:begin (generated: see tests/security/matrix.py) -->",
    "<!-- matrix:end -->",
)


def _roles(roles: frozenset[str]) -> str:
    if not roles:
        return "no one (superusers only)"
    return ", ".join(ROLE_NAMES[r] for r in (PHYSICIAN, NURSE, CLINIC_ADMIN) if r in roles)


def who(entry: Entry) -> str:
    """Who is allowed, in words."""
    a = entry.access
    if a == PUBLIC:
        return "anyone"
    if a == TOKEN:
        return "whoever holds the live address"
    if a == LOGGED_IN:
        return "any logged-in user"
    if a == NOWHERE:
        return "no one"
    if a == DJANGO_ADMIN:
        return "superusers only"
    if a in (PATIENT_SELF, API_PATIENT_SELF):
        return "the patient"
    text = _roles(entry.roles)
    if entry.access == PATIENT_OR_STAFF:
        text = "the patient; " + text
    if entry.post_roles is not None and entry.post_roles != entry.roles:
        text = f"read: {text}; write: {_roles(entry.post_roles)}"
    return text


def _audit(key: str, entry: Entry) -> str:
    parts = []
    if entry.audit:
        parts.append("row naming the patient" if entry.audit == "patient" else "row")
    elif entry.why:
        parts.append("none: " + entry.why)
    for method, why in entry.unaudited.items():
        parts.append(f"{method.upper()} none: {why}")
    gaps = [m for (k, m) in KNOWN_UNAUDITED if k == key]
    if gaps:
        parts.append("**gap** (" + ", ".join(m.upper() for m in gaps) + "): see below")
    return "; ".join(parts)


def _admin_model_rows() -> list[str]:
    lines = [
        "",
        "Per model (`/admin/<app>/<model>/...`): list, add, change (GET shows, POST saves), "
        "history, delete; the object pages tried with the own clinic's row, another "
        "clinic's and a missing id (the last two: the admin's \"no such object\" redirect).",
        "",
        "| model | list | add | change | history | delete | audit of the object pages |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in ADMIN_MODELS:
        name = f"admin:{m.app}_{m.model}"
        change = PATTERNS[f"{name}_change"]
        lines.append(
            f"| {m.app}.{m.model} | {who(PATTERNS[f'{name}_changelist'])} "
            f"| {who(PATTERNS[f'{name}_add'])} | {who(change)} "
            f"| {who(PATTERNS[f'{name}_history'])} | {who(PATTERNS[f'{name}_delete'])} "
            f"| {_audit(f'{name}_change', change)} |"
        )
    return lines


def markdown() -> str:
    """The generated part of docs/authorisation.md: one table per access class."""
    patterns = {p.key: p for p in site_patterns()}
    model_keys = {
        k
        for m in ADMIN_MODELS
        for k in _admin_entries(m)  # the per-model table covers these
    }
    n_cases = sum(1 for _ in cases())
    lines = [
        BEGIN,
        "",
        f"{len(PATTERNS)} URL patterns; {n_cases} requests (pattern x method x relation x "
        f"persona). Audit: {coverage_line()}.",
    ]
    for access, title in CLASS_TITLES.items():
        keys = [k for k, e in PATTERNS.items() if e.access == access and k not in model_keys]
        if not keys:
            continue
        lines += [
            "",
            f"### {title}",
            "",
            "| URL | name | methods | allowed | relations tried | audit |",
            "|---|---|---|---|---|---|",
        ]
        for key in keys:
            entry, pattern = PATTERNS[key], patterns[key]
            route = pattern.route.replace("^", "").removesuffix("$").replace("|", "\\|")
            methods = ", ".join(m.upper() for m in entry.methods)
            relations = ", ".join(RELATION_NAMES[r] for r in entry.relations)
            note = f" ({entry.note})" if entry.note else ""
            lines.append(
                f"| `/{route}` | {pattern.name or ''} | {methods} | {who(entry)}{note} "
                f"| {relations} | {_audit(key, entry)} |"
            )
        if access == DJANGO_ADMIN:
            lines += _admin_model_rows()
    lines += ["", "Known audit gaps (strict xfails in tests/security/test_audit_coverage.py):", ""]
    lines += [f"- `{k}` {m.upper()}: {why}" for (k, m), why in KNOWN_UNAUDITED.items()]
    if KNOWN_AUTHZ:
        lines += ["", "Known authorisation gaps:", ""]
        lines += [
            f"- `{k}` {m.upper()} {r} {p}: {why}" for (k, m, r, p), why in KNOWN_AUTHZ.items()
        ]
    else:
        lines += ["", "Known authorisation gaps: none (0 unexpected allows)."]
    lines += ["", END]
    return "\n".join(lines) + "\n"


DOCS = Path(__file__).parents[2] / "docs" / "authorisation.md"
REGENERATE = (
    "DJANGO_SETTINGS_MODULE=cephalog.settings CEPHALOG_TESTING=1 .venv/bin/python -c "
    "'import django; django.setup(); from tests.security.matrix import write_docs; write_docs()'"
)


def write_docs() -> None:
    """Replace the generated part of docs/authorisation.md (between BEGIN and END)."""
    text = DOCS.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    DOCS.write_text(text[:start] + markdown() + text[end:])
