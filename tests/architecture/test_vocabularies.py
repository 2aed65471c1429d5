"""One source for each vocabulary (issue 20.5): the model choices are the domain's codes.

Each model's choices take their values from the domain's enum (`vocab.Intensity.MILD.value`);
this checks that none is missing or extra, in the same order, so a code added to the domain
cannot be refused by a form or a database check, and no stored code is unknown to the rules.
"""

from __future__ import annotations

from enum import StrEnum

import pytest
from django.db import models

from cephalog.diary import models as diary
from cephalog.domain import dosing, vocab
from cephalog.domain.decisions import DecisionKind
from cephalog.domain.safety import SYMPTOMS
from cephalog.domain.schedule import EventKind
from cephalog.eligibility import models as eligibility
from cephalog.outcomes import models as outcomes
from cephalog.safety import models as safety
from cephalog.scheduling import models as scheduling
from cephalog.treatment import models as treatment

MIRRORS: list[tuple[type[models.TextChoices], type[StrEnum]]] = [
    (diary.Intensity, vocab.Intensity),
    (diary.AcuteClass, vocab.AcuteClass),
    (eligibility.PreventiveClass, vocab.PreventiveClass),
    (eligibility.PreventiveOutcome, vocab.PreventiveOutcome),
    (eligibility.MedicationClass, vocab.MedicationClass),
    (eligibility.ConditionCode, vocab.Condition),
    (eligibility.AllergyCode, vocab.Allergy),
    (outcomes.Decision, DecisionKind),
    (treatment.SiteStatus, dosing.SiteStatus),
    (scheduling.AppointmentKind, EventKind),
]


@pytest.mark.parametrize(("choices", "domain"), MIRRORS, ids=lambda c: c.__qualname__)
def test_the_model_choices_are_the_domain_vocabulary(
    choices: type[models.TextChoices], domain: type[StrEnum]
) -> None:
    assert [str(c) for c in choices.values] == [d.value for d in domain]
    assert [c.name for c in choices] == [d.name for d in domain]


def test_the_symptom_choices_are_the_domain_symptoms() -> None:
    assert [value for value, _ in safety.SYMPTOM_CHOICES] == [s.value for s in SYMPTOMS]


def test_the_toxin_product_choices_are_the_domain_products() -> None:
    field = treatment.Session._meta.get_field("product")
    assert [value for value, _ in field.choices] == [p.value for p in vocab.ToxinProduct]


def test_the_allergy_field_takes_the_domain_allergies() -> None:
    field = eligibility.Allergy._meta.get_field("code")
    assert field.choices == eligibility.AllergyCode.choices
    assert field.default == vocab.Allergy.BOTULINUM_TOXIN
