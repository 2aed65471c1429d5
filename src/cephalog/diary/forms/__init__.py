"""The diary day form. The forms only read the posted values; the rules (ranges,
intensity required with a headache, the vocabularies) are the domain's, applied by
`actions.save_day`, whose messages are attached back to the fields here.

The package: `fields` (the form classes), `payload`, `problems` (messages on the fields)
and `summaries` (questions before saving, summaries after).
"""

from __future__ import annotations

from cephalog.diary.forms.fields import (
    CLASS_CHOICES,
    EFFECTIVE_CHOICES,
    EFFECTIVE_VALUES,
    FLAG_LABELS,
    INTENSITY_CHOICES,
    MAX_MEDICINES,
    MEDICINE_ROWS,
    PAIN_FLAGS,
    SYMPTOM_FLAGS,
    DayForm,
    MedicineForm,
    ReminderForm,
    StaffDayForm,
    medicine_formset,
)
from cephalog.diary.forms.payload import (
    day_payload,
    initial_from_entry,
)
from cephalog.diary.forms.problems import (
    PLAIN_WORDS,
    attach_problems,
    error_summary,
    plain,
    sentence,
)
from cephalog.diary.forms.summaries import (
    check_day,
    describe_data,
    describe_entry,
    fmt_hours,
    saved_summary,
)

__all__ = [
    "CLASS_CHOICES",
    "EFFECTIVE_CHOICES",
    "EFFECTIVE_VALUES",
    "FLAG_LABELS",
    "INTENSITY_CHOICES",
    "MAX_MEDICINES",
    "MEDICINE_ROWS",
    "PAIN_FLAGS",
    "PLAIN_WORDS",
    "SYMPTOM_FLAGS",
    "DayForm",
    "MedicineForm",
    "ReminderForm",
    "StaffDayForm",
    "attach_problems",
    "check_day",
    "day_payload",
    "describe_data",
    "describe_entry",
    "error_summary",
    "fmt_hours",
    "initial_from_entry",
    "medicine_formset",
    "plain",
    "saved_summary",
    "sentence",
]
