"""All writes to clinics, users and roles.

The package: `logins` (clinics, logins, roles), `colleagues` (invitations,
accounts, clinic settings), `roles` (role changes), `emails` (a new sign-in address,
confirmed from its mailbox) and `common`.
"""

from __future__ import annotations

from cephalog.accounts.actions.colleagues import (
    CLINIC_SETTINGS,
    invite_colleague,
    resend_invitation,
    set_account_active,
    update_clinic_settings,
)
from cephalog.accounts.actions.common import (
    staff_invitation_link,
)
from cephalog.accounts.actions.emails import (
    LinkProblem,
    cancel_email_change,
    confirm_email_change,
    request_email_change,
    resend_email_change,
)
from cephalog.accounts.actions.logins import (
    change_email,
    change_password,
    create_clinic,
    create_staff,
    grant_role,
)
from cephalog.accounts.actions.roles import (
    decide_role_change,
    request_role_change,
)

__all__ = [
    "CLINIC_SETTINGS",
    "LinkProblem",
    "cancel_email_change",
    "change_email",
    "change_password",
    "confirm_email_change",
    "create_clinic",
    "create_staff",
    "decide_role_change",
    "grant_role",
    "invite_colleague",
    "request_email_change",
    "request_role_change",
    "resend_email_change",
    "resend_invitation",
    "set_account_active",
    "staff_invitation_link",
    "update_clinic_settings",
]
