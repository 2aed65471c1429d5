"""Importing a cephalog FHIR bundle into a clinic: the patient, diary, sessions and events.

`import_bundle` is the one write: all-or-nothing (one transaction), refused
with every problem listed (`ImportRefused.problems`) before anything is
stored when the bundle does not validate, a reference does not resolve, a
value is outside cephalog's vocabularies, or the MRN is taken. Diary days
and attacks go through cephalog.diary's actions (same rules, revisions and
audit as any import); the rest is written here with `full_clean()` and one
audit row, because the treatment actions are for sessions happening now
(vial expiry and reconstitution are checked against the current time).

What is read and what is recomputed: docs/fhir.md, "Import".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cephalog import safe_json
from cephalog.accounts.access import STAFF_ROLES, role_in
from cephalog.accounts.models import Clinic
from cephalog.audit.actions import record
from cephalog.diary.actions import DiaryError, patient_today, save_days_bulk, validate_day
from cephalog.diary.attack_actions import apply_attacks, plan_attacks
from cephalog.diary.models import EntrySource
from cephalog.domain import dosing
from cephalog.domain.diary import DiaryDay
from cephalog.domain.importing import AttackFacts
from cephalog.interop import codes as c
from cephalog.interop.fhir import (
    AE_OUTCOMES,
    FEATURES,
    Json,
    unresolved_references,
    validation_problems,
)
from cephalog.patients.actions import create_patient
from cephalog.patients.models import (
    Allergy,
    Condition,
    Medication,
    Patient,
    Preventive,
    ToxinExposure,
)

#: Largest bundle accepted (a patient with years of diary is about 1-2 MB).
MAX_BUNDLE_BYTES = 50 * 1024 * 1024
IMPORT_REASON = "Imported from a cephalog FHIR bundle"

_AE_OUTCOMES_BACK = {v: k for k, v in AE_OUTCOMES.items()}


class ImportRefused(ValueError):
    """Nothing was imported; `problems` lists why, one line each, naming the resource."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems[:5]))


@dataclass
class ImportResult:
    patient: Patient
    counts: dict[str, int] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)


# --- reading helpers ------------------------------------------------------------------------


def parse_json(raw: str | bytes | Json) -> Json:
    if isinstance(raw, dict):
        return raw
    if len(raw) > MAX_BUNDLE_BYTES:
        raise ImportRefused([f"bundle: larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MB"])
    try:
        data = safe_json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ImportRefused([f"bundle: not valid JSON ({error})"]) from None
    if not isinstance(data, dict):
        raise ImportRefused(["bundle: must be a JSON object"])
    return data


def code_of(concept: Any, system: str) -> str | None:
    """The code of `system` in a CodeableConcept (or a Coding), or None."""
    if not isinstance(concept, dict):
        return None
    codings = concept.get("coding", [concept]) if "coding" in concept else [concept]
    for coding in codings:
        if isinstance(coding, dict) and coding.get("system") == system:
            code = coding.get("code")
            return code if isinstance(code, str) else None
    return None


def extensions(resource: Json, url: str) -> list[Any]:
    """The values of every extension `url` on a resource or element."""
    out: list[Any] = []
    for e in resource.get("extension") or []:
        if e.get("url") == url:
            out.extend(v for k, v in e.items() if k.startswith("value"))
    return out


def extension(resource: Json, url: str, default: Any = None) -> Any:
    values = extensions(resource, url)
    return values[0] if values else default


def _date(value: Any, where: str, problems: list[str]) -> dt.date | None:
    if value in (None, ""):
        return None
    text = str(value)
    try:
        if len(text) < 10:  # a year or a month alone cannot be stored
            raise ValueError(text)
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        problems.append(f"{where}: not a full date, got {value!r}")
        return None


def _need_date(value: Any, where: str, problems: list[str]) -> dt.date:
    """A required date; when missing or bad a problem is noted (which stops the import)
    and a placeholder returned that is never stored."""
    parsed = _date(value, where, problems)
    if parsed is None:
        if value in (None, ""):
            problems.append(f"{where}: required")
        return dt.date.min
    return parsed


def _need_datetime(value: Any, where: str, problems: list[str]) -> dt.datetime:
    parsed = _datetime(value, where, problems)
    if parsed is None:
        if value in (None, ""):
            problems.append(f"{where}: required")
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return parsed


