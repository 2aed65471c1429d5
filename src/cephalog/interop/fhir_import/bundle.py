"""The bundle as a whole: validating it, and resolving the references between its entries
(FHIR R4 Bundle, "Resolving references in Bundles")."""

from __future__ import annotations

import json
import re
import urllib.parse

from cephalog.interop import codes as c
from cephalog.interop.fhir import Json, entry_problem, references
from cephalog.interop.fhir.checks import _first_error

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
