"""Comparing two bundles of the same record ("equivalent resources", issue 8 part 3)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

#: Resources that name the source clinic and its staff: they do not exist in the clinic a
#: patient is imported into, so they (and references to them) are left out of comparisons.
PROVENANCE_TYPES = frozenset({"Organization", "Practitioner"})


def _without_refs(node: Any, provenance: set[str]) -> Any:
    """Without ids, references, and elements that point at provenance resources."""
    if isinstance(node, dict):
        return {
            k: _without_refs(v, provenance)
            for k, v in node.items()
            if k not in ("id", "reference")
            and not (isinstance(v, dict) and v.get("reference") in provenance)
        }
    if isinstance(node, list):
        return [_without_refs(v, provenance) for v in node]
    return node


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _normalise_resource(resource: dict[str, Any]) -> dict[str, Any]:
    r = dict(resource)  # only top-level keys are replaced below
    kind = r["resourceType"]
    r.pop("managingOrganization", None)
    if kind == "Patient":
        # The MRN's system names the clinic; the value must survive.
        r["identifier"] = [{"value": i["value"]} for i in r.get("identifier", [])]
    if kind == "Appointment":
        r.pop("identifier", None)  # calendar UIDs are new in the new clinic
    if kind in ("Procedure", "MedicationAdministration"):
        r.pop("performer", None)
    if kind == "Procedure":
        # Addenda are written by people of the source clinic; the import keeps them (and
        # who injected) in one provenance addendum instead.
        notes = [n for n in r.get("note", []) if "time" not in n]
        if notes:
            r["note"] = notes
        else:
            r.pop("note", None)
    if kind == "QuestionnaireResponse":
        r.pop("author", None)
    return r


def comparable(bundle: dict[str, Any]) -> list[tuple[str, Any]]:
    """The bundle's resources without ids, provenance and Bundle metadata, references
    replaced by a digest of what they point at, sorted: equal lists = equivalent records."""
    provenance = {
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] in PROVENANCE_TYPES
    }
    entries = [e for e in bundle["entry"] if e["fullUrl"] not in provenance]
    keys: dict[str, str] = {}
    seen: dict[str, int] = {}
    normalised = {e["fullUrl"]: _normalise_resource(e["resource"]) for e in entries}
    for url, resource in normalised.items():
        base = f"{resource['resourceType']}:{_digest(_without_refs(resource, provenance))}"
        seen[base] = seen.get(base, 0) + 1
        keys[url] = f"{base}#{seen[base]}"

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k in ("id", "fullUrl"):
                    continue
                if isinstance(v, dict) and v.get("reference") in provenance:
                    continue  # e.g. an AdverseEvent's recorder: staff of the source clinic
                if k == "reference" and isinstance(v, str):
                    out[k] = keys[v]
                else:
                    out[k] = rewrite(v)
            return out
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    out = [(keys[url], rewrite(resource)) for url, resource in normalised.items()]
    return sorted(out, key=lambda kv: kv[0])


def provenance_addenda(bundle: dict[str, Any]) -> list[str]:
    return [
        n["text"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Procedure"
        for n in e["resource"].get("note", [])
        if n.get("text", "").startswith("Imported from")
    ]


def differences(first: dict[str, Any], second: dict[str, Any], limit: int = 5) -> list[str]:
    """Readable differences between two bundles' comparable resources (for failing asserts)."""
    import difflib

    a, b = dict(comparable(first)), dict(comparable(second))
    only_a = [k for k in a if k not in b]
    only_b = [k for k in b if k not in a]
    out = []
    for key in only_a[:limit]:
        kind = key.split(":")[0]
        match = next((k for k in only_b if k.startswith(kind + ":")), None)
        left = json.dumps(a[key], indent=1, sort_keys=True).splitlines()
        right = json.dumps(b[match], indent=1, sort_keys=True).splitlines() if match else []
        out.append("\n".join(difflib.unified_diff(left, right, key, str(match), lineterm="", n=2)))
    if len(only_b) > len(only_a):
        out.append(f"{len(only_b) - len(only_a)} more resources after the round trip")
    return out
