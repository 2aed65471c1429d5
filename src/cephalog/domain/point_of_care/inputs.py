"""The inputs of the checks before a session: the injector's answers, toxin exposures, sources."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cephalog.domain.vocab import (
    DEFAULT_TOXIN_PRODUCT,
    ToxinProduct,
)

# The interval numbers have one home: cephalog.domain.intervals (IntervalRule).

SRC_INFECTION = (
    "BOTOX US label §4 (contraindication: infection at the injection site); clinical-reference §2.4"
)
SRC_ALLERGY = "BOTOX US label §4 (hypersensitivity to any botulinum toxin); clinical-reference §2.4"
SRC_AGE = "BOTOX US label §1 (adults); clinical-reference §2.1, §2.9"
SRC_FLAGS = (
    "spec/assessment.md section 6 flags on the session date (11.4); clinical-reference §2.5, §2.6"
)
SRC_INTERACTIONS = "BOTOX US label §7 (drug interactions); clinical-reference §2.6"
SRC_TOXIN = (
    "BOTOX US label §5 (units not interchangeable), §7 (other botulinum toxins); "
    "clinical-reference §2.2, §2.6; spec 11.5"
)
SRC_CONDITIONS = "BOTOX US label §5 (neuromuscular disorders, dysphagia, breathing); §8.1 (pregnancy); clinical-reference §2.5"
SRC_RED_FLAGS = (
    "BOTOX US label, boxed warning and Medication Guide; clinical-reference §2.3, §10, §11.6"
)
SRC_INTERVAL = (
    "BOTOX US label (retreatment every 12 weeks); clinical-reference §2.2, §2.8, §6.5, §11.2"
)
SRC_CAP = (
    "BOTOX US label (at most 400 U in a 3-month interval, all indications; units not "
    "interchangeable with other products); clinical-reference §2.2, §14; spec 11.5"
)

#: Flag codes this module adds to spec section 6's.
RED_FLAGS_SINCE_LAST = "red_flags_since_last"
NEW_SINCE_LAST = "new_since_last"


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """What the injector records at the check, before the first site.

    `new_since_last` answers "any new medicines or illnesses since your last
    treatment?" (None: not asked, e.g. at a first session); `new_since_last_note`
    says what, in the patient's words.
    """

    infection_at_sites: bool
    red_flags_since_last: bool
    pregnant: bool
    new_since_last: bool | None = None
    new_since_last_note: str = ""


@dataclass(frozen=True)
class Exposure:
    """Botulinum toxin given on a date: another indication, or a previous session here."""

    date: dt.date
    units: int
    product: str = DEFAULT_TOXIN_PRODUCT.value
    indication: str = ""
    session: bool = False  # one of this clinic's chronic-migraine sessions


def product_of(value: str | None) -> ToxinProduct:
    """A stored product name as the vocabulary's product; blank = onabotulinumtoxinA (11.5)."""
    text = (value or "").strip()
    if not text or text.casefold() in ("botox", "onabotulinumtoxina"):
        return ToxinProduct.ONABOTULINUMTOXINA
    for product in ToxinProduct:
        if product.value.casefold() == text.casefold():
            return product
    return ToxinProduct.OTHER


PRODUCT_LABELS: dict[ToxinProduct, str] = {
    ToxinProduct.ONABOTULINUMTOXINA: "onabotulinumtoxinA (BOTOX)",
    ToxinProduct.ABOBOTULINUMTOXINA: "abobotulinumtoxinA (Dysport)",
    ToxinProduct.INCOBOTULINUMTOXINA: "incobotulinumtoxinA (Xeomin)",
    ToxinProduct.PRABOTULINUMTOXINA: "prabotulinumtoxinA (Jeuveau)",
    ToxinProduct.DAXIBOTULINUMTOXINA: "daxibotulinumtoxinA (Daxxify)",
    ToxinProduct.LETIBOTULINUMTOXINA: "letibotulinumtoxinA (Letybo)",
    ToxinProduct.RIMABOTULINUMTOXINB: "rimabotulinumtoxinB (Myobloc)",
    ToxinProduct.OTHER: "another botulinum toxin product",
}
