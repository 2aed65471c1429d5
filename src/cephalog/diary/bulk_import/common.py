"""Constants and the result of a bulk import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cephalog.domain.vocab import INTENSITY_CODES

#: The column naming the patient (their MRN in the clinic).
PATIENT_COLUMN = "mrn"
REQUIRED_COLUMNS = (PATIENT_COLUMN, "date", "headache_hours")
#: Problems listed in full; the rest are counted.
MAX_PROBLEMS = 50
#: Larger files are refused before they are read (a million days is about 80 MB).
MAX_FILE_BYTES = 2 * 1024**3
#: The largest aura the diary stores (a PositiveSmallIntegerField).
MAX_AURA_MINUTES = 32767

type Progress = Callable[[str], None]

#: What Python's str.strip() removes (the per-patient import strips every cell).
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
_FORMULA_START = ["=", "+", "-", "@", "\t", "\r"]
_TRUE = ["true", "yes", "1"]
_FALSE = ["false", "no", "0"]
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_EFFECTS = {"yes": True, "no": False}
#: Intensity codes in the staging table: 0 none, then INTENSITY_CODES in order.
_INTENSITIES = ("", *INTENSITY_CODES)


@dataclass
class BulkImportResult:
    """What a bulk import did, or why it stored nothing (`problems`)."""

    rows: int = 0
    patients: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    medicines: int = 0
    problems: list[str] = field(default_factory=list)
    #: Lines with at least one problem (all of them, listed or not).
    problem_lines: int = 0
    backend: str = ""
    seconds: float = 0.0
    #: Seconds per phase (read, check, store), for progress and benchmarks.
    timings: dict[str, float] = field(default_factory=dict)
    #: Columns of the file that are not imported, one line each (nothing silently).
    not_imported: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems
