"""All writes to clinics, users and roles.

The package: `logins` (clinics, logins, roles), `colleagues` (invitations,
accounts, clinic settings), `roles` (role changes) and `common`.
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
    "change_email",
    "change_password",
    "create_clinic",
    "create_staff",
    "decide_role_change",
    "grant_role",
    "invite_colleague",
    "request_role_change",
    "resend_invitation",
    "set_account_active",
    "staff_invitation_link",
    "update_clinic_settings",
]
