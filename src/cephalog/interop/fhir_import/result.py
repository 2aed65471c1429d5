"""What an import gives back: the result, or every problem that refused it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cephalog.patients.models import Patient

#: Largest bundle accepted (a patient with years of diary is about 1-2 MB).
MAX_BUNDLE_BYTES = 50 * 1024 * 1024
IMPORT_REASON = "Imported from a cephalog FHIR bundle"


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
