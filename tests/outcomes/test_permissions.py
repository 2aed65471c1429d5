"""Who may open or post to every outcomes URL; refusals never show the patient's name or MRN."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cephalog.outcomes.models import BridgingTreatment, ContinuationDecision
from tests.outcomes.helpers import write_history
from tests.personas import ALL_PERSONAS, STAFF, Cast, assert_allowed, assert_refused, client_for

NOW = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def seeded(cast: Cast, time_machine: Any) -> Cast:
    time_machine.move_to(NOW, tick=False)
    write_history(cast.patient)
    return cast


def secrets(cast: Cast) -> list[str]:
    return [cast.patient.full_name, cast.patient.mrn]


def others(allowed: tuple[str, ...]) -> list[str]:
    return [p for p in ALL_PERSONAS if p not in allowed]


@pytest.mark.parametrize(
    ("suffix", "allowed"),
    [
        ("outcomes/", STAFF),
        ("outcomes/?policy=ehf-2018", STAFF),
        ("cycle-summary/", STAFF),
        ("cycle-summary.pdf", STAFF),
        ("renewal-letter.pdf", STAFF),
        ("outcomes/questionnaires/hit6/", ("nurse", "physician")),
        ("outcomes/questionnaires/midas/", ("nurse", "physician")),
    ],
)
def test_patient_pages(seeded: Cast, suffix: str, allowed: tuple[str, ...]) -> None:
    url = f"/clinic/patients/{seeded.patient.pk}/{suffix}"
    assert_refused(seeded, url, others(allowed), secrets=secrets(seeded))
    for persona in allowed:
        assert client_for(seeded, persona).get(url).status_code == 200, persona


def test_an_unknown_questionnaire_is_not_found(seeded: Cast) -> None:
    url = f"/clinic/patients/{seeded.patient.pk}/outcomes/questionnaires/msq/"
    assert client_for(seeded, "nurse").get(url).status_code == 404


def test_posting_a_decision(seeded: Cast) -> None:
    url = f"/clinic/patients/{seeded.patient.pk}/outcomes/decision/"
    data = {"policy": "nice-ta260", "decision": "stop", "reason": "Not helping."}
    assert_refused(
        seeded, url, others(("physician",)), method="post", data=data, secrets=secrets(seeded)
    )
    assert not ContinuationDecision.objects.exists()
    assert client_for(seeded, "physician").post(url, data).status_code == 302


def test_posting_a_bridging_treatment(seeded: Cast) -> None:
    url = f"/clinic/patients/{seeded.patient.pk}/outcomes/bridging/"
    data = {"date": "2026-05-01", "kind": "nerve_block", "notes": "Greater occipital, left."}
    allowed = ("nurse", "physician")
    assert_refused(seeded, url, others(allowed), method="post", data=data, secrets=secrets(seeded))
    assert not BridgingTreatment.objects.exists()
    assert client_for(seeded, "nurse").post(url, data).status_code == 302
    assert BridgingTreatment.objects.get().kind == "nerve_block"


def test_the_other_clinics_patient_is_not_found(seeded: Cast) -> None:
    other = seeded.other_clinic_patient
    for suffix in ("outcomes/", "cycle-summary/", "cycle-summary.pdf", "renewal-letter.pdf"):
        assert_refused(
            seeded,
            f"/clinic/patients/{other.pk}/{suffix}",
            ("physician", "nurse", "clinic_admin"),
            secrets=[other.full_name, other.mrn],
        )


@pytest.mark.parametrize("url", ["/clinic/dashboard/", "/clinic/cohort/", "/clinic/cohort.csv"])
def test_clinic_pages(seeded: Cast, url: str) -> None:
    assert_refused(
        seeded, url, ("anonymous", "patient_user", "other_patient_user"), secrets=secrets(seeded)
    )
    assert_allowed(seeded, url, STAFF)
    # staff of another clinic see their own clinic only
    body = client_for(seeded, "other_physician").get(url).content.decode()
    for secret in secrets(seeded):
        assert secret not in body


def test_content_packs_are_for_clinic_admins(seeded: Cast) -> None:
    assert_refused(seeded, "/clinic/content-packs/", others(("clinic_admin",)))
    assert_allowed(seeded, "/clinic/content-packs/", ("clinic_admin",))


@pytest.mark.parametrize(
    ("url", "title"), [("/me/progress/", "My progress"), ("/me/questionnaires/", "Questionnaires")]
)
def test_patient_only_pages(seeded: Cast, url: str, title: str) -> None:
    assert_refused(seeded, url, ("anonymous", *STAFF, "other_physician"), secrets=secrets(seeded))
    assert_allowed(seeded, url, ("patient_user",), contains=title)
    other = client_for(seeded, "other_patient_user").get(url).content.decode()
    assert seeded.patient.full_name not in other
