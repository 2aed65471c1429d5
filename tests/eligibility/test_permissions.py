"""Who may open every eligibility URL: the patient's clinic staff (by role), the patient
their own plain-language page; everyone else is refused without seeing the patient."""

from __future__ import annotations

import datetime as dt

from cephalog.eligibility.models import (
    FlagSignOff,
    Medication,
    Preventive,
    StartDecision,
    ToxinExposure,
)
from tests.personas import ALL_PERSONAS, STAFF, Cast, assert_allowed, assert_refused

SECRETS = ("Quill", "MRN-1001")
OUTSIDERS = ("anonymous", "patient_user", "other_patient_user", "other_physician")


def test_it_shows_the_staff_pages_to_the_clinics_staff_only(
    cast: Cast, overuse_case: dt.date
) -> None:
    base = f"/clinic/patients/{cast.patient.pk}/"
    pages = [
        "consultation/",
        "eligibility/",
        "eligibility/?policy=us-payer",
        "eligibility/letter/",
        "eligibility/letter.pdf",
        f"consultation/preventives/{Preventive.objects.first().pk}/",  # type: ignore[union-attr]
    ]
    Medication.objects.create(patient=cast.patient, name="omeprazole", drug_class="other")
    pages.append(f"consultation/medicines/{Medication.objects.get().pk}/")
    for page in pages:
        assert_refused(cast, base + page, OUTSIDERS, secrets=SECRETS)
    for page in pages[:4]:
        assert_allowed(cast, base + page, STAFF, contains="Ada Quill")
    # Editing pages are for physicians and nurses.
    assert_refused(cast, base + pages[5], ["clinic_admin"], secrets=SECRETS)
    assert_allowed(cast, base + pages[5], ["physician", "nurse"])


def test_it_refuses_every_write_to_outsiders(cast: Cast, overuse_case: dt.date) -> None:
    base = f"/clinic/patients/{cast.patient.pk}/"
    preventive = Preventive.objects.first()
    assert preventive is not None
    exposure = ToxinExposure.objects.create(
        patient=cast.patient, date=dt.date(2026, 1, 1), units=50, indication="spasticity"
    )
    medication = Medication.objects.create(patient=cast.patient, name="x", drug_class="other")
    writes = {
        "consultation/history/": {"hist-migraine_onset_year": "2000"},
        "consultation/preventives/": {"prev-name": "pizotifen", "prev-outcome": "effective"},
        f"consultation/preventives/{preventive.pk}/": {"prev-name": "x", "prev-outcome": "ongoing"},
        f"consultation/preventives/{preventive.pk}/remove/": {},
        "consultation/medicines/": {"med-name": "baclofen"},
        f"consultation/medicines/{medication.pk}/remove/": {},
        "consultation/cautions/": {"caut-toxin_allergy": "on"},
        "consultation/toxin/": {"exp-date": "2026-01-01", "exp-units": "5", "exp-indication": "x"},
        f"consultation/toxin/{exposure.pk}/remove/": {},
    }
    for path, data in writes.items():
        assert_refused(
            cast, base + path, (*OUTSIDERS, "clinic_admin"), method="post", data=data,
            secrets=SECRETS,
        )  # fmt: skip
    sign = {"policy": "us-label", "flag": "medication_overuse", "reason": "ok"}
    decide = {"policy": "nice-ta260", "override_reason": "ok"}
    for path, data in (("eligibility/sign-off/", sign), ("eligibility/decide/", decide)):
        assert_refused(
            cast, base + path, (*OUTSIDERS, "nurse", "clinic_admin"), method="post", data=data,
            secrets=SECRETS,
        )  # fmt: skip
    assert Preventive.objects.filter(pk=preventive.pk, name="topiramate").exists()
    assert ToxinExposure.objects.filter(pk=exposure.pk).exists()
    assert not cast.patient.allergies.exists()
    assert not FlagSignOff.objects.exists()
    assert not StartDecision.objects.exists()


def test_it_refuses_another_clinics_patient_to_this_clinics_staff(cast: Cast) -> None:
    base = f"/clinic/patients/{cast.other_clinic_patient.pk}/"
    for page in ("consultation/", "eligibility/", "eligibility/letter/", "eligibility/letter.pdf"):
        assert_refused(cast, base + page, STAFF, secrets=("Vantablack", "Y-77"))


def test_it_shows_the_plain_page_to_patients_only(cast: Cast, overuse_case: dt.date) -> None:
    assert_refused(cast, "/me/eligibility/", ["anonymous", *STAFF, "other_physician"])
    assert_allowed(cast, "/me/eligibility/", ["patient_user"], contains="Can I have Botox")
    # Brook sees Brook's page at the same address, nothing of Ada's.
    assert_allowed(cast, "/me/eligibility/", ["other_patient_user"])
    assert_refused(cast, "/me/eligibility/", [], secrets=SECRETS)


def test_it_lets_staff_read_and_admins_change_the_policies(cast: Cast) -> None:
    assert_refused(cast, "/clinic/policies/", ["anonymous", "patient_user", "other_patient_user"])
    assert_allowed(cast, "/clinic/policies/", STAFF, contains="nice-ta260")
    # Another clinic's physician sees their own clinic, never Leeds'.
    assert_allowed(cast, "/clinic/policies/", ["other_physician"], contains="York Neurology")
    assert_refused(cast, "/clinic/policies/?clinic=leeds", ["other_physician"], secrets=["Leeds"])
    admin_pages = ("/clinic/policies/leeds/new/",)
    for page in admin_pages:
        assert_refused(cast, page, [p for p in ALL_PERSONAS if p != "clinic_admin"])
        assert_allowed(cast, page, ["clinic_admin"])
    assert_refused(
        cast, "/clinic/policies/leeds/default/",
        [p for p in ALL_PERSONAS if p != "clinic_admin"], method="post",
        data={"default_policy": "us-label"},
    )  # fmt: skip
    cast.clinic.refresh_from_db()
    assert cast.clinic.default_policy == "nice-ta260"
