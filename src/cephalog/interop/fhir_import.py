"""Importing a FHIR R4 bundle into a clinic: the patient, diary, sessions and events.

Bundles from cephalog restore a whole record; bundles from other systems (a
Synthea patient bundle, an International Patient Summary document, ...) import
their Patient and whatever cephalog's terms cover, and every other entry is
listed as not imported with its type and why (`ImportResult.not_imported`).
References are resolved by the rules for bundles (FHIR R4 Bundle, "Resolving
references in Bundles"): absolute URLs and `urn:uuid:`/`urn:oid:` against the
entries' fullUrl, a relative `Type/id` against the base of the referring entry's
fullUrl (or the entry of that type and id), and a conditional reference
(`Patient?identifier=system|value`) to the one entry it matches. Partial dates
(`2015`, `2015-03`) are read as their first day, and each is listed
(`ImportResult.adjusted`). No input gives a traceback: JSON nested more than
`MAX_DEPTH` levels is refused before it is read.

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

import contextvars
import datetime as dt
import json
import re
import urllib.parse
from collections import Counter
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
    _first_error,
    entry_problem,
    references,
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
#: The longest diary note (DiaryEntry.notes).
MAX_DAY_NOTE = 2000
#: Deepest JSON nesting read (a cephalog bundle is about 12 deep; FHIR's deepest is ~20).
MAX_DEPTH = safe_json.MAX_DEPTH
#: Resource types cephalog reads; an invalid one of these refuses the bundle when it is
#: cephalog's own (coded in its terms) or the Patient; other invalid entries are listed.
READ_TYPES = frozenset(
    {
        "Patient",
        "Condition",
        "AllergyIntolerance",
        "MedicationStatement",
        "Observation",
        "Procedure",
        "MedicationAdministration",
        "Medication",
        "QuestionnaireResponse",
        "AdverseEvent",
        "Organization",
        "Practitioner",
    }
)
#: Why an entry of a type cephalog never reads is not imported.
TYPE_REASONS = {
    "Encounter": "visits are not stored by cephalog",
    "Claim": "billing records are not stored by cephalog",
    "ExplanationOfBenefit": "billing records are not stored by cephalog",
    "Coverage": "insurance records are not stored by cephalog",
    "Composition": "the document's header; its sections' entries are listed separately",
    "Provenance": "provenance of the source system is not stored",
    "Organization": "not named by any imported record",
    "Practitioner": "not named by any imported record",
    "PractitionerRole": "not named by any imported record",
    "Location": "not stored by cephalog",
    "Medication": "not a vial of an imported session",
}
#: Why an entry of a type cephalog reads was left out (set by the reader).
_ADJUSTED: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "fhir_import_adjusted", default=None
)

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
    #: Entries imported and not imported, by resource type; why, per type and reason.
    imported: dict[str, int] = field(default_factory=dict)
    not_imported: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Values read with less precision than stored (partial dates), one line each.
    adjusted: list[str] = field(default_factory=list)

    def table(self) -> list[tuple[str, int, int, list[str]]]:
        """(type, imported, not imported, reasons) for every type in the bundle."""
        kinds = sorted(set(self.imported) | set(self.not_imported))
        return [
            (
                kind,
                self.imported.get(kind, 0),
                self.not_imported.get(kind, 0),
                [f"{why} ({n})" for why, n in sorted(self.reasons.get(kind, {}).items())],
            )
            for kind in kinds
        ]


# --- reading helpers ------------------------------------------------------------------------


def parse_json(raw: str | bytes | Json) -> Json:
    """The bundle as JSON; refused (never a traceback) when too large, not JSON, not an
    object or nested deeper than `MAX_DEPTH` (the shared depth-limited loader)."""
    deep = [f"bundle: nested more than {MAX_DEPTH} levels deep"]
    if isinstance(raw, dict):
        if safe_json.depth(raw) > MAX_DEPTH:
            raise ImportRefused(deep)
        return raw
    if len(raw) > MAX_BUNDLE_BYTES:
        raise ImportRefused([f"bundle: larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MB"])
    try:
        data = safe_json.loads(raw, max_depth=MAX_DEPTH)
    except safe_json.NestedTooDeep:
        raise ImportRefused(deep) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ImportRefused([f"bundle: not valid JSON ({str(error)[:200]})"]) from None
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


_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")


def _date(value: Any, where: str, problems: list[str]) -> dt.date | None:
    """A FHIR date (or the date of a dateTime). A partial date, `2015` or `2015-03`, as
    FHIR allows, is read as its first day and listed (`ImportResult.adjusted`)."""
    if value in (None, ""):
        return None
    text = str(value)
    partial = _PARTIAL_DATE.fullmatch(text)
    try:
        if partial:
            year, month = int(partial.group(1)), int(partial.group(2) or 1)
            date = dt.date(year, month, 1)
            adjusted = _ADJUSTED.get()
            if adjusted is not None:
                adjusted.append(f"{where}: {text} (a partial date) stored as {date.isoformat()}")
            return date
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        problems.append(f"{where}: not a date, got {str(value)[:40]!r}")
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


_RESTFUL = re.compile(
    r"(?P<base>.*/)?(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?"
)


def _identifiers(resource: Json) -> list[tuple[str, str]]:
    out = []
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict):
            out.append((str(identifier.get("system", "")), str(identifier.get("value", ""))))
    return out


class BundleIndex:
    """The entries of a bundle and the FHIR rules for resolving references in it."""

    def __init__(self, entries: list[tuple[str, Json]]) -> None:
        self.entries = entries
        self.by_url: dict[str, Json] = {}
        self.url_of: dict[int, str] = {}
        self.by_type_id: dict[tuple[str, str], list[Json]] = {}
        self.by_type: dict[str, list[Json]] = {}
        for url, resource in entries:
            kind = resource["resourceType"]
            self.by_url.setdefault(url, resource)
            self.url_of[id(resource)] = url
            self.by_type.setdefault(kind, []).append(resource)
            if isinstance(resource.get("id"), str):
                self.by_type_id.setdefault((kind, resource["id"]), []).append(resource)

    def resolve(self, reference: str, source_url: str = "") -> Json | None:
        """The entry `reference` names from the entry at `source_url`, or None."""
        if not isinstance(reference, str) or not reference:
            return None
        if reference in self.by_url:
            return self.by_url[reference]
        if reference.startswith(("urn:uuid:", "urn:oid:", "#")):
            return None
        if "?" in reference and not reference.startswith(("http://", "https://")):
            return self._conditional(reference)
        match = _RESTFUL.fullmatch(reference)
        if match is None:
            return None
        if reference.startswith(("http://", "https://")):
            plain = f"{match.group('base') or ''}{match.group('type')}/{match.group('id')}"
            return self.by_url.get(plain)
        source = _RESTFUL.fullmatch(source_url or "")
        if source is not None and source.group("base"):
            found = self.by_url.get(f"{source.group('base')}{reference.split('/_history')[0]}")
            if found is not None:
                return found
        same = self.by_type_id.get((match.group("type"), match.group("id"))) or []
        return same[0] if len(same) == 1 else None

    def _conditional(self, reference: str) -> Json | None:
        """`Type?identifier=system|value`: the one entry of that type it matches."""
        kind, _, query = reference.partition("?")
        try:
            params = urllib.parse.parse_qsl(query, strict_parsing=True)
        except ValueError:
            return None
        found = list(self.by_type.get(kind, []))
        for name, value in params:
            if name != "identifier":
                return None  # only identifier searches can be answered inside a bundle
            system, bar, code = value.rpartition("|")
            found = [
                r
                for r in found
                if any(v == code and (not bar or s == system) for s, v in _identifiers(r))
            ]
        return found[0] if len(found) == 1 else None

    def unresolved(self, resource: Json, source_url: str) -> list[str]:
        """The references of `resource` that name no entry (contained `#id` ones aside)."""
        return [
            reference
            for reference in references(resource)
            if not reference.startswith("#") and self.resolve(reference, source_url) is None
        ]


class _Reader:
    """Turns the bundle into unsaved rows (and problems) before anything is written.

    Every entry is accounted for: `use` marks the ones that become cephalog records;
    `leave` gives the reason one is not imported (the type's reason otherwise).
    """

    def __init__(self, bundle: Json, invalid: dict[int, str] | None = None) -> None:
        self.bundle = bundle
        self.problems: list[str] = []
        entries: list[tuple[str, Json]] = []
        self.unreadable: Counter[str] = Counter()
        for index, entry in enumerate(bundle.get("entry") or []):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            kind = resource.get("resourceType") if isinstance(resource, dict) else None
            if not isinstance(resource, dict) or not isinstance(kind, str):
                self.unreadable["(entry without a resource)"] += 1
                continue
            url = entry.get("fullUrl")
            if not isinstance(url, str) or not url:
                url = f"{kind}/{resource.get('id', index)}"
            entries.append((url, resource))
        self.index = BundleIndex(entries)
        self.invalid = invalid or {}
        self.used: set[int] = set()
        self.reasons: dict[int, str] = {}
        self.ignored: dict[str, int] = {}
        #: The diary days' notes (Observation.note), by date.
        self.day_notes: dict[dt.date, str] = {}

    def use(self, resource: Json | None) -> None:
        if resource is not None:
            self.used.add(id(resource))

    def leave(self, resource: Json, reason: str) -> None:
        self.reasons.setdefault(id(resource), reason)

    def ignore(self, kind: str, resource: Json | None = None, reason: str = "") -> None:
        self.ignored[kind] = self.ignored.get(kind, 0) + 1
        if resource is not None and reason:
            self.leave(resource, reason)

    def resolve(self, reference: Any, source: Json | None = None) -> Json | None:
        if isinstance(reference, dict):
            source_url = self.index.url_of.get(id(source), "") if source is not None else ""
            return self.index.resolve(str(reference.get("reference", "")), source_url)
        return None

    def url_of(self, reference: Any, source: Json | None = None) -> str:
        """The fullUrl of the entry `reference` names ("" when none)."""
        target = self.resolve(reference, source)
        return self.index.url_of.get(id(target), "") if target is not None else ""

    def of_type(self, kind: str) -> list[tuple[str, Json]]:
        return [
            (self.index.url_of[id(r)], r)
            for r in self.index.by_type.get(kind, [])
            if id(r) not in self.invalid
        ]

    def accounting(self) -> tuple[Counter[str], Counter[str], dict[str, Counter[str]]]:
        """(imported, not imported, reasons) by resource type, every entry counted once."""
        imported: Counter[str] = Counter()
        left: Counter[str] = Counter(self.unreadable)
        reasons: dict[str, Counter[str]] = {}
        for kind, n in self.unreadable.items():
            reasons.setdefault(kind, Counter())["not a resource"] += n
        for _, resource in self.index.entries:
            kind = resource["resourceType"]
            if id(resource) in self.used:
                imported[kind] += 1
                continue
            left[kind] += 1
            why = (
                self.invalid.get(id(resource))
                or self.reasons.get(id(resource))
                or TYPE_REASONS.get(kind)
                or f"{kind} records are not part of cephalog's record"
            )
            reasons.setdefault(kind, Counter())[why] += 1
        return imported, left, reasons

    # Patient --------------------------------------------------------------------------------

    def patient_fields(self, mrn: str | None, time_zone: str = "Europe/London") -> dict[str, Any]:
        patients = self.of_type("Patient")
        if len(patients) != 1:
            self.problems.append(
                f"Patient: the bundle must hold exactly one, found {len(patients)}"
            )
            return {}
        _, p = patients[0]
        self.use(p)
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
        names = [n for n in p.get("name") or [] if isinstance(n, dict)] or [{}]
        name = next((n for n in names if n.get("use") in ("official", "usual")), names[0])
        given = " ".join(str(g) for g in name.get("given") or [])
        if not given and not name.get("family") and name.get("text"):
            given = str(name["text"])
        telecom: dict[str, str] = {}
        for t in p.get("telecom") or []:
            if isinstance(t, dict) and t.get("value"):
                telecom.setdefault(str(t.get("system")), str(t["value"]))
        fields: dict[str, Any] = {
            "mrn": mrn or "",
            "given_name": given,
            "family_name": name.get("family") or "",
            "birth_date": _date(p.get("birthDate"), f"{where}.birthDate", self.problems),
            "sex": p.get("gender") if p.get("gender") in ("female", "male", "other") else "unknown",
            "email": telecom.get("email") or "",
            "phone": telecom.get("phone") or "",
            "time_zone": extension(p, c.EXT_TIME_ZONE, time_zone),
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
            chronic = icd is not None and icd[:5] in ("G43.7", "G43.E")
            if code_of(cond.get("code"), c.CONDITION) != "chronic_migraine" and not chronic:
                continue
            self.use(cond)
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
            if id(cond) in self.used:
                continue
            where = f"Condition {code}"
            if code is None:
                self.ignore(
                    "Condition",
                    cond,
                    "not a condition in cephalog's history list (enter it by hand if relevant)",
                )
                continue
            self.use(cond)
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
                self.ignore(
                    "AllergyIntolerance",
                    allergy,
                    "not an allergy in cephalog's list (enter it by hand if relevant)",
                )
                continue
            self.use(allergy)
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
            if use not in ("preventive", "other", "toxin-other-indication"):
                # cephalog's acute-medicine summaries are derived from the diary.
                self.ignore(
                    "MedicationStatement",
                    ms,
                    "acute medicines are counted from the diary"
                    if use
                    else "not marked as a preventive or other medicine in cephalog's terms",
                )
                continue
            self.use(ms)
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
        return rows

    # Diary -------------------------------------------------------------------------------------

    def diary(self) -> tuple[list[DiaryDay], list[AttackFacts]]:
        days: list[DiaryDay] = []
        attacks: list[AttackFacts] = []
        for _, obs in self.of_type("Observation"):
            kind = code_of(obs.get("code"), c.OBS)
            if kind == c.OBS_DIARY_DAY:
                self.use(obs)
                day = self._day(obs)
                if day is not None:
                    days.append(day)
            elif kind == c.OBS_ATTACK:
                self.use(obs)
                facts = self._attack(obs)
                if facts is not None:
                    attacks.append(facts)
            elif kind is not None:  # windows and questionnaire totals are recomputed
                self.ignore("Observation", obs, "worked out by cephalog from the diary")
            else:
                self.ignore("Observation", obs, "not a cephalog diary day or attack")
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
            day = validate_day(data)
        except DiaryError as error:
            self.problems.extend(f"Observation diary-day {date}: {p}" for p in error.problems)
            return None
        note = "\n".join(
            str(n.get("text", "")) for n in obs.get("note") or [] if isinstance(n, dict)
        ).strip()
        if len(note) > MAX_DAY_NOTE:
            self.problems.append(
                f"Observation diary-day {date}: note: at most {MAX_DAY_NOTE} characters"
            )
        elif note:
            self.day_notes[day.date] = note
        return day

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


def _validate(bundle: Json) -> tuple[list[str], dict[int, str]]:
    """(problems that refuse the bundle, why each other invalid entry is left out).

    The Bundle itself, its Patient and every entry in cephalog's own terms must be
    valid R4 (checked with fhir.resources' R4B models, as `fhir.validation_problems`);
    another system's entry that is not is listed as not imported, with the problem.
    """
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    if bundle.get("resourceType") != "Bundle":
        return ["resourceType: must be Bundle"], {}
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        return ["entry: must be a list"], {}
    problems: list[str] = []
    shell = {k: v for k, v in bundle.items() if k != "entry"}
    if entries:
        shell["entry"] = [
            {k: v for k, v in e.items() if k != "resource"} if isinstance(e, dict) else e
            for e in entries
        ]
    try:
        get_fhir_model_class("Bundle").model_validate(shell)
    except ValidationError as error:
        problems.append(f"Bundle: {_first_error(error)}")
    invalid: dict[int, str] = {}
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(resource, dict) or not isinstance(kind, str):
            continue  # counted as an entry without a resource
        problem = entry_problem(kind, resource, seen)
        if problem is None:
            continue
        if kind == "Patient" or (kind in READ_TYPES and c.BASE in json.dumps(resource)):
            problems.append(f"entry[{i}] {kind}: {problem}")
            if len(problems) >= 20:
                problems.append("… more problems not shown")
                break
        else:
            invalid[id(resource)] = f"not valid FHIR R4 ({problem[:160]})"
    return problems, invalid


@transaction.atomic
def import_bundle(
    bundle_json: str | bytes | Json,
    clinic: Clinic,
    by: Any,
    *,
    mrn: str | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Import a patient from a FHIR R4 bundle into `clinic`: all of it, or nothing.

    `mrn` gives the patient's MRN when the bundle has none of type MR, or replaces it
    (needed when that MRN is taken in `clinic`). `by` must be a member of staff of
    `clinic`; they are recorded as the importer. Every entry is accounted for in the
    result (`imported`, `not_imported`, `reasons`). Any input that is not a bundle
    cephalog can read is refused with `ImportRefused`, never a traceback.
    """
    _require_staff(by, clinic)
    bundle = parse_json(bundle_json)
    adjusted: list[str] = []
    token = _ADJUSTED.set(adjusted)
    try:
        result = _import(bundle, clinic, by, mrn=mrn, today=today)
    except ImportRefused:
        raise
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError) as error:
        # A value in a shape FHIR does not give it (a list where an object goes, ...)
        # that the validator let through: refused like any other problem.
        raise ImportRefused(
            [f"bundle: a value is not in the shape FHIR R4 gives it ({type(error).__name__})"]
        ) from None
    finally:
        _ADJUSTED.reset(token)
    result.adjusted = adjusted
    return result


def _import(
    bundle: Json, clinic: Clinic, by: Any, *, mrn: str | None, today: dt.date | None
) -> ImportResult:
    problems, invalid = _validate(bundle)
    if problems:
        raise ImportRefused(problems)
    reader = _Reader(bundle, invalid)
    model_fields = {f.name for f in Patient._meta.get_fields()}
    fields = reader.patient_fields(mrn, clinic.time_zone)
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
    if procedures:
        orgs = reader.of_type("Organization")
        reader.use(orgs[0][1] if orgs else None)  # named in each session's provenance
    writer.bridging()
    writer.questionnaires()
    checkins = writer.checkins(procedures)
    writer.adverse_events(procedures, checkins)
    # A record cephalog imports must not point at something the bundle lacks.
    for url, resource in reader.index.entries:
        if id(resource) in reader.used:
            writer.problems.extend(
                f"reference: {r} does not name an entry of the bundle"
                for r in reader.index.unresolved(resource, url)[:20]
            )
    if writer.problems:
        raise ImportRefused(writer.problems)
    imported, left, reasons = reader.accounting()
    result.imported = dict(sorted(imported.items()))
    result.not_imported = dict(sorted(left.items()))
    result.reasons = {k: dict(v) for k, v in sorted(reasons.items())}
    record(
        action="import",
        category="fhir",
        patient=patient,
        user=by,
        object_ref=f"patient:{patient.pk}",
        detail={
            "counts": result.counts,
            "imported": result.imported,
            "not_imported": result.not_imported,
        },
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
                notes=self.r.day_notes,
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
                administrations.setdefault(self.r.url_of(part, ma), []).append(ma)
            self.r.leave(ma, "not part of an imported onabotulinumtoxinA session")
        out: dict[str, Any] = {}
        for url, proc in self.r.of_type("Procedure"):
            if code_of(proc.get("category"), c.PROCEDURE) == "bridging":
                continue
            if code_of(proc.get("code"), c.CPT) != c.CPT_CHEMODENERVATION:
                self.r.ignore("Procedure", proc, "not an onabotulinumtoxinA session (CPT 64615)")
                continue
            status = {"completed": "completed", "not-done": "cancelled"}.get(proc.get("status", ""))
            if status is None:  # a session still open or planned in the source clinic
                self.r.ignore("Procedure", proc, "a session not completed in the source system")
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
            self.r.use(proc)
            self.count("sessions")
            for vial_ref in proc.get("usedReference") or []:
                vial = self.r.resolve(vial_ref, proc)
                if vial and vial.get("resourceType") == "Medication":
                    self.r.use(vial)
                    self._vial(session, vial, where, Vial)
            for ma in administrations.get(url, []):
                self.r.use(ma)
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
            actor = self.r.resolve(performer.get("actor"), proc)
            self.r.use(actor)
            name = _display(actor)
            if name:
                lines.append(f"{'Signed by' if role == 'signer' else 'Injector'}: {name}.")
        for note in proc.get("note") or []:
            if "time" in note:
                author_resource = self.r.resolve(note.get("authorReference"), proc)
                self.r.use(author_resource)
                author = _display(author_resource)
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
            self.r.use(proc)
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
                self.r.leave(qr, "not a questionnaire cephalog scores")
                continue
            self.r.use(qr)
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
            self.r.use(qr)
            procedure = next(
                (
                    procedures[self.r.url_of(p, qr)]
                    for p in qr.get("partOf") or []
                    if self.r.url_of(p, qr) in procedures
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
            self.r.use(ae)
            session = next(
                (
                    procedures[self.r.url_of(s.get("instance"), ae)]
                    for s in ae.get("suspectEntity") or []
                    if self.r.url_of(s.get("instance"), ae) in procedures
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
                checkin=checkins.get(self.r.url_of(checkin_ref, ae)),
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
