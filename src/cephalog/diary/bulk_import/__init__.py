"""Bulk import of diary days for a whole clinic or registry (issue 10, part 3).

One CSV holds many patients' days: an `mrn` column naming the patient by their
MRN in the clinic, then the columns of cephalog's own days CSV
(`domain.importing.DAY_COLUMNS`; the derived columns of an export are ignored):

    mrn,date,headache_hours,peak_intensity,unilateral,...,aura_minutes,acute_medications
    MRN-1001,2026-03-02,6.5,severe,true,...,0,sumatriptan:triptan:yes

The rules are the per-patient days import's (cephalog.diary.imports,
docs/adr/0004-diary-imports.md) and so are the messages: every row is checked
before anything is stored; each problem is `line N: field: message` (the header
is line 1), the first `MAX_PROBLEMS` are listed, and any problem stores nothing.
Two rows for one patient's date, an MRN the clinic does not have, and a date
after the patient's local today are problems too. A row replaces the day it
names: a day equal to the stored one is counted as unchanged and left alone, a
changed day keeps its previous version as a `DiaryEntryRevision` and gets
version + 1, so importing the same file again changes nothing.

Who: the clinic's physicians and nurses, for its own patients only; an MRN of
another clinic is "no patient with this MRN in this clinic". Clinic admins may
export but not import (ADR 0004).

Speed (the goal is 200,000 rows/s on PostgreSQL): the rows are read and checked
column by column with Polars, one vectorised expression per rule over the whole
file and no Python loop per row; cheap exact checks come first (a column with no
whitespace is not stripped, a flag column of `true`/`false` is not lower-cased, a
file sorted by patient and date has no duplicates). Only the listed problem
lines are worded in Python, by the same code as the per-patient import. On
PostgreSQL, when no patient of the file has a stored day between their first and
last date in it (a registry's new data), the days go straight into the diary with
a binary COPY and the medicines with a second COPY; otherwise the checked rows go
into temporary staging tables with a binary COPY and are compared and stored by a
few set-based statements. Elsewhere (SQLite) with `executemany`. Either way in one
transaction.

The package, by section: `reading` (who may import, the file), `check` (the rules,
vectorised, and the problem lines' wording), `postgresql` and `generic` (the two
stores, sharing `storing`; the generic store's writes in `store_actions`), `action`
(import_diaries_csv). Import from the package.

Audit: one `import` row for the import as a whole (counts only) and one per
patient whose diary it changed (counts only), never diary contents.
"""

from django.db import connection

from cephalog.diary.actions import FLAGS
from cephalog.diary.bulk_import.action import import_diaries_csv
from cephalog.diary.bulk_import.check import Checked, check_rows
from cephalog.diary.bulk_import.common import (
    MAX_AURA_MINUTES,
    MAX_FILE_BYTES,
    MAX_PROBLEMS,
    PATIENT_COLUMN,
    REQUIRED_COLUMNS,
    BulkImportResult,
    Progress,
)
from cephalog.diary.bulk_import.postgresql import may_skip_key_triggers
from cephalog.diary.bulk_import.problems import render_problems
from cephalog.diary.bulk_import.reading import Table, check_importer, read_table

__all__ = [
    "FLAGS",
    "MAX_AURA_MINUTES",
    "MAX_FILE_BYTES",
    "MAX_PROBLEMS",
    "PATIENT_COLUMN",
    "REQUIRED_COLUMNS",
    "BulkImportResult",
    "Checked",
    "Progress",
    "Table",
    "check_importer",
    "check_rows",
    "connection",
    "import_diaries_csv",
    "may_skip_key_triggers",
    "read_table",
    "render_problems",
]