def _datetime(value: Any, where: str, problems: list[str]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: not a date and time, got {value!r}")
        return None
    if parsed.tzinfo is None:
        problems.append(f"{where}: a date and time needs a time zone, got {value!r}")
        return None
    return parsed


def _number(quantity: Any) -> float | int | None:
    value = quantity.get("value") if isinstance(quantity, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _int(value: Any) -> int | None:
    number = _number(value) if isinstance(value, dict) else value
    if (
        isinstance(number, int | float)
        and not isinstance(number, bool)
        and float(number).is_integer()
    ):
        return int(number)
    return None


def _choice(value: str | None, allowed: Iterable[str], where: str, problems: list[str]) -> str:
    allowed = list(allowed)
    if value not in allowed:
        problems.append(f"{where}: must be one of {', '.join(allowed)}; got {value!r}")
        return ""
    return value


def _validation(where: str, error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [f"{where}.{k}: {m}" for k, ms in error.message_dict.items() for m in ms]
    return [f"{where}: {m}" for m in error.messages]


# --- the reader ---------------------------------------------------------------------------------


class _Reader:
    """Turns the bundle into unsaved rows (and problems) before anything is written."""

    def __init__(self, bundle: Json) -> None:
        self.bundle = bundle
        self.problems: list[str] = []
        self.by_url: dict[str, Json] = {}
        self.by_type: dict[str, list[tuple[str, Json]]] = {}
        for entry in bundle.get("entry") or []:
            url, resource = entry.get("fullUrl"), entry.get("resource")
            if not url:
                url = f"{resource['resourceType']}/{resource.get('id', '')}"
            self.by_url[url] = resource
            self.by_type.setdefault(resource["resourceType"], []).append((url, resource))
        self.ignored: dict[str, int] = {}

    def ignore(self, kind: str) -> None:
        self.ignored[kind] = self.ignored.get(kind, 0) + 1

    def resolve(self, reference: Any) -> Json | None:
        if isinstance(reference, dict):
            return self.by_url.get(reference.get("reference", ""))
        return None

    def of_type(self, kind: str) -> list[tuple[str, Json]]:
        return self.by_type.get(kind, [])

    # Patient --------------------------------------------------------------------------------

    def patient_fields(self, mrn: str | None) -> dict[str, Any]:
        patients = self.of_type("Patient")
        if len(patients) != 1:
            self.problems.append(
                f"Patient: the bundle must hold exactly one, found {len(patients)}"
            )
            return {}
        _, p = patients[0]
        where = "Patient"
        if mrn is None:
            mrn = next(
                (
                    i.get("value")
                    for i in p.get("identifier") or []
                    if code_of(i.get("type"), c.V2_IDENTIFIER_TYPE) == "MR" and i.get("value")
                ),
                None,
            )
        if not mrn:
            self.problems.append(f"{where}.identifier: no MRN (type MR); give one with --mrn")
        name = (p.get("name") or [{}])[0]
        given = " ".join(name.get("given") or [])
        telecom = {t.get("system"): t.get("value") for t in p.get("telecom") or []}
        fields: dict[str, Any] = {
            "mrn": mrn or "",
            "given_name": given,
            "family_name": name.get("family") or "",
            "birth_date": _date(p.get("birthDate"), f"{where}.birthDate", self.problems),
            "sex": p.get("gender") or "unknown",
            "email": telecom.get("email") or "",
            "phone": telecom.get("phone") or "",
            "time_zone": extension(p, c.EXT_TIME_ZONE, "Europe/London"),
            "consent_date": _date(
                extension(p, c.EXT_CONSENT_DATE), f"{where}.consent", self.problems
            ),
            "consent_version": extension(p, c.EXT_CONSENT_VERSION, ""),
        }
        reminder = extension(p, c.EXT_REMINDER_TIME)
        if reminder:
            try:
                fields["diary_reminder_time"] = dt.time.fromisoformat(reminder)
            except ValueError:
                self.problems.append(f"{where}.diary-reminder-time: not a time, got {reminder!r}")
        if not fields["birth_date"]:
            self.problems.append(f"{where}.birthDate: required")
        return fields

    def chronic_migraine(self, fields: dict[str, Any], model_fields: set[str]) -> None:
        for _, cond in self.of_type("Condition"):
            icd = code_of(cond.get("code"), c.ICD10CM)
            if code_of(cond.get("code"), c.CONDITION) != "chronic_migraine" and not icd:
                continue
            if icd and icd[:5] in ("G43.7", "G43.E") and len(icd) == 7:
                fields["migraine_with_aura"] = icd.startswith("G43.E")
                if "intractable" in model_fields:
                    fields["intractable"] = icd[5] == "1"
                if "status_migrainosus" in model_fields:
                    fields["status_migrainosus"] = icd[6] == "1"
            fields["chronic_headache_since"] = _date(
                cond.get("onsetDateTime"), "Condition chronic_migraine.onset", self.problems
            )
            year = extension(cond, c.EXT_MIGRAINE_ONSET_YEAR)
            if isinstance(year, int):
                fields["migraine_onset_year"] = year
            return

    # History ---------------------------------------------------------------------------------

    def history(self) -> list[Any]:
        rows: list[Any] = []
        from cephalog.patients.models import ConditionCode

        for _, cond in self.of_type("Condition"):
            code = code_of(cond.get("code"), c.CONDITION)
            if code == "chronic_migraine" or code_of(cond.get("code"), c.ICD10CM):
                continue
            where = f"Condition {code}"
            if code is None:
                self.ignore("Condition")
                continue
            rows.append(
                Condition(
                    code=_choice(code, ConditionCode.values, where, self.problems),
                    noted_on=_date(cond.get("onsetDateTime"), f"{where}.onset", self.problems),
                    resolved_on=_date(
                        cond.get("abatementDateTime"), f"{where}.abatement", self.problems
                    ),
                )
            )
        for _, allergy in self.of_type("AllergyIntolerance"):
            code = code_of(allergy.get("code"), c.ALLERGY)
            if code is None:
                self.ignore("AllergyIntolerance")
                continue
            reaction = " ".join(
                m.get("text", "")
                for r in allergy.get("reaction") or []
                for m in r.get("manifestation") or []
            ).strip()
            rows.append(Allergy(code=code, reaction=reaction))
        for _, ms in self.of_type("MedicationStatement"):
            use = code_of(ms.get("category"), c.MEDICATION_USE)
            med = ms.get("medicationCodeableConcept") or {}
            period = ms.get("effectivePeriod") or {}
            where = f"MedicationStatement {med.get('text', '')}".strip()
            start = _date(period.get("start"), f"{where}.start", self.problems)
            stop = _date(period.get("end"), f"{where}.end", self.problems)
            if use == "preventive":
                outcome = code_of(extension(ms, c.EXT_PREVENTIVE_OUTCOME), c.PREVENTIVE_OUTCOME)
                rows.append(
                    Preventive(
                        name=med.get("text", ""),
                        drug_class=code_of(med, c.PREVENTIVE_CLASS) or "other",
                        dose=" ".join(d.get("text", "") for d in ms.get("dosage") or []).strip(),
                        start=start,
                        stop=stop,
                        outcome=outcome or "",
                    )
                )
            elif use == "other":
                rows.append(
                    Medication(
                        name=med.get("text", ""),
                        drug_class=code_of(med, c.MEDICATION_CLASS) or "other",
                        start=start,
                        stop=stop,
                    )
                )
            elif use == "toxin-other-indication":
                dose = ((ms.get("dosage") or [{}])[0].get("doseAndRate") or [{}])[0]
                rows.append(
                    ToxinExposure(
                        date=_need_date(
                            ms.get("effectiveDateTime"), f"{where}.effective", self.problems
                        ),
                        product=med.get("text", ""),
                        units=_int(dose.get("doseQuantity")) or 0,
                        indication=" ".join(r.get("text", "") for r in ms.get("reasonCode") or []),
                    )
                )
            else:  # the acute-medicine summaries are derived from the diary
                self.ignore("MedicationStatement")
        return rows

    # Diary -------------------------------------------------------------------------------------

    def diary(self) -> tuple[list[DiaryDay], list[AttackFacts]]:
        days: list[DiaryDay] = []
        attacks: list[AttackFacts] = []
        for _, obs in self.of_type("Observation"):
            kind = code_of(obs.get("code"), c.OBS)
            if kind == c.OBS_DIARY_DAY:
                day = self._day(obs)
                if day is not None:
                    days.append(day)
            elif kind == c.OBS_ATTACK:
                facts = self._attack(obs)
                if facts is not None:
                    attacks.append(facts)
            else:  # windows and questionnaire totals are recomputed, never read
                self.ignore("Observation")
        return days, attacks

    def _day(self, obs: Json) -> DiaryDay | None:
        date = obs.get("effectiveDateTime", "")
        data: dict[str, Any] = {"date": str(date)[:10], "acute_medications": []}
        for comp in obs.get("component") or []:
            what = code_of(comp.get("code"), c.DIARY)
            feature = code_of(comp.get("code"), c.FEATURE)
            if feature in FEATURES:
                data[feature] = comp.get("valueBoolean") is True
            elif what == c.C_HOURS:
                data["headache_hours"] = _number(comp.get("valueQuantity"))
            elif what == c.C_INTENSITY:
                data["peak_intensity"] = code_of(comp.get("valueCodeableConcept"), c.INTENSITY)
            elif what == c.C_AURA:
                data["aura_minutes"] = _int(comp.get("valueQuantity"))
            elif what == c.C_MEDICINE:
                value = comp.get("valueCodeableConcept") or {}
                data["acute_medications"].append(
                    {
                        "name": value.get("text", ""),
                        "class": code_of(value, c.ACUTE_CLASS),
                        "effective": extension(comp, c.EXT_MEDICINE_EFFECTIVE),
                    }
                )
        if data.get("headache_hours") is None:
            data.pop("headache_hours", None)
        try:
            return validate_day(data)
        except DiaryError as error:
            self.problems.extend(f"Observation diary-day {date}: {p}" for p in error.problems)
            return None

    def _attack(self, obs: Json) -> AttackFacts | None:
        period = obs.get("effectivePeriod") or {}
        where = f"Observation attack {period.get('start', '')}"
        start = _datetime(period.get("start"), f"{where}.start", self.problems)
        end = _datetime(period.get("end"), f"{where}.end", self.problems)
        intensity = code_of(obs.get("valueCodeableConcept"), c.INTENSITY)
        if start is None or end is None:
            return None
        external = next(
            (
                i.get("value", "")
                for i in obs.get("identifier") or []
                if i.get("system") == c.SID_ATTACK
            ),
            "",
        )
        return AttackFacts(
            start=start.astimezone(dt.UTC),
            end=end.astimezone(dt.UTC),
            peak_intensity=intensity,
            external_id=external,
            notes=" ".join(n.get("text", "") for n in obs.get("note") or []),
        )


def _display(resource: Json | None) -> str:
    if not resource:
        return ""
    if resource.get("resourceType") == "Practitioner":
        name = (resource.get("name") or [{}])[0]
        return (
            name.get("text") or " ".join([*name.get("given", []), name.get("family", "")]).strip()
        )
    return str(resource.get("name", ""))


# --- the write ------------------------------------------------------------------------------------


def _require_staff(by: Any, clinic: Clinic) -> None:
    if by is None or role_in(by, clinic) not in STAFF_ROLES:
        raise ImportRefused([f"by: must be a member of staff of {clinic.name}"])


@transaction.atomic
def import_bundle(
    bundle_json: str | bytes | Json,
    clinic: Clinic,
    by: Any,
    *,
    mrn: str | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Restore a patient from a cephalog bundle into `clinic`: all of it, or nothing.

    `mrn` replaces the bundle's MRN (needed when that MRN is taken in `clinic`).
    `by` must be a member of staff of `clinic`; they are recorded as the importer.
    """
    _require_staff(by, clinic)
    bundle = parse_json(bundle_json)
    problems = validation_problems(bundle)
    if problems:
        raise ImportRefused(problems)
    unresolved = unresolved_references(bundle)
    if unresolved:
        raise ImportRefused(
            [f"reference: {r} does not name an entry of the bundle" for r in unresolved[:20]]
        )
    reader = _Reader(bundle)
    model_fields = {f.name for f in Patient._meta.get_fields()}
    fields = reader.patient_fields(mrn)
    reader.chronic_migraine(fields, model_fields)
    history = reader.history()
    days, attacks = reader.diary()
    if reader.problems:
        raise ImportRefused(reader.problems)
    if Patient.objects.filter(clinic=clinic, mrn=fields["mrn"]).exists():
        raise ImportRefused(
            [
                f"Patient.identifier: MRN {fields['mrn']} is already used in {clinic.name}; "
                "import with another MRN (--mrn)"
            ]
        )
    try:
        patient = create_patient(clinic=clinic, **fields)
    except ValidationError as error:
        raise ImportRefused(_validation("Patient", error)) from None

    result = ImportResult(patient=patient, ignored=reader.ignored)
    writer = _Writer(reader, patient, by, today or patient_today(patient), result)
    writer.history(history)
    writer.diary(days, attacks)
    procedures = writer.sessions()
    writer.bridging()
    writer.questionnaires()
    checkins = writer.checkins(procedures)
    writer.adverse_events(procedures, checkins)
    if writer.problems:
        raise ImportRefused(writer.problems)
    record(
        action="import",
        category="fhir",
        patient=patient,
        user=by,
        object_ref=f"patient:{patient.pk}",
        detail={"counts": result.counts, "ignored": result.ignored},
    )
    return result


class _Writer:
    def __init__(
        self, reader: _Reader, patient: Patient, by: Any, today: dt.date, result: ImportResult
    ) -> None:
        self.r = reader
        self.patient = patient
        self.by = by
        self.today = today
        self.result = result
        self.problems: list[str] = []
        orgs = reader.of_type("Organization")
        self.source = _display(orgs[0][1]) if orgs else "another clinic"

    def count(self, key: str, n: int = 1) -> None:
        self.result.counts[key] = self.result.counts.get(key, 0) + n

    def save(self, row: Any, where: str, exclude: list[str] | None = None) -> bool:
        try:
            row.full_clean(exclude=exclude)
            with transaction.atomic():
                row.save()
        except ValidationError as error:
            self.problems.extend(_validation(where, error))
            return False
        except IntegrityError as error:
            self.problems.append(f"{where}: {error}")
            return False
        return True

    def history(self, rows: list[Any]) -> None:
        for row in rows:
            row.patient = self.patient
            name = type(row).__name__
            if self.save(row, name):
                self.count(name)

    def diary(self, days: list[DiaryDay], attacks: list[AttackFacts]) -> None:
        try:
            created, _ = save_days_bulk(
                patient=self.patient,
                days=sorted(days, key=lambda d: d.date),
                by=self.by,
                today=self.today,
                reason=IMPORT_REASON,
                source=EntrySource.IMPORT,
            )
        except DiaryError as error:
            self.problems.extend(f"Observation diary-day: {p}" for p in error.problems)
            return
        self.count("diary_days", created)
        if not attacks:
            return
        plan = plan_attacks(
            patient=self.patient,
            attacks=attacks,
            by=self.by,
            today=self.today,
            reason=IMPORT_REASON,
            source=EntrySource.IMPORT,
        )
        if plan.problems:
            self.problems.extend(f"Observation attack: {p}" for p in plan.problems)
            return
        apply_attacks(
            plan,
            patient=self.patient,
            by=self.by,
            today=self.today,
            reason=IMPORT_REASON,
            source=EntrySource.IMPORT,
        )
        self.count("attacks", len(plan.new))

    # Sessions --------------------------------------------------------------------------------

    def sessions(self) -> dict[str, Any]:
        from cephalog.treatment.models import Session, SessionAddendum, SessionSite, Vial

        administrations: dict[str, list[Json]] = {}
        for _, ma in self.r.of_type("MedicationAdministration"):
            for part in ma.get("partOf") or []:
                administrations.setdefault(part.get("reference", ""), []).append(ma)
        out: dict[str, Any] = {}
        for url, proc in self.r.of_type("Procedure"):
            if code_of(proc.get("category"), c.PROCEDURE) == "bridging":
                continue
            if code_of(proc.get("code"), c.CPT) != c.CPT_CHEMODENERVATION:
                self.r.ignore("Procedure")
                continue
            status = {"completed": "completed", "not-done": "cancelled"}.get(proc.get("status", ""))
            if status is None:  # a session still open or planned in the source clinic
                self.r.ignore("Procedure")
                continue
            problems: list[str] = []
            period = proc.get("performedPeriod") or {}
            start_text = str(period.get("start", ""))
            where = f"Procedure {start_text[:10]}"
            date = _need_date(start_text, f"{where}.performedPeriod.start", problems)
            started = _datetime(start_text, f"{where}.start", []) if "T" in start_text else None
            end_text = str(period.get("end", ""))
            ended = _datetime(end_text, f"{where}.end", []) if "T" in end_text else None
            session = Session(
                patient=self.patient,
                date=date,
                status=status,
                protocol=extension(proc, c.EXT_PROTOCOL, dosing.PREEMPT_155.name),
                total_units=_int(extension(proc, c.EXT_UNITS_GIVEN)) or 0,
                sites_injected=extension(proc, c.EXT_SITES_INJECTED, 0),
                units_opened=_int(extension(proc, c.EXT_UNITS_OPENED)) or 0,
                units_discarded=_int(extension(proc, c.EXT_UNITS_DISCARDED)) or 0,
                started_at=started,
                ended_at=ended,
                topical_anaesthetic=code_of(extension(proc, c.EXT_TOPICAL), c.TOPICAL) or "",
                immediate_reactions="\n".join(
                    x.get("text", "") for x in proc.get("complication") or []
                ),
                notes="\n".join(
                    n.get("text", "") for n in proc.get("note") or [] if "time" not in n
                ),
            )
            self.problems.extend(problems)
            if problems or not self.save(session, where):
                continue
            out[url] = session
            self.count("sessions")
            for vial_ref in proc.get("usedReference") or []:
                vial = self.r.resolve(vial_ref)
                if vial and vial.get("resourceType") == "Medication":
                    self._vial(session, vial, where, Vial)
            for ma in administrations.get(url, []):
                self._site(session, ma, where, SessionSite)
            addendum = SessionAddendum(session=session, author=self.by, text=self._provenance(proc))
            self.save(addendum, f"{where} provenance")
        return out

    def _vial(self, session: Any, med: Json, where: str, model: Any) -> None:
        batch = med.get("batch") or {}
        problems: list[str] = []
        reconstituted = _datetime(
            extension(med, c.EXT_RECONSTITUTED_AT), f"{where} vial.reconstituted", problems
        )
        try:
            diluent = Decimal(str(_number(extension(med, c.EXT_DILUENT)) or 0))
        except InvalidOperation:
            diluent = Decimal(0)
        vial = model(
            session=session,
            product=(med.get("code") or {}).get("text") or dosing.PRODUCT,
            lot=batch.get("lotNumber", ""),
            expiry=_date(batch.get("expirationDate"), f"{where} vial.expiry", problems),
            size_units=_int((med.get("amount") or {}).get("numerator")) or 0,
            diluent_ml=diluent,
            reconstituted_at=reconstituted,
        )
        self.problems.extend(problems)
        if not problems and self.save(vial, f"{where} vial {vial.lot}"):
            self.count("vials")

    def _site(self, session: Any, ma: Json, where: str, model: Any) -> None:
        dosage = ma.get("dosage") or {}
        code = code_of(dosage.get("site"), c.SITE)
        if code is None:  # a session recorded as totals only
            return
        site = dosing.get_site(code)
        if site is None:
            self.problems.append(f"{where} site: unknown injection site {code!r}")
            return
        done = ma.get("status") == "completed"
        status = code_of(ma.get("category"), c.cs("site-status")) or (
            ("added" if site.follow_the_pain else "done") if done else "skipped"
        )
        row = model(
            session=session,
            code=code,
            muscle=site.muscle.value,
            side=site.side.value,
            status=status,
            units=_int(dosage.get("dose")) or 0 if done else 0,
            skip_reason=""
            if done
            else " ".join(r.get("text", "") for r in ma.get("statusReason") or []),
        )
        if self.save(row, f"{where} site {code}"):
            self.count("session_sites")

    def _provenance(self, proc: Json) -> str:
        lines = [f"{IMPORT_REASON} from {self.source} on {self.today.isoformat()}."]
        for performer in proc.get("performer") or []:
            role = code_of(performer.get("function"), c.PERFORMER_FUNCTION)
            name = _display(self.r.resolve(performer.get("actor")))
            if name:
                lines.append(f"{'Signed by' if role == 'signer' else 'Injector'}: {name}.")
        for note in proc.get("note") or []:
            if "time" in note:
                author = _display(self.r.resolve(note.get("authorReference")))
                lines.append(
                    f"Addendum ({author or 'unknown author'}, {note['time'][:16]}): {note.get('text', '')}"
                )
        return "\n".join(lines)

    def bridging(self) -> None:
        if not apps.is_installed("cephalog.outcomes"):
            return
        from cephalog.outcomes.models import BridgingKind, BridgingTreatment

        for _, proc in self.r.of_type("Procedure"):
            if code_of(proc.get("category"), c.PROCEDURE) != "bridging":
                continue
            where = "Procedure bridging"
            problems: list[str] = []
            row = BridgingTreatment(
                patient=self.patient,
                date=_need_date(proc.get("performedDateTime"), f"{where}.performed", problems),
                kind=_choice(
                    code_of(proc.get("code"), c.BRIDGING), BridgingKind.values, where, problems
                ),
                notes="\n".join(n.get("text", "") for n in proc.get("note") or []),
                recorded_by=self.by,
            )
            self.problems.extend(problems)
            if not problems and self.save(row, where):
                self.count("bridging_treatments")

    # Questionnaires and check-ins ----------------------------------------------------------------

    def questionnaires(self) -> None:
        if not apps.is_installed("cephalog.outcomes"):
            return
        from cephalog.outcomes.actions import score
        from cephalog.outcomes.models import QuestionnaireResponse

        for _, qr in self.r.of_type("QuestionnaireResponse"):
            instrument = str(qr.get("questionnaire", "")).removeprefix(c.questionnaire(""))
            if instrument not in ("hit6", "midas"):
                continue
            where = f"QuestionnaireResponse {instrument} {qr.get('authored', '')}"
            problems: list[str] = []
            items = {
                i.get("linkId"): _answer_value((i.get("answer") or [{}])[0])
                for i in qr.get("item") or []
            }
            try:
                total, band, kept = score(instrument, items)
            except ValidationError as error:
                self.problems.extend(_validation(where, error))
                continue
            source = extension(qr, c.EXT_RESPONSE_SOURCE, "patient")
            row = QuestionnaireResponse(
                patient=self.patient,
                instrument=instrument,
                completed_on=_need_date(qr.get("authored"), f"{where}.authored", problems),
                items=kept,
                total=total,
                band=band,
                source=source,
                entered_by=self.by if source == "staff" else None,
            )
            self.problems.extend(problems)
            # entered_by is null for a patient's own response (null=True, blank=False).
            if not problems and self.save(row, where, exclude=["entered_by"]):
                self.count("questionnaires")

    def checkins(self, procedures: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not apps.is_installed("cephalog.safety"):
            return out
        from cephalog.safety.models import CheckIn

        for url, qr in self.r.of_type("QuestionnaireResponse"):
            kind = str(qr.get("questionnaire", "")).removeprefix(c.questionnaire("checkin-"))
            if not str(qr.get("questionnaire", "")).startswith(c.questionnaire("checkin-")):
                continue
            where = f"QuestionnaireResponse check-in {qr.get('authored', '')}"
            problems: list[str] = []
            answers: dict[str, Any] = {"symptoms": [], "note": "", "assumed": []}
            no_problems = False
            triage = ""
            guidance: list[str] = []
            for item in qr.get("item") or []:
                link, values = (
                    item.get("linkId"),
                    [_answer_value(a) for a in item.get("answer") or []],
                )
                if link == "no-problems":
                    no_problems = bool(values and values[0])
                elif link == "reported-symptom":
                    parts = {
                        p.get("linkId"): _answer_value((p.get("answer") or [{}])[0])
                        for p in item.get("item") or []
                    }
                    answers["symptoms"].append(
                        {
                            "symptom": parts.get("symptom"),
                            "onset": parts.get("onset"),
                            "severity": parts.get("severity"),
                            "still_present": parts.get("still-present"),
                            "resolved_on": parts.get("resolved-on"),
                        }
                    )
                elif link == "note":
                    answers["note"] = values[0] if values else ""
                elif link == "assumed":
                    answers["assumed"] = [str(v) for v in values]
                elif link == "triage-level":
                    triage = str(values[0]) if values else ""
                elif link == "guidance":
                    guidance = [str(v) for v in values]
            procedure = next(
                (
                    procedures[p["reference"]]
                    for p in qr.get("partOf") or []
                    if p.get("reference") in procedures
                ),
                None,
            )
            row = CheckIn(
                patient=self.patient,
                session=procedure,
                kind=kind,
                submitted_at=_need_datetime(qr.get("authored"), f"{where}.authored", problems),
                no_problems=no_problems,
                answers=answers,
                triage_level=triage,
                guidance=guidance,
            )
            self.problems.extend(problems)
            if not problems and self.save(row, where):
                out[url] = row
                self.count("checkins")
        return out

    # Adverse events ---------------------------------------------------------------------------------

    def adverse_events(self, procedures: dict[str, Any], checkins: dict[str, Any]) -> None:
        if not apps.is_installed("cephalog.safety"):
            return
        from cephalog.safety.models import SYMPTOM_CHOICES, AdverseEvent

        symptoms = [s for s, _ in SYMPTOM_CHOICES]
        for _, ae in self.r.of_type("AdverseEvent"):
            symptom = code_of(ae.get("event"), c.SYMPTOM)
            where = f"AdverseEvent {symptom} {ae.get('date', '')}"
            problems: list[str] = []
            session = next(
                (
                    procedures[s["instance"]["reference"]]
                    for s in ae.get("suspectEntity") or []
                    if (s.get("instance") or {}).get("reference") in procedures
                ),
                None,
            )
            relatedness = next(
                (
                    code_of(causality.get("assessment"), c.RELATEDNESS)
                    for s in ae.get("suspectEntity") or []
                    for causality in s.get("causality") or []
                ),
                None,
            )
            checkin_ref = extension(ae, c.EXT_CHECKIN)
            outcome = _AE_OUTCOMES_BACK.get(code_of(ae.get("outcome"), c.AE_OUTCOME) or "unknown")
            row = AdverseEvent(
                patient=self.patient,
                session=session,
                symptom=_choice(symptom, symptoms, where, problems),
                onset=_need_date(ae.get("date"), f"{where}.date", problems),
                severity=code_of(ae.get("severity"), c.AE_SEVERITY) or "not_stated",
                serious=code_of(ae.get("seriousness"), c.AE_SERIOUSNESS) == "serious",
                red_flag=extension(ae, c.EXT_RED_FLAG, False) is True,
                resolved_on=_date(extension(ae, c.EXT_RESOLVED_ON), f"{where}.resolved", problems),
                checkin=checkins.get((checkin_ref or {}).get("reference", "")),
                source=extension(ae, c.EXT_REPORT_SOURCE, "imported"),
                description=extension(ae, c.EXT_DESCRIPTION, ""),
                seriousness=[
                    code_of(v, c.SERIOUSNESS_CRITERION)
                    for v in extensions(ae, c.EXT_SERIOUSNESS_CRITERION)
                ],
                relatedness=relatedness or "",
                outcome=outcome or "unknown",
                region=code_of(extension(ae, c.EXT_REGION), c.MUSCLE) or "",
                site_codes=[code_of(v, c.SITE) for v in extensions(ae, c.EXT_SITE)],
                actions=extension(ae, c.EXT_CLINIC_ACTIONS, ""),
                avoid_sites=[code_of(v, c.SITE) for v in extensions(ae, c.EXT_AVOID_SITE)],
                relevant_tests=extension(ae, c.EXT_RELEVANT_TESTS, ""),
                relevant_history=extension(ae, c.EXT_RELEVANT_HISTORY, ""),
            )
            self.problems.extend(problems)
            if problems or not self.save(row, where):
                continue
            self.count("adverse_events")
            recorded = _datetime(ae.get("recordedDate"), f"{where}.recordedDate", [])
            if recorded is not None:
                # reported_at is auto_now_add: keep the source's time, not the import's.
                AdverseEvent.objects.filter(pk=row.pk).update(reported_at=recorded)


def _answer_value(answer: Json) -> Any:
    for key, value in answer.items():
        if key == "valueCoding":
            return value.get("code")
        if key.startswith("value"):
            return value
    return None
