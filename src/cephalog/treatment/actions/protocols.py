"""The clinic's protocol templates (the Protocol templates page)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Clinic, Role
from cephalog.core.errors import AppError
from cephalog.core.writes import save_recorded, update_audited
from cephalog.domain import dosing
from cephalog.treatment.models import ProtocolTemplate

#: clinical choice within PREEMPT; the domain's rules bound it whoever writes it). Nurses
#: choose a template when starting a session but do not change them.
PROTOCOL_EDITORS = (Role.CLINIC_ADMIN, Role.PHYSICIAN)
_FTP_MUSCLES = tuple(dosing.FTP_CAPS)


def _require_editor(by: Any, clinic: Clinic) -> None:
    require_role(by, clinic, PROTOCOL_EDITORS, "keep protocol templates")


def _plain_protocol_problem(problem: str) -> tuple[str, str]:
    """`dosing.validate_protocol`'s `"max_units: must be ..."` / `"ftp_caps[temporalis]: ..."`
    as (form field, words): the field is the page's (`ftp_temporalis`)."""
    m = re.match(r"^(?:definition: )?ftp_caps\[(\w+)\]: (.+)$", problem)
    if m:
        return f"ftp_{m[1]}", m[2][0].upper() + m[2][1:] + "."
    m = re.match(r"^(?:definition: )?(max_units|max_sites|name): (.+)$", problem)
    if m:
        return m[1], m[2][0].upper() + m[2][1:] + "."
    return "", problem


def _check_template(template: ProtocolTemplate, exclude: Sequence[str] = ()) -> None:
    """Validated against the domain's dosing rules; refused field by field."""
    try:
        template.full_clean(exclude=list(exclude))
    except ValidationError as error:
        items: list[tuple[str, str]] = []
        for field, messages in error.message_dict.items():
            for message in messages:
                if field == "definition":
                    items.append(_plain_protocol_problem(message))
                elif field == "__all__" and "name" in message.lower():
                    items.append(("name", "Another template of this clinic has this short name."))
                else:
                    items.append((field if field != "__all__" else "", message))
        raise AppError(items) from None


def _definition(max_units: int, max_sites: int, ftp_caps: dict[str, int]) -> dict[str, Any]:
    return {
        "ftp_caps": {m.value: int(ftp_caps.get(m.value, 0)) for m in _FTP_MUSCLES},
        "max_units": max_units,
        "max_sites": max_sites,
    }


@transaction.atomic
def create_protocol_template(
    *,
    clinic: Clinic,
    by: Any,
    name: str,
    title: str,
    max_units: int,
    max_sites: int,
    ftp_caps: dict[str, int],
) -> ProtocolTemplate:
    """Add a clinic protocol: PREEMPT narrowed, never widened (`dosing.validate_protocol`).

    The 31 fixed sites at 5 U are always part of it; `ftp_caps` gives the extra
    follow-the-pain sites allowed in temporalis, occipitalis and trapezius.
    """
    _require_editor(by, clinic)
    template = ProtocolTemplate(
        clinic=clinic,
        name=(name or "").strip().lower(),
        title=" ".join((title or "").split()),
        definition=_definition(max_units, max_sites, ftp_caps),
        active=True,
    )
    return save_recorded(
        template,
        action="create",
        category="protocol_template",
        clinic_id=clinic.pk,
        user=by,
        detail={"name": template.name, "definition": template.definition},
        clean=_check_template,
    )


@transaction.atomic
def update_protocol_template(
    *,
    template: ProtocolTemplate,
    by: Any,
    title: str,
    max_units: int,
    max_sites: int,
    ftp_caps: dict[str, int],
) -> list[str]:
    """Change a template's title and limits (its short name is the key sessions store, so it
    stays). Sessions already started keep the protocol they were started with (their
    snapshot). Returns the fields changed; audited with before and after."""
    template = ProtocolTemplate.objects.select_for_update().get(pk=template.pk)
    _require_editor(by, template.clinic)
    return update_audited(
        template,
        {
            "title": " ".join((title or "").split()),
            "definition": _definition(max_units, max_sites, ftp_caps),
        },
        category="protocol_template",
        clinic_id=template.clinic_id,
        user=by,
        clean=_check_template,
    )


@transaction.atomic
def set_protocol_template_active(
    *, template: ProtocolTemplate, by: Any, active: bool
) -> ProtocolTemplate:
    """Retire a template (it leaves the choice of protocols for new sessions; sessions that
    used it keep it) or bring it back (checked against the dosing rules again)."""
    template = ProtocolTemplate.objects.select_for_update().get(pk=template.pk)
    _require_editor(by, template.clinic)
    if template.active == active:
        return template
    template.active = active
    return save_recorded(
        template,
        action="update",
        category="protocol_template",
        clinic_id=template.clinic_id,
        user=by,
        detail={"changed": ["active"], "after": {"active": active}},
        update_fields=["active"],
        clean=_check_template if active else None,
    )
