"""Safety pages: the patient's check-in and side-effect report (phone first), the urgent
guidance, and the clinic's alerts, register, rates and MedWatch exports.

Decorators load and check; `actions` write; `queries`/`reports` read; every read
of patient data leaves an audit row.

The package: `patient` (the patient's pages), `clinic` (the clinic's pages) and `exports`
(MedWatch and Yellow Card).
"""

from __future__ import annotations

from cephalog.safety.views.clinic import (
    FIELD_GROUPS,
    alert_detail,
    alerts,
    event_edit,
    event_new,
    patient_events,
    rates,
    register,
)
from cephalog.safety.views.exports import (
    medwatch_csv,
    medwatch_pdf,
    yellow_card_csv,
    yellow_card_pdf,
)
from cephalog.safety.views.patient import (
    checkin,
    my_reports,
    report_done,
    side_effect,
    urgent,
    urgent_response,
)

__all__ = [
    "FIELD_GROUPS",
    "alert_detail",
    "alerts",
    "checkin",
    "event_edit",
    "event_new",
    "medwatch_csv",
    "medwatch_pdf",
    "my_reports",
    "patient_events",
    "rates",
    "register",
    "report_done",
    "side_effect",
    "urgent",
    "urgent_response",
    "yellow_card_csv",
    "yellow_card_pdf",
]
