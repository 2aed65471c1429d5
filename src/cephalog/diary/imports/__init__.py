"""Importing diary files (issue 3, part 6): cephalog's own CSV (days or attacks) and
Migraine Buddy's CSV export.

Every row is read and checked first; problems are reported as `line N: field:
message` (the header is line 1). If there is any problem nothing is stored;
otherwise the whole file is written in one transaction through the diary
actions, with source "import". Importing the same file again changes nothing
(days equal to the stored ones are counted as unchanged, attacks are matched by
their id or start).

Who may import what (see docs/adr/0004-diary-imports.md): clinic staff (physician,
nurse) may import any past date, the import being the reason recorded with each
revision; a patient may import only the dates their own diary form accepts (today
and the clinic's backfill window), so an import cannot be used to rewrite a
locked diary. Dates in the future are refused for everyone.

Files are never logged or echoed: problems quote at most one short cell.

The package: `result` (what an import reports, shared steps), `days` and `attacks`.
"""

from __future__ import annotations

from cephalog.diary.imports.attacks import (
    import_attacks_csv,
    import_migraine_buddy_csv,
)
from cephalog.diary.imports.days import (
    import_cephalog_csv,
    import_days_csv,
)
from cephalog.diary.imports.result import (
    ATTACKS,
    DAYS,
    MAX_UPLOAD_BYTES,
    MIGRAINE_BUDDY,
    ImportOptions,
    ImportResult,
    read_upload,
)

__all__ = [
    "ATTACKS",
    "DAYS",
    "ImportOptions",
    "ImportResult",
    "MAX_UPLOAD_BYTES",
    "MIGRAINE_BUDDY",
    "import_attacks_csv",
    "import_cephalog_csv",
    "import_days_csv",
    "import_migraine_buddy_csv",
    "read_upload",
]
