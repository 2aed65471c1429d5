"""Session pages: thin views over treatment.actions and treatment.queries.

Staff pages live under /clinic/patients/<uuid>/sessions/ so access is always
checked through the patient (accounts.access.patient_view); the session is
then looked up among that patient's sessions only. Patient pages are under /me/.

The package: `listing` (the session list, the safety check, starting a session),
`session` (the session page), `patient` (the /me/ pages), and `common`.
"""

from __future__ import annotations

from cephalog.treatment.views.listing import (
    session_check,
    session_check_add,
    session_list,
    session_sign_off,
    session_start,
)
from cephalog.treatment.views.patient import (
    care_team,
    my_sessions,
    session_aftercare,
)
from cephalog.treatment.views.session import (
    addendum_add,
    session_cancel,
    session_detail,
    session_record,
    vial_add,
    vial_remove,
)

__all__ = [
    "addendum_add",
    "care_team",
    "my_sessions",
    "session_aftercare",
    "session_cancel",
    "session_check",
    "session_check_add",
    "session_detail",
    "session_list",
    "session_record",
    "session_sign_off",
    "session_start",
    "vial_add",
    "vial_remove",
]
