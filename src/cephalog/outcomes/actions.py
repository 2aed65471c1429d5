"""Every write of the outcomes app: one function per use case, atomic, validated, audited.

Views, tests and commands call these; none save models themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cephalog.accounts.access import CLINICAL_ROLES, require_role
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.core.replan import replan
from cephalog.domain import decisions, instruments
from cephalog.domain.assess import Assessment
from cephalog.domain.decisions import HIGH_DOSE_UNITS as HIGH_DOSE
from cephalog.domain.decisions import STANDARD_DOSE_UNITS as STANDARD_DOSE
from cephalog.domain.decisions import DecisionEffect
from cephalog.domain.intervals import DUE_INTERVAL_DAYS as STANDARD_INTERVAL
from cephalog.domain.policies import POLICIES
from cephalog.eligibility.case import assess_patient
from cephalog.outcomes.content_packs import ContentPackError, parse_pack
from cephalog.outcomes.models import (
    ITEM_KEY_CHOICES,
    BridgingTreatment,
    ContentPack,
    ContinuationDecision,
    Instrument,
    ItemLabel,
    QuestionnaireResponse,
    ResponseSource,
)
from cephalog.patients.models import Patient
from cephalog.treatment.queries import decision_effect, domain_decision, effect_of

__all__ = [
    "HIGH_DOSE",
    "STANDARD_DOSE",
    "STANDARD_INTERVAL",
    "DecisionEffect",
    "decision_effect",
    "domain_decision",
    "effect_of",
]


def _not_future(day: dt.date, today: dt.date, field: str) -> None:
    if day > today:
        raise ValidationError({field: f"must not be in the future, got {day.isoformat()}"})


# --- continuation decisions --------------------------------------------------------------


def recommendation_snapshot(assessment: Assessment) -> dict[str, Any]:
    """The recommendation and the numbers behind it, as the physician saw them (spec 7, 8),
    printed as the ruleset prints them, with the ruleset and day definition (spec 11)."""
    continuation = assessment.continuation
    shown = assessment.one_decimal
    snapshot: dict[str, Any] = {
        "policy": continuation.policy,
        "recommendation": continuation.recommendation,
        "reasons": list(continuation.reasons),
        "detail": continuation.detail,
        "assessed_on": assessment.assessed_on.isoformat(),
        "baseline_headache_days_per_28": shown(assessment.baseline.rate("headache_days")),
        "cycles": [
            {
                "number": c.number,
                "injection_date": c.injection_date.isoformat(),
                "in_progress": c.in_progress,
                "headache_days_per_28": shown(c.window.rate("headache_days")),
                "headache_day_change": shown(c.headache_day_change),
                "headache_day_reduction_pct": shown(c.headache_day_reduction_pct),
                "responder_30": c.responder_30,
                "responder_50": c.responder_50,
                "wearing_off": c.wearing_off,
            }
            for c in assessment.cycles
        ],
        "next_injection": assessment.next_injection.to_dict(),
    }
    if assessment.ruleset.day_definition_by_policy:
        snapshot["ruleset"] = assessment.ruleset.name
        snapshot["day_definition"] = assessment.day_definition.value
    return snapshot


@transaction.atomic
def record_decision(
    *,
    patient: Patient,
    by: User,
    decision: str,
    reason: str,
    decided_on: dt.date | None = None,
    policy: str | None = None,
    new_interval_days: int | None = None,
) -> ContinuationDecision:
    """Record a physician's continuation decision with the recommendation it answers.

    Physicians only (PermissionDenied otherwise); a reason is required; a
    change of interval needs the new interval (from the clinic's minimum
    interval to 26 weeks). The recommendation is recomputed here under
    `policy` (default: the clinic's) on `decided_on`, so the snapshot is
    the domain's, not the browser's.
    """
    require_role(by, patient.clinic, (Role.PHYSICIAN,))
    today = timezone.localdate()
    decided_on = decided_on or today
    _not_future(decided_on, today, "decided_on")
    policy = policy or patient.clinic.default_policy
    if policy not in POLICIES:
        raise ValidationError({"policy": f"unknown policy {policy!r}"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for this decision."})
    problems = decisions.check_decision(
        decision, new_interval_days, patient.clinic.minimum_interval_days
    )
    if problems:
        raise ValidationError(problems)
    assessment = assess_patient(patient, decided_on, policy)
    row = ContinuationDecision(
        patient=patient,
        decided_on=decided_on,
        decided_by=by,
        policy=policy,
        ruleset=assessment.ruleset.name,
        recommendation=recommendation_snapshot(assessment),
        decision=decision,
        new_interval_days=new_interval_days,
        reason=reason,
    )
    row.full_clean()
    row.save()
    record(
        action="create",
        category="continuation_decision",
        patient=patient,
        object_ref=f"decision:{row.pk}",
        user=by,
        detail={
            "decision": decision,
            "policy": policy,
            "ruleset": row.ruleset,
            "recommendation": row.recommendation["recommendation"],
            "new_interval_days": new_interval_days,
        },
    )
    # The next session reflects the decision: the calendar is re-planned now.
    replan(patient=patient, today=decided_on)
    return row


# `domain_decision`, `effect_of` and `decision_effect` are read by the session pages too:
# they live in `treatment.queries` (below outcomes) and are re-exported here.


# --- bridging treatments -----------------------------------------------------------------


@transaction.atomic
def record_bridging(
    *, patient: Patient, by: User, date: dt.date, kind: str, notes: str = ""
) -> BridgingTreatment:
    """Record a bridging treatment (nerve block, ketorolac, emergency visit; reference 7)."""
    require_role(by, patient.clinic, CLINICAL_ROLES)
    _not_future(date, timezone.localdate(), "date")
    row = BridgingTreatment(
        patient=patient, date=date, kind=kind, notes=(notes or "").strip(), recorded_by=by
    )
    try:
        row.full_clean()
    except ValidationError as error:
        if row.kind == "other" and not row.notes:
            raise ValidationError({"notes": "Say what was given."}) from error
        raise
    row.save()
    record(
        action="create",
        category="bridging_treatment",
        patient=patient,
        object_ref=f"bridging:{row.pk}",
        user=by,
        detail={"kind": kind},
    )
    return row


# --- questionnaires ----------------------------------------------------------------------

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
    if source == ResponseSource.PATIENT:
        if patient.user_id is None or patient.user_id != by.pk:
            raise PermissionDenied("Only the patient enters their own questionnaire.")
    elif source == ResponseSource.STAFF:
        require_role(by, patient.clinic, CLINICAL_ROLES)
    else:
        raise ValidationError({"source": f"must be patient or staff, got {source!r}"})
    _not_future(completed_on, timezone.localdate() + dt.timedelta(days=1), "completed_on")
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
    row.full_clean()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ValidationError(
            {"completed_on": f"a {instrument} for {completed_on.isoformat()} is already recorded"}
        ) from None
    record(
        action="create",
        category="questionnaire",
        patient=patient,
        object_ref=f"questionnaire:{row.pk}",
        user=by,
        detail={"instrument": instrument, "source": source, "total": total},
    )
    return row


# --- content packs -----------------------------------------------------------------------


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
    row.full_clean()
    row.save()
    record(
        action="import",
        category="content_pack",
        clinic_id=clinic.pk,
        object_ref=f"content_pack:{row.pk}",
        user=by,
        detail={"instrument": pack.instrument, "version": pack.version},
    )
    return row


@transaction.atomic
def set_content_pack_active(*, pack: ContentPack, by: User, active: bool) -> ContentPack:
    """Stop showing a loaded wording (the forms fall back to the clinic's earlier active
    wording of that questionnaire, else to item numbers and labels), or show it again.
    Clinic admins only; audited. Responses already stored keep the pack they were shown."""
    pack = ContentPack.objects.select_for_update().get(pk=pack.pk)
    require_role(by, pack.clinic, (Role.CLINIC_ADMIN,))
    if pack.active != active:
        pack.active = active
        pack.save(update_fields=["active"])
        record(
            action="update",
            category="content_pack",
            clinic_id=pack.clinic_id,
            object_ref=f"content_pack:{pack.pk}",
            user=by,
            detail={"instrument": pack.instrument, "version": pack.version, "active": active},
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
