"""The case's typed records, its format tag and its error (spec section 1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cephalog.domain.diary import DiaryDay
from cephalog.domain.vocab import (
    ToxinProduct,
)

#: The format tag of a case file (spec section 1).
CASE_FORMAT = "cephalog.case/1"
#: Path used for problems with the file as a whole.
ROOT = "$"


# --- Records -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Patient:
    """The patient of a case (spec section 1, `patient`)."""

    birth_date: dt.date
    sex: str | None = None
    chronic_headache_since: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Medication:
    """A non-headache medication (spec section 1, `medications`).

    `drug_class` is a code of `vocab.MedicationClass`; no `start` means
    taken since before the record, no `stop` means still taken.
    """

    drug_class: str
    name: str | None = None
    start: dt.date | None = None
    stop: dt.date | None = None

    def current_on(self, day: dt.date) -> bool:
        """Taken on `day`: no start or start <= day, and no stop or stop >= day (spec section 6)."""
        return (self.start is None or self.start <= day) and (self.stop is None or self.stop >= day)


@dataclass(frozen=True, slots=True)
class Preventive:
    """A preventive treatment tried (spec section 1, `preventives`).

    `outcome` is a code of `vocab.PreventiveOutcome`; `drug_class` of
    `vocab.PreventiveClass`. No `start` means a past treatment of unknown date.
    """

    name: str
    outcome: str
    drug_class: str | None = None
    start: dt.date | None = None
    stop: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ToxinExposure:
    """A botulinum toxin treatment for another indication (spec section 1, `toxin_exposures`).

    `product` is a code of `vocab.ToxinProduct` (spec section 11.5),
    onabotulinumtoxinA when the case names none. Units of different
    products are not interchangeable and are never added together.
    """

    date: dt.date
    units: float | None = None
    indication: str | None = None
    product: str = ToxinProduct.ONABOTULINUMTOXINA.value


@dataclass(frozen=True, slots=True)
class Injection:
    """A chronic-migraine injection session (spec section 1, `injections`)."""

    date: dt.date
    units: float | None = None
    sites: int | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """Everything an assessment reads (spec section 1), already validated.

    `diary` and `injections` are sorted by date, one entry per date.
    """

    patient: Patient
    assessed_on: dt.date
    diary: tuple[DiaryDay, ...]
    conditions: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    medications: tuple[Medication, ...] = ()
    preventives: tuple[Preventive, ...] = ()
    toxin_exposures: tuple[ToxinExposure, ...] = ()
    injections: tuple[Injection, ...] = ()

    @property
    def days(self) -> dict[dt.date, DiaryDay]:
        """The diary by date; dates missing from it are unrecorded (spec section 1)."""
        return {day.date: day for day in self.diary}

    @property
    def injection_dates(self) -> tuple[dt.date, ...]:
        """Injection dates, sorted."""
        return tuple(sorted(injection.date for injection in self.injections))


class CaseError(ValueError):
    """A case that cannot be assessed; `problems` holds one message per fault, with its path."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))
