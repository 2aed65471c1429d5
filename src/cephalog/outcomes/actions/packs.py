"""Content packs: a clinic's licensed questionnaire wording, and its item labels."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.core.writes import save_recorded
from cephalog.outcomes.content_packs import ContentPackError, parse_pack
from cephalog.outcomes.models import ITEM_KEY_CHOICES, ContentPack, ItemLabel


@transaction.atomic
def load_content_pack(*, clinic: Clinic, by: User, raw: bytes | str) -> ContentPack:
    """Load a clinic's licensed questionnaire wording from a JSON file (docs/content-packs.md).

    Clinic admins only. Raises ValidationError listing every problem of the file.
    """
    require_role(by, clinic, (Role.CLINIC_ADMIN,))
    try:
        pack = parse_pack(raw)
    except ContentPackError as error:
        raise ValidationError(list(error.problems)) from error
    if ContentPack.objects.filter(
        clinic=clinic, instrument=pack.instrument, version=pack.version
    ).exists():
        raise ValidationError(
            [
                f"version: {pack.instrument} wording {pack.version!r} is already loaded; "
                "to replace it, give the new file another version"
            ]
        )
    row = ContentPack(
        clinic=clinic,
        instrument=pack.instrument,
        version=pack.version,
        language=pack.language,
        licence_note=pack.licence_note,
        wording=pack.to_wording(),
        loaded_by=by,
    )
    return save_recorded(
        row,
        action="import",
        category="content_pack",
        clinic_id=clinic.pk,
        user=by,
        detail={"instrument": pack.instrument, "version": pack.version},
    )


@transaction.atomic
def set_content_pack_active(*, pack: ContentPack, by: User, active: bool) -> ContentPack:
    """Stop showing a loaded wording (the forms fall back to the clinic's earlier active
    wording of that questionnaire, else to item numbers and labels), or show it again.
    Clinic admins only; audited. Responses already stored keep the pack they were shown."""
    pack = ContentPack.objects.select_for_update().get(pk=pack.pk)
    require_role(by, pack.clinic, (Role.CLINIC_ADMIN,))
    if pack.active != active:
        pack.active = active
        save_recorded(
            pack,
            action="update",
            category="content_pack",
            clinic_id=pack.clinic_id,
            user=by,
            detail={"instrument": pack.instrument, "version": pack.version, "active": active},
            update_fields=["active"],
            clean=None,
        )
    return pack


@transaction.atomic
def set_item_labels(*, clinic: Clinic, by: User, labels: Mapping[str, str]) -> dict[str, str]:
    """The clinic's plain labels of questionnaire items (issue 16.5), by item key: a label
    given replaces the item's, an empty one removes it. Clinic admins only; audited."""
    require_role(by, clinic, (Role.CLINIC_ADMIN,))
    keys = {key for key, _ in ITEM_KEY_CHOICES}
    unknown = sorted(set(labels) - keys)
    if unknown:
        raise ValidationError([f"{key}: not a questionnaire item" for key in unknown])
    current = {row.item_key: row for row in ItemLabel.objects.filter(clinic=clinic)}
    changed = 0
    for key, text in labels.items():
        text = " ".join(text.split())
        row = current.get(key)
        if not text:
            if row is not None:
                row.delete()
                changed += 1
            continue
        if row is not None and row.label == text:
            continue
        row = row or ItemLabel(clinic=clinic, item_key=key)
        row.label = text
        row.full_clean()
        row.save()
        changed += 1
    record(
        action="update",
        category="item_labels",
        clinic_id=clinic.pk,
        detail={"changed": changed},
    )
    return dict(ItemLabel.objects.filter(clinic=clinic).values_list("item_key", "label"))
