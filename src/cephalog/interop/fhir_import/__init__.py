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
audit as any import); the rest through each app's `import_actions`
(`full_clean()`, an audit row per record, all-or-nothing per session),
because the treatment actions are for sessions happening now (vial expiry
and reconstitution are checked against the current time); the import's own
audit row is `cephalog.interop.actions.record_import`.

The package, by step and by resource family: `values` (reading FHIR values),
`bundle` (validation and references), `reader` (the reader and the Patient),
`history` and `diary` (reading), `writer`, `sessions` and `reports` (writing),
`importer` (`import_bundle`, the order of the steps), `result`.

What is read and what is recomputed: docs/fhir.md, "Import".
"""

from cephalog.interop.fhir_import.bundle import READ_TYPES, TYPE_REASONS, BundleIndex
from cephalog.interop.fhir_import.diary import MAX_DAY_NOTE
from cephalog.interop.fhir_import.importer import import_bundle
from cephalog.interop.fhir_import.result import (
    IMPORT_REASON,
    MAX_BUNDLE_BYTES,
    ImportRefused,
    ImportResult,
)
from cephalog.interop.fhir_import.values import (
    MAX_DEPTH,
    code_of,
    extension,
    extensions,
    parse_json,
)

__all__ = [
    "IMPORT_REASON",
    "MAX_BUNDLE_BYTES",
    "MAX_DAY_NOTE",
    "MAX_DEPTH",
    "READ_TYPES",
    "TYPE_REASONS",
    "BundleIndex",
    "ImportRefused",
    "ImportResult",
    "code_of",
    "extension",
    "extensions",
    "import_bundle",
    "parse_json",
]
