"""HIT-6 and MIDAS: scored by the domain, stored with who entered them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cephalog.accounts.access import CLINICAL_ROLES, require_role
from cephalog.accounts.models import User
from cephalog.core.writes import save_recorded
from cephalog.domain import instruments
from cephalog.outcomes.actions.common import not_future
from cephalog.outcomes.models import ContentPack, Instrument, QuestionnaireResponse, ResponseSource
from cephalog.patients.models import Patient

_ITEM_INDEX = re.compile(r"^items\[(\d+)\]")


def _name_items(problems: Sequence[str], keys: Sequence[str]) -> dict[str, list[str]]:
    """Domain messages (`items[3]: ...`) keyed and worded by item key (`hit6_4: ...`)."""

    def key_of(index: str) -> str:
        return keys[int(index)] if int(index) < len(keys) else f"items[{index}]"

    named: dict[str, list[str]] = {}
    for problem in problems:
        text = re.sub(r"items\[(\d+)\]", lambda m: key_of(m.group(1)), problem)
        text = text.replace("item_a:", f"{instruments.MIDAS_ITEM_A_KEY}:").replace(
            "item_b:", f"{instruments.MIDAS_ITEM_B_KEY}:"
        )
        match = _ITEM_INDEX.match(problem)
        if match:
            field = key_of(match.group(1))
        elif problem.startswith(("item_a", "item_b")):
            field = "midas_" + problem[5]
        else:
            field = "items"
        named.setdefault(field, []).append(text)
    return named


def score(instrument: str, items: Mapping[str, Any]) -> tuple[int, str, dict[str, Any]]:
    """(total, band or grade, the items kept) by the domain's scoring; ValidationError
    naming each bad item by its key (`hit6_4: must be one of 6, 8, 10, 11, 13, got 7`)."""
    if instrument == Instrument.HIT6:
        keys: tuple[str, ...] = instruments.HIT6_ITEM_KEYS
        extra: tuple[str, ...] = ()
    elif instrument == Instrument.MIDAS:
        keys = instruments.MIDAS_ITEM_KEYS
        extra = (instruments.MIDAS_ITEM_A_KEY, instruments.MIDAS_ITEM_B_KEY)
    else:
        raise ValidationError({"instrument": f"must be hit6 or midas, got {instrument!r}"})
    unknown = sorted(set(items) - set(keys) - set(extra))
    if unknown:
        raise ValidationError({k: f"{k}: not an item of {instrument}" for k in unknown})
    values = [items.get(k) for k in keys]
    try:
        if instrument == Instrument.HIT6:
            hit6 = instruments.score_hit6(values)
            total, band = hit6.total, str(hit6.band)
        else:
            midas = instruments.score_midas(
                values,
                item_a=items.get(instruments.MIDAS_ITEM_A_KEY),
                item_b=items.get(instruments.MIDAS_ITEM_B_KEY),
            )
            total, band = midas.total, str(midas.grade)
    except instruments.ResponseError as error:
        raise ValidationError(_name_items(error.problems, keys)) from error
    kept = {k: items.get(k) for k in (*keys, *extra) if items.get(k) is not None}
    return total, band, kept


def _check_source(patient: Patient, by: User, source: str) -> None:
    """The patient enters only their own; staff need a clinical role."""
    if source == ResponseSource.PATIENT:
        if patient.user_id is None or patient.user_id != by.pk:
            raise PermissionDenied("Only the patient enters their own questionnaire.")
    elif source == ResponseSource.STAFF:
        require_role(by, patient.clinic, CLINICAL_ROLES)
    else:
        raise ValidationError({"source": f"must be patient or staff, got {source!r}"})


@transaction.atomic
def record_questionnaire(
    *,
    patient: Patient,
    by: User,
    instrument: str,
    items: Mapping[str, Any],
    completed_on: dt.date,
    source: str,
    content_pack: ContentPack | None = None,
) -> QuestionnaireResponse:
    """Score and store a HIT-6 or MIDAS entered by the patient or by staff.

    The patient may enter only their own (source `patient`); staff with a
    clinical role enter from the licensed paper form (source `staff`).
    """
    _check_source(patient, by, source)
    not_future(completed_on, timezone.localdate() + dt.timedelta(days=1), "completed_on")
    if content_pack is not None and (
        content_pack.clinic_id != patient.clinic_id or content_pack.instrument != instrument
    ):
        raise ValidationError({"content_pack": "not this clinic's wording of this questionnaire"})
    total, band, kept = score(instrument, items)
    if QuestionnaireResponse.objects.filter(
        patient=patient, instrument=instrument, completed_on=completed_on
    ).exists():
        raise ValidationError(
            {"completed_on": f"a {instrument} for {completed_on.isoformat()} is already recorded"}
        )
    row = QuestionnaireResponse(
        patient=patient,
        instrument=instrument,
        completed_on=completed_on,
        items=kept,
        total=total,
        band=band,
        source=source,
        entered_by=by,
        content_pack=content_pack,
    )
    try:  # the same questionnaire stored at once by another request: the row refuses it
        return save_recorded(
            row,
            action="create",
            category="questionnaire",
            patient=patient,
            user=by,
            detail={"instrument": instrument, "source": source, "total": total},
        )
    except IntegrityError:
        raise ValidationError(
            {"completed_on": f"a {instrument} for {completed_on.isoformat()} is already recorded"}
        ) from None
