"""Clinic configuration: protocol templates and aftercare text stay within the rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cephalog.treatment import actions
from cephalog.treatment.models import AftercareText, InjectorTraining, ProtocolTemplate
from tests.personas import Cast
from tests.treatment.helpers import preempt, start


def template(cast: Cast, **definition: object) -> ProtocolTemplate:
    d = {"ftp_caps": {"temporalis": 2}, "max_units": 165, "max_sites": 33, **definition}
    return ProtocolTemplate(clinic=cast.clinic, name="temporal", title="Temporal FTP", definition=d)


def test_it_accepts_a_template_that_narrows_preempt(cast: Cast) -> None:
    t = template(cast)
    t.full_clean()
    t.save()
    session = start(cast.patient, cast.physician, protocol_key="clinic:temporal")
    assert session.protocol == "clinic:temporal"
    assert session.protocol_definition["max_units"] == 165
    actions.record_sites(
        session=session, by=cast.physician, sites=preempt(["temporalis-L-5", "temporalis-R-5"])
    )
    with pytest.raises(
        actions.SessionError, match="allows no follow-the-pain sites in occipitalis"
    ):
        actions.record_sites(session=session, by=cast.physician, sites=preempt(["occipitalis-L-4"]))


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"ftp_caps": {"frontalis": 1}}, "only in temporalis, occipitalis and trapezius"),
        ({"ftp_caps": {"trapezius": 5}}, "at most 4 extra sites"),
        ({"max_units": 200}, "max_units"),
        ({"max_sites": 40}, "max_sites"),
        ({"ftp_caps": {"nose": 1}}, "unknown muscle"),
        ({"max_units": "lots"}, "whole number"),
    ],
)
def test_it_refuses_a_template_that_widens_preempt(
    cast: Cast, definition: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        template(cast, **definition).full_clean()


def test_it_refuses_aftercare_text_that_drops_the_label_warnings(cast: Cast) -> None:
    text = AftercareText(
        clinic=cast.clinic,
        items=[{"key": "tea", "text": "Have a cup of tea.", "evidence": "optional_precaution"}],
    )
    with pytest.raises(ValidationError, match="warning_signs"):
        text.full_clean()


def test_it_refuses_an_unknown_evidence_label(cast: Cast) -> None:
    text = AftercareText(clinic=cast.clinic, items=[{"key": "x", "text": "y", "evidence": "folk"}])
    with pytest.raises(ValidationError, match="label_guidance or optional_precaution"):
        text.full_clean()


def test_it_keeps_training_records_for_the_clinics_injectors_only(cast: Cast) -> None:
    record = InjectorTraining(
        clinic=cast.clinic, user=cast.other_physician, course="PREEMPT", completed_on="2020-01-01"
    )
    with pytest.raises(ValidationError, match="physician or nurse of this clinic"):
        record.full_clean()
