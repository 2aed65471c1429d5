"""Writing what was read: the writer that stores each record through the apps' import
actions and collects the problems, and the history and diary writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError

from cephalog.core.errors import AppError
from cephalog.diary.actions import DiaryError, save_days_bulk
from cephalog.diary.attack_actions import apply_attacks, plan_attacks
from cephalog.diary.models import EntrySource
from cephalog.domain.diary import DiaryDay
from cephalog.domain.importing import AttackFacts
from cephalog.eligibility.import_actions import import_history_item
from cephalog.interop.fhir_import.reader import _display, _Reader
from cephalog.interop.fhir_import.result import IMPORT_REASON, ImportResult
from cephalog.interop.fhir_import.values import _refusal
from cephalog.patients.models import Patient


class _Writer:
    def __init__(
        self, reader: _Reader, patient: Patient, by: Any, today: dt.date, result: ImportResult
    ) -> None:
        self.r = reader
        self.patient = patient
        self.by = by
        self.today = today
        self.result = result
        self.problems: list[str] = []
        orgs = reader.of_type("Organization")
        self.source = _display(orgs[0][1]) if orgs else "another clinic"

    def count(self, key: str, n: int = 1) -> None:
        self.result.counts[key] = self.result.counts.get(key, 0) + n

    def attempt(self, where: str, store: Callable[..., object], **kwargs: Any) -> bool:
        """Call `store(**kwargs)` (an import action); its refusal becomes the problems of
        `where`. Each action is atomic, so a refused record leaves the import's transaction
        usable."""
        try:
            store(**kwargs)
        except (AppError, IntegrityError) as error:
            self.refused(where, error)
            return False
        return True

    def refused(self, where: str, error: AppError | IntegrityError) -> None:
        if isinstance(error, AppError):
            self.problems.extend(_refusal(where, error))
        else:
            self.problems.append(f"{where}: {error}")

    def history(self, rows: list[Any]) -> None:
        for row in rows:
            name = type(row).__name__
            if self.attempt(name, import_history_item, patient=self.patient, item=row, by=self.by):
                self.count(name)

    def diary(self, days: list[DiaryDay], attacks: list[AttackFacts]) -> None:
        try:
            created, _ = save_days_bulk(
                patient=self.patient,
                days=sorted(days, key=lambda d: d.date),
                by=self.by,
                today=self.today,
                reason=IMPORT_REASON,
                source=EntrySource.IMPORT,
                notes=self.r.day_notes,
            )
        except DiaryError as error:
            self.problems.extend(f"Observation diary-day: {p}" for p in error.problems)
            return
        self.count("diary_days", created)
        if not attacks:
            return
        plan = plan_attacks(
            patient=self.patient,
            attacks=attacks,
            by=self.by,
            today=self.today,
            reason=IMPORT_REASON,
            source=EntrySource.IMPORT,
        )
        if plan.problems:
            self.problems.extend(f"Observation attack: {p}" for p in plan.problems)
            return
        apply_attacks(
            plan,
            patient=self.patient,
            by=self.by,
            today=self.today,
            reason=IMPORT_REASON,
            source=EntrySource.IMPORT,
        )
        self.count("attacks", len(plan.new))
