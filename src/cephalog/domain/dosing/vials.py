"""Vials (§1.4): reconstitution, concentration, expiry, units opened and wasted; and the
US billing lines for given and discarded units (§9.3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from cephalog.domain.dosing.constants import (
    _PRODUCT_ALIASES,
    MAX_RECONSTITUTED_AGE,
    PRODUCT,
    REQUIRED_UNITS_PER_0_1_ML,
    VIAL_SIZES_UNITS,
)


@dataclass(frozen=True)
class Vial:
    """One vial opened for a session (clinical-reference §1.4).

    `diluent_ml` as recorded (a Decimal from a form, or int/float/Fraction);
    a float is read as the decimal it prints as, so 2.0 means exactly 2 mL.
    """

    product: str
    lot: str
    expiry: dt.date
    size_units: int
    diluent_ml: Decimal | Fraction | float | int
    reconstituted_at: dt.datetime


def _exact(value: Decimal | Fraction | float | int) -> Fraction:
    # A float is read as the decimal it prints as (2.0 -> 2, 2.5 -> 5/2).
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def concentration_per_0_1_ml(
    size_units: int, diluent_ml: Decimal | Fraction | float | int
) -> Fraction:
    """Units per 0.1 mL after reconstitution: size / (diluent mL x 10) (clinical-reference §1.4)."""
    ml = _exact(diluent_ml)
    if ml <= 0:
        raise ValueError(f"diluent_ml: must be positive, got {diluent_ml}")
    return Fraction(size_units) / (ml * 10)


def _aware(value: dt.datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def check_vial(vial: Vial, *, used_at: dt.datetime, prefix: str = "vial") -> list[str]:
    """Problems that forbid using `vial` at `used_at` (clinical-reference §1.4, §2.2).

    - product must be onabotulinumtoxinA (units are not interchangeable, §2.2);
    - size 100 or 200 U;
    - expired lot refused when expiry < the session date (usable through
      its expiry date);
    - concentration exactly 5 U per 0.1 mL (100 U + 2 mL, 200 U + 4 mL);
    - reconstituted at most 24 h before use (exactly 24 h is allowed) and
      not after it.
    `used_at` and `reconstituted_at` must be timezone-aware; the session
    date is `used_at`'s local date.
    """
    problems: list[str] = []
    if vial.product.strip().lower() not in _PRODUCT_ALIASES:
        problems.append(
            f"{prefix}.product: must be {PRODUCT} (BOTOX); units are not interchangeable "
            f"between botulinum toxin products, got {vial.product!r}"
        )
    if not vial.lot.strip():
        problems.append(f"{prefix}.lot: required")
    if vial.size_units not in VIAL_SIZES_UNITS:
        problems.append(f"{prefix}.size_units: must be one of 100, 200, got {vial.size_units}")
    if not _aware(used_at):
        problems.append(f"{prefix}: used_at must be timezone-aware")
    elif vial.expiry < used_at.date():
        problems.append(
            f"{prefix}.expiry: lot {vial.lot} expired on {vial.expiry.isoformat()}, "
            f"before the session on {used_at.date().isoformat()}"
        )
    try:
        conc = concentration_per_0_1_ml(vial.size_units, vial.diluent_ml)
    except (ValueError, ZeroDivisionError, TypeError, OverflowError) as e:
        problems.append(f"{prefix}.diluent_ml: must be a positive volume in mL ({e})")
    else:
        if vial.size_units > 0 and conc != REQUIRED_UNITS_PER_0_1_ML:
            ml = Fraction(vial.size_units, 50)
            problems.append(
                f"{prefix}.diluent_ml: {vial.size_units} U in {vial.diluent_ml} mL gives "
                f"{float(conc):g} U per 0.1 mL; 5 U per 0.1 mL needs {float(ml):g} mL"
            )
    if not _aware(vial.reconstituted_at):
        problems.append(f"{prefix}.reconstituted_at: must be timezone-aware")
    elif _aware(used_at):
        age = used_at - vial.reconstituted_at
        if age < dt.timedelta(0):
            problems.append(
                f"{prefix}.reconstituted_at: the reconstitution time "
                f"{vial.reconstituted_at:%Y-%m-%d %H:%M} is later than the time of use "
                f"{used_at:%Y-%m-%d %H:%M}"
            )
        elif age > MAX_RECONSTITUTED_AGE:
            hours = age.total_seconds() / 3600
            problems.append(
                f"{prefix}.reconstituted_at: reconstituted {hours:.1f} h before use; "
                "must be used within 24 h"
            )
    return problems


def units_opened(vials: Iterable[Vial]) -> int:
    """Total units in the vials opened for a session (clinical-reference §1.4)."""
    return sum(v.size_units for v in vials)


def units_discarded(opened: int, given: int) -> int:
    """Waste = units opened − units given (clinical-reference §1.4, §9.3 JW).

    Raises ValueError when more was given than opened (a record error),
    or when either is negative.
    """
    if opened < 0 or given < 0:
        raise ValueError(f"units must not be negative, got opened={opened}, given={given}")
    if given > opened:
        raise ValueError(f"{given} U given but only {opened} U opened")
    return opened - given


@dataclass(frozen=True)
class VialCheck:
    """Result of checking all vials of a session."""

    units_opened: int
    units_discarded: int | None  # None when more was given than opened
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_vials(vials: Sequence[Vial], *, used_at: dt.datetime, units_given: int) -> VialCheck:
    """Check every vial and the session's waste (clinical-reference §1.4, §9.3)."""
    problems: list[str] = []
    if not vials and units_given > 0:
        problems.append("vials: at least one vial must be recorded when units are given")
    for i, v in enumerate(vials):
        problems.extend(check_vial(v, used_at=used_at, prefix=f"vials[{i}]"))
    opened = units_opened(vials)
    waste: int | None
    try:
        waste = units_discarded(opened, units_given)
    except ValueError as e:
        waste = None
        problems.append(f"vials: {e}")
    return VialCheck(units_opened=opened, units_discarded=waste, problems=tuple(problems))


@dataclass(frozen=True)
class BillingLine:
    """One claim line (clinical-reference §9.3)."""

    code: str
    modifiers: tuple[str, ...]
    units: int
    description: str


def billing_lines(units_given: int, units_discarded: int) -> tuple[BillingLine, ...]:
    """US claim lines for one session (clinical-reference §9.3).

    CPT 64615 once (no modifier 50: already bilateral); HCPCS J0585 x units
    given (1 billing unit = 1 U); waste as a separate J0585-JW line with the
    units discarded, or, when nothing was discarded, the JZ modifier on the
    J0585 line. Raises ValueError when no units were given (nothing to bill)
    or waste is negative.
    """
    if units_given <= 0:
        raise ValueError(f"units_given: must be positive to bill a session, got {units_given}")
    if units_discarded < 0:
        raise ValueError(f"units_discarded: must not be negative, got {units_discarded}")
    lines = [
        BillingLine(
            "64615",
            (),
            1,
            "Chemodenervation of muscles innervated by facial, trigeminal, cervical spinal "
            "and accessory nerves, bilateral (chronic migraine)",
        )
    ]
    drug = "Injection, onabotulinumtoxinA, 1 unit"
    if units_discarded > 0:
        lines.append(BillingLine("J0585", (), units_given, drug))
        lines.append(BillingLine("J0585", ("JW",), units_discarded, f"{drug}: amount discarded"))
    else:
        lines.append(BillingLine("J0585", ("JZ",), units_given, f"{drug}: zero amount discarded"))
    return tuple(lines)
