"""The consultation record: history, preventives, medicines, cautions, other toxin
treatments; written through the actions with the domain's messages, with or without htmx."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from cephalog.audit.models import AuditEvent
from cephalog.eligibility.models import Allergy, Condition, Medication, Preventive, ToxinExposure
from tests.personas import Cast, client_for

TODAY = dt.date(2026, 3, 31)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def today(cast: Cast, at: Callable[[dt.date], None]) -> dt.date:
    at(TODAY)
    return TODAY


def url(cast: Cast, rest: str = "") -> str:
    return f"/clinic/patients/{cast.patient.pk}/consultation/{rest}"


def preventive(**data: str) -> dict[str, str]:
    base = {
        "prev-name": "",
        "prev-drug_class": "",
        "prev-dose": "",
        "prev-start": "",
        "prev-stop": "",
        "prev-outcome": "inadequate_response",
    }
    return {**base, **{f"prev-{k}": v for k, v in data.items()}}


def test_it_adds_a_preventive_with_its_class_from_the_catalogue(cast: Cast, today: dt.date) -> None:
    client = client_for(cast, "physician")
    response = client.post(
        url(cast, "preventives/"),
        preventive(name="Propranolol", dose="80 mg daily", start="2025-01-06", stop="2025-03-31"),
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/consultation/#preventives")
    row = Preventive.objects.get(patient=cast.patient)
    assert (row.name, row.drug_class, row.dose) == ("Propranolol", "beta_blocker", "80 mg daily")
    page = client.get(url(cast)).content.decode()
    assert "Beta blocker" in page
    assert "12 weeks" in page  # 6 Jan to 31 Mar: 84 days
    assert "Preventive added." in page


def test_it_asks_for_a_class_the_catalogue_does_not_know(cast: Cast, today: dt.date) -> None:
    response = client_for(cast, "nurse").post(
        url(cast, "preventives/"), preventive(name="Feverfew", start="2025-01-01")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "&quot;Feverfew&quot; is not in the catalogue; choose its class" in html
    assert 'aria-invalid="true"' in html
    assert not Preventive.objects.exists()
    client_for(cast, "nurse").post(
        url(cast, "preventives/"),
        preventive(name="Feverfew", drug_class="other", start="2025-01-01"),
    )
    assert Preventive.objects.get().drug_class == "other"


def test_it_refuses_a_stop_before_the_start_with_the_domain_message(
    cast: Cast, today: dt.date
) -> None:
    response = client_for(cast, "physician").post(
        url(cast, "preventives/"),
        preventive(name="topiramate", start="2024-05-01", stop="2024-01-01"),
    )
    assert "must not be before start 2024-05-01, got &quot;2024-01-01&quot;" in (
        response.content.decode()
    )
    assert not Preventive.objects.exists()


def test_it_swaps_only_the_section_with_htmx(cast: Cast, today: dt.date) -> None:
    client = client_for(cast, "physician")
    response = client.post(
        url(cast, "preventives/"), preventive(name="candesartan", outcome="ongoing"), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="preventives"')
    assert "<html" not in html
    assert "Preventive added." in html
    assert "ARB / ACE inhibitor" in html
    assert "still taking" in html
    refused = client.post(url(cast, "preventives/"), preventive(name=""), headers=HTMX)
    assert refused.status_code == 200  # htmx swaps 2xx only: the errors must show
    assert "This field is required." in refused.content.decode()


def test_it_edits_and_removes_a_preventive_keeping_an_audit_row(cast: Cast, today: dt.date) -> None:
    client = client_for(cast, "physician")
    client.post(url(cast, "preventives/"), preventive(name="topiramate", outcome="ongoing"))
    row = Preventive.objects.get()
    edit = client.get(url(cast, f"preventives/{row.pk}/"))
    assert 'value="topiramate"' in edit.content.decode()
    client.post(
        url(cast, f"preventives/{row.pk}/"),
        preventive(name="topiramate", start="2025-01-01", stop="2025-04-01", outcome="intolerance"),
    )
    row.refresh_from_db()
    assert (row.outcome, row.stop) == ("intolerance", dt.date(2025, 4, 1))
    client.post(url(cast, f"preventives/{row.pk}/remove/"))
    assert not Preventive.objects.exists()
    events = AuditEvent.objects.filter(object_ref=f"preventive:{row.pk}").order_by("id")
    assert [e.action for e in events if e.action != "read"] == ["create", "update", "delete"]
    assert events.filter(action="update").get().detail == {"fields": ["outcome", "start", "stop"]}
    # Another patient's preventive cannot be reached through this patient's URL.
    other = Preventive.objects.create(
        patient=cast.other_patient, name="x", drug_class="other", outcome="effective"
    )
    assert client.post(url(cast, f"preventives/{other.pk}/remove/")).status_code == 404
    assert Preventive.objects.filter(pk=other.pk).exists()


def test_it_highlights_interacting_medicines(cast: Cast, today: dt.date) -> None:
    client = client_for(cast, "physician")
    client.post(url(cast, "medicines/"), {"med-name": "Gentamicin", "med-start": "2026-03-20"})
    client.post(url(cast, "medicines/"), {"med-name": "omeprazole", "med-drug_class": "other"})
    client.post(
        url(cast, "medicines/"),
        {"med-name": "baclofen", "med-start": "2025-01-01", "med-stop": "2025-02-01"},
    )
    classes = dict(Medication.objects.values_list("name", "drug_class"))
    assert classes == {
        "Gentamicin": "aminoglycoside",
        "omeprazole": "other",
        "baclofen": "muscle_relaxant",
    }
    html = client.get(url(cast)).content.decode()
    assert html.count('<span class="flag">Interacts</span>') == 1  # baclofen is stopped
    refused = client.post(url(cast, "medicines/"), {"med-name": "paracetamol"})
    assert "is not in the catalogue; choose its class" in refused.content.decode()


def test_it_records_conditions_and_the_toxin_allergy(cast: Cast, today: dt.date) -> None:
    client = client_for(cast, "nurse")
    client.post(
        url(cast, "cautions/"),
        {
            "caut-conditions": ["myasthenia_gravis", "pregnancy"],
            "caut-toxin_allergy": "on",
            "caut-allergy_reaction": "urticaria 2019",
        },
    )
    assert set(Condition.objects.values_list("code", flat=True)) == {
        "myasthenia_gravis",
        "pregnancy",
    }
    assert Allergy.objects.get().reaction == "urticaria 2019"
    client.post(url(cast, "cautions/"), {"caut-conditions": ["myasthenia_gravis"]})
    pregnancy = Condition.objects.get(code="pregnancy")
    assert pregnancy.resolved_on == today
    assert not Allergy.objects.exists()
    html = client.get(url(cast)).content.decode()
    assert "Myasthenia gravis" in html
    bad = client.post(url(cast, "cautions/"), {"caut-conditions": ["hay_fever"]})
    assert "Select a valid choice" in bad.content.decode()


def test_it_records_other_toxin_treatments(cast: Cast, today: dt.date) -> None:
    client = client_for(cast, "physician")
    client.post(
        url(cast, "toxin/"),
        {
            "exp-date": "2026-02-10",
            "exp-product": "abobotulinumtoxinA",
            "exp-units": "500",
            "exp-indication": "cervical dystonia",
        },
    )
    exposure = ToxinExposure.objects.get()
    assert (exposure.units, exposure.product) == (500, "abobotulinumtoxinA")  # spec 11.5
    assert "cervical dystonia" in client.get(url(cast)).content.decode()
    client.post(url(cast, f"toxin/{exposure.pk}/remove/"))
    assert not ToxinExposure.objects.exists()


def test_it_saves_the_migraine_history(cast: Cast, today: dt.date) -> None:
    client = client_for(cast, "physician")
    refused = client.post(
        url(cast, "history/"),
        {"hist-migraine_onset_year": "1970", "hist-chronic_headache_since": "2027-01-01"},
    )
    html = refused.content.decode()
    assert "must be between the year of birth 1982 and 2026, got 1970" in html
    assert "must be between the date of birth and today, got 2027-01-01" in html
    client.post(
        url(cast, "history/"),
        {
            "hist-migraine_onset_year": "1999",
            "hist-migraine_with_aura": "on",
            "hist-chronic_headache_since": "2024-06-01",
            "hist-intractable": "on",
        },
    )
    cast.patient.refresh_from_db()
    assert cast.patient.migraine_onset_year == 1999
    assert cast.patient.migraine_with_aura
    assert cast.patient.intractable
    assert not cast.patient.status_migrainosus
    assert cast.patient.chronic_headache_since == dt.date(2024, 6, 1)


def test_it_shows_the_record_to_clinic_admins_without_the_forms(cast: Cast, today: dt.date) -> None:
    Preventive.objects.create(
        patient=cast.patient, name="topiramate", drug_class="antiepileptic", outcome="ongoing"
    )
    html = client_for(cast, "clinic_admin").get(url(cast)).content.decode()
    assert "topiramate" in html
    assert "Add a preventive" not in html
    assert "You can read this record" in html
    refused = client_for(cast, "clinic_admin").post(url(cast, "preventives/"), preventive(name="x"))
    assert refused.status_code == 404
