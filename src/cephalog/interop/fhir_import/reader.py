"""Reading the bundle before anything is written: the reader, which accounts for every
entry, and the Patient (with the chronic-migraine Condition that completes it)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from cephalog.interop import codes as c
from cephalog.interop.fhir import Json
from cephalog.interop.fhir_import.bundle import TYPE_REASONS, BundleIndex
from cephalog.interop.fhir_import.values import _date, code_of, extension


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


def _display(resource: Json | None) -> str:
    if not resource:
        return ""
    if resource.get("resourceType") == "Practitioner":
        name = (resource.get("name") or [{}])[0]
        return (
            name.get("text") or " ".join([*name.get("given", []), name.get("family", "")]).strip()
        )
    return str(resource.get("name", ""))
