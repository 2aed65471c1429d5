"""The stored patient's case (`eligibility.case.build_case`) carries what the record holds."""

import datetime as dt

from cephalog.domain.vocab import ToxinProduct
from cephalog.eligibility.actions import add_toxin_exposure
from cephalog.eligibility.case import build_case
from tests.personas import Cast


def test_it_passes_each_toxin_exposures_product(cast: Cast) -> None:
    patient = cast.patient
    for day, product in ((1, "abobotulinumtoxinA"), (2, ""), (3, "incobotulinumtoxinA")):
        add_toxin_exposure(
            patient=patient,
            by=cast.nurse,
            date=dt.date(2026, 1, day),
            units=100,
            indication="cervical dystonia",
            product=product,
        )
    case = build_case(patient, dt.date(2026, 2, 1))
    assert [(e.date.day, e.product) for e in case.toxin_exposures] == [
        (1, ToxinProduct.ABOBOTULINUMTOXINA.value),
        (2, ToxinProduct.ONABOTULINUMTOXINA.value),  # none named: onabotulinumtoxinA (11.5)
        (3, ToxinProduct.INCOBOTULINUMTOXINA.value),
    ]
