"""Diary pages: the patient's own (under /me/, phone first) and the clinic's view of a
patient's diary. Decorators load and check; `actions` write; `queries`/`summaries` read;
every read of diary data leaves an audit row.

The package: `patient`, `day_form`, `offline` and `sync` (the patient's pages), `clinic`
(the clinic's), and `common`.
"""

from __future__ import annotations

from cephalog.diary.views.clinic import (
    clinic_day,
    clinic_diary,
)
from cephalog.diary.views.common import (
    HtmxRequest,
    conflict_message,
)
from cephalog.diary.views.day_form import (
    day,
)
from cephalog.diary.views.offline import (
    SHELL_STATIC,
    offline_day,
    service_worker,
)
from cephalog.diary.views.patient import (
    calendar_page,
    home,
    no_headache,
    settings_page,
)
from cephalog.diary.views.sync import (
    is_sync,
)

__all__ = [
    "HtmxRequest",
    "SHELL_STATIC",
    "calendar_page",
    "clinic_day",
    "clinic_diary",
    "conflict_message",
    "day",
    "home",
    "is_sync",
    "no_headache",
    "offline_day",
    "service_worker",
    "settings_page",
]
