"""Planning and writing attacks: match with the stored ones, then the days they change."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.core.exceptions import ValidationError

from cephalog.audit.actions import record
from cephalog.diary.attack_actions.days import apply_days, plan_days
from cephalog.diary.attack_actions.plans import (
    AttackPlan,
    Counts,
    Progress,
    at_line,
    validation_messages,
)
from cephalog.diary.models import Attack
from cephalog.domain.diary import DiaryDay
from cephalog.domain.importing import (
    AttackFacts,
    days_from_attacks,
    split_by_date,
)
from cephalog.patients.models import Patient


def attack_facts(attack: Attack) -> AttackFacts:
    return AttackFacts(
        start=attack.start,
        end=attack.end,
        peak_intensity=attack.peak_intensity,
        external_id=attack.external_id,
        notes=attack.notes,
    )


def plan_attacks(
    *,
    patient: Patient,
    attacks: Sequence[AttackFacts],
    by: Any,
    today: dt.date,
    reason: str,
    source: str,
    notes: Mapping[dt.date, str] | None = None,
    confirm: bool = True,
) -> AttackPlan:
    """Match `attacks` with the stored ones and work out the days they change.

    An attack is the same as a stored one with the same external id, or,
    failing that, the same start (one attack per start) when the stored one
    has no id of its own. Rows with no pain (`peak_intensity` None) store no
    attack; they still record their date.

    Without `confirm` (imports), a stored attack is never changed by the file
    except to fill an empty note or add its id: each other difference (its end,
    severity or note) is listed in `plan.differences` and the stored values kept,
    so re-importing an older export loses nothing recorded since. The day notes
    (`notes`) follow the same rule (`plan_days`).
    """
    plan = AttackPlan()
    attacks = list(attacks)
    tz = zoneinfo.ZoneInfo(patient.time_zone)
    stored = list(Attack.objects.filter(patient=patient))
    by_id = {a.external_id: a for a in stored if a.external_id}
    by_start = {a.start: a for a in stored}
    matched: set[int] = set()
    for position, facts in enumerate(list(attacks)):
        if not facts.peak_intensity:
            continue
        row, problem = _match(facts, by_id, by_start)
        if problem:
            plan.problems.append(at_line(facts.line, problem))
            continue
        if row is not None:
            matched.add(row.pk)
        attacks[position] = _plan_row(
            plan, facts, row, patient=patient, source=source, confirm=confirm
        )
    others = [attack_facts(a) for a in stored if a.pk not in matched]
    plan.days = plan_days(
        patient=patient,
        days=_attack_days(attacks, others, tz),
        merge=True,
        by=by,
        today=today,
        reason=reason,
        notes=notes,
        confirm=confirm,
    )
    plan.problems.extend(plan.days.problems)
    plan.differences.extend(plan.days.differences)
    return plan


def _match(
    facts: AttackFacts, by_id: Mapping[str, Attack], by_start: Mapping[dt.datetime, Attack]
) -> tuple[Attack | None, str | None]:
    """The stored attack `facts` is (None: a new one), or the problem that stops it."""
    clash = "start: another attack already starts at this time"
    row = by_id.get(facts.external_id) if facts.external_id else None
    same_start = by_start.get(facts.start)
    if row is None and same_start is not None:
        if same_start.external_id and same_start.external_id != facts.external_id:
            return None, clash
        row = same_start
    if row is not None and same_start not in (None, row):
        return None, clash
    return row, None


def _plan_row(
    plan: AttackPlan,
    facts: AttackFacts,
    row: Attack | None,
    *,
    patient: Patient,
    source: str,
    confirm: bool,
) -> AttackFacts:
    """Plan one attack as new, changed or unchanged; returns its facts as they will be kept
    (without `confirm`, the stored values of the fields an import may not change)."""
    values = {
        "start": facts.start,
        "end": facts.end,
        "peak_intensity": facts.peak_intensity,
        "external_id": facts.external_id,
        "notes": facts.notes,
    }
    if row is None:
        row = Attack(patient=patient, source=source, **values)
        plan.new.append(row)
        plan.counts.created += 1
    else:
        if all(getattr(row, k) == v for k, v in values.items()):
            plan.counts.unchanged += 1
            return facts
        if not confirm:
            held = _held(row, values)
            if held:
                plan.differences.append(at_line(facts.line, _describe(row, values, held)))
                facts = replace(facts, **{k: getattr(row, k) for k in held if k != "start"})
                values.update({k: getattr(row, k) for k in held})
                if all(getattr(row, k) == v for k, v in values.items()):
                    plan.counts.unchanged += 1
                    return facts
        for key, value in values.items():
            setattr(row, key, value)
        plan.changed.append(row)
        plan.counts.updated += 1
    try:
        row.full_clean(exclude=["patient"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        plan.problems.extend(at_line(facts.line, p) for p in validation_messages(error))
    return facts


def _attack_days(
    attacks: Sequence[AttackFacts], others: Sequence[AttackFacts], tz: zoneinfo.ZoneInfo
) -> list[tuple[int, DiaryDay]]:
    """(line, day) for each date the attacks touch, in date order: the day computed from
    every attack, stored or in the file, and the first line that touches it."""
    computed = days_from_attacks([*attacks, *others], tz)
    first_line: dict[dt.date, int] = {}
    for facts in attacks:
        zone = facts.tz or tz
        dates = split_by_date(facts.start, facts.end, zone) if facts.peak_intensity else {}
        for date in [facts.start.astimezone(zone).date(), *dates]:
            first_line.setdefault(date, facts.line)
    return [(line, computed[date]) for date, line in sorted(first_line.items())]


def _held(row: Attack, values: Mapping[str, Any]) -> list[str]:
    """The fields of a stored attack an import may not change without confirmation."""
    return [
        key
        for key in ("end", "peak_intensity", "notes")
        if getattr(row, key) != values[key] and not (key == "notes" and not row.notes)
    ]


def _describe(row: Attack, values: Mapping[str, Any], held: Sequence[str]) -> str:
    tz = zoneinfo.ZoneInfo(row.patient.time_zone)
    when = row.start.astimezone(tz).strftime("%d %b %Y %H:%M")
    parts = []
    if "peak_intensity" in held:
        parts.append(f"severity {row.peak_intensity} here, {values['peak_intensity']} in the file")
    if "end" in held:
        parts.append(
            f"ends {row.end.astimezone(tz):%d %b %H:%M} here, "
            f"{values['end'].astimezone(tz):%d %b %H:%M} in the file"
        )
    if "notes" in held:
        parts.append("its note differs from the file's")
    return f"attack of {when}: {'; '.join(parts)}; kept as recorded"


def apply_attacks(
    plan: AttackPlan,
    *,
    patient: Patient,
    by: Any,
    today: dt.date,
    reason: str,
    source: str,
    progress: Progress | None = None,
) -> tuple[Counts, Counts]:
    """Store the planned attacks and days; returns (attack counts, day counts)."""
    Attack.objects.bulk_create(plan.new)
    Attack.objects.bulk_update(
        plan.changed, ["start", "end", "peak_intensity", "external_id", "notes"]
    )
    done = len(plan.new) + len(plan.changed)
    total = done + len(plan.days.changes)
    if progress is not None:
        progress(done, total)
    days = apply_days(
        plan.days,
        patient=patient,
        by=by,
        today=today,
        reason=reason,
        source=source,
        progress=progress,
        done=done,
        total=total,
    )
    if plan.new or plan.changed:
        record(
            action="create" if plan.new else "update",
            category="diary_attack",
            patient=patient,
            detail={"created": plan.counts.created, "updated": plan.counts.updated},
        )
    return plan.counts, days
