"""All writes to treatment sessions. The rules are the domain's (cephalog.domain.dosing).

Who may do what (checked here as well as in the views, so the API and
commands get the same answers):

- physicians and nurses of the patient's clinic start a session, answer
  the point-of-care checks, record sites and vials, and add addenda;
- only a physician completes and signs a session (signing locks it);
- clinic admins only read (the billing lines are theirs to use);
- the injector is a physician or nurse of the clinic.

A completed session is locked: nothing on it changes again; corrections
are addenda. Every action is atomic, validates with full_clean() and writes
an audit row in the same transaction.

The package: `common` (the refusal and its plain words), `checks` (the safety check before
a session), `start`, `recording` (sites and vials), `completion` (sign and lock, addenda,
cancellation), `clinic` (injector training, aftercare) and `protocols` (protocol templates).
"""

from __future__ import annotations

from cephalog.core.time import clinic_now
from cephalog.domain import dosing, point_of_care
from cephalog.treatment import queries
from cephalog.treatment.actions.checks import (
    continuation_rule,
    needs_supervision,
    record_check,
    sign_off_flag,
)
from cephalog.treatment.actions.clinic import (
    AFTERCARE_TEXT_MAX,
    record_injector_training,
    reset_aftercare,
    save_aftercare,
)
from cephalog.treatment.actions.common import (
    CLINICAL,
    SRC_ELIGIBILITY,
    SRC_SUPERVISION,
    SessionError,
    plain,
    rule_dict,
)
from cephalog.treatment.actions.completion import add_addendum, cancel_session, complete_session
from cephalog.treatment.actions.protocols import (
    PROTOCOL_EDITORS,
    create_protocol_template,
    set_protocol_template_active,
    update_protocol_template,
)
from cephalog.treatment.actions.recording import add_vial, record_sites, remove_vial
from cephalog.treatment.actions.start import start_session

__all__ = [
    "AFTERCARE_TEXT_MAX",
    "CLINICAL",
    "PROTOCOL_EDITORS",
    "SRC_ELIGIBILITY",
    "SRC_SUPERVISION",
    "SessionError",
    "add_addendum",
    "add_vial",
    "cancel_session",
    "clinic_now",
    "complete_session",
    "continuation_rule",
    "create_protocol_template",
    "dosing",
    "needs_supervision",
    "plain",
    "point_of_care",
    "queries",
    "record_check",
    "record_injector_training",
    "record_sites",
    "remove_vial",
    "reset_aftercare",
    "rule_dict",
    "save_aftercare",
    "set_protocol_template_active",
    "sign_off_flag",
    "start_session",
    "update_protocol_template",
]
