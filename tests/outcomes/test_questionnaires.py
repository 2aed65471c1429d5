"""HIT-6 and MIDAS: scored by the domain from item values, errors naming the item, entered by
the patient or by staff, wording shown only from a clinic's content pack."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cephalog.audit.models import AuditEvent
from cephalog.outcomes import actions
from cephalog.outcomes.models import QuestionnaireResponse
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 12)
FIXTURES = Path(__file__).parent / "fixtures"
HIT6 = {"hit6_1": 13, "hit6_2": 11, "hit6_3": 11, "hit6_4": 10, "hit6_5": 10, "hit6_6": 8}


@pytest.fixture(autouse=True)
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def record(cast: Cast, instrument: str, items: dict[str, Any], **kw: Any) -> QuestionnaireResponse:
    return actions.record_questionnaire(
        patient=cast.patient,
        by=kw.pop("by", cast.nurse),
        instrument=instrument,
        items=items,
        completed_on=kw.pop("completed_on", TODAY),
        source=kw.pop("source", "staff"),
        **kw,
    )


def test_it_scores_hit6_and_midas_with_the_domain(cast: Cast) -> None:
    hit6 = record(cast, "hit6", HIT6)
    assert (hit6.total, hit6.band) == (63, "severe_impact")
    midas = record(
        cast,
        "midas",
        {"midas_1": 3, "midas_2": 4, "midas_3": 2, "midas_4": 1, "midas_5": 2, "midas_a": 40},
    )
    assert (midas.total, midas.band) == (12, "III")
    assert midas.items["midas_a"] == 40
    event = AuditEvent.objects.filter(category="questionnaire").first()
    assert event is not None
    assert event.detail["instrument"] in ("hit6", "midas")


def test_errors_name_the_item(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        record(cast, "hit6", {**HIT6, "hit6_4": 7, "hit6_6": None})
    messages = error.value.message_dict
    assert messages["hit6_4"] == ["hit6_4: must be one of 6, 8, 10, 11, 13, got 7"]
    assert messages["hit6_6"] == ["hit6_6: missing; the HIT-6 total needs all 6 items"]
    with pytest.raises(ValidationError) as error:
        record(
            cast,
            "midas",
            {
                "midas_1": 50,
                "midas_2": 45,
                "midas_3": 0,
                "midas_4": 0,
                "midas_5": 91,
                "midas_b": 11,
            },
        )
    messages = error.value.message_dict
    assert "midas_5: must be a whole number of days from 0 to 90, got 91" in messages["midas_5"]
    assert messages["midas_2"][0].startswith("midas_2: midas_1 + midas_2 must not exceed 90 days")
    assert messages["midas_b"] == ["midas_b: must be a whole number from 0 to 10, got 11"]
    with pytest.raises(ValidationError, match="not an item of hit6"):
        record(cast, "hit6", {**HIT6, "hit6_7": 6})
    assert not QuestionnaireResponse.objects.exists()


def test_one_per_instrument_per_day(cast: Cast) -> None:
    record(cast, "hit6", HIT6)
    with pytest.raises(ValidationError, match="already recorded"):
        record(cast, "hit6", HIT6)


def test_only_the_patient_or_clinical_staff_enter(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        record(cast, "hit6", HIT6, by=cast.clinic_admin)
    with pytest.raises(PermissionDenied):
        record(cast, "hit6", HIT6, by=cast.other_patient_user, source="patient")
    assert record(cast, "hit6", HIT6, by=cast.patient_user, source="patient").source == "patient"


def test_staff_enter_item_values_on_the_page(cast: Cast) -> None:
    url = f"/clinic/patients/{cast.patient.pk}/outcomes/questionnaires/hit6/"
    client = client_for(cast, "nurse")
    page = client.get(url).content.decode()
    assert "ships no questionnaire wording" in page
    assert "Item 1 (hit6_1)" in page
    data = {f"hit6-{k}": str(v) for k, v in HIT6.items()}
    data["hit6-completed_on"] = "2026-05-10"
    bad = client.post(url, {**data, "hit6-hit6_2": ""})
    assert bad.status_code == 400
    assert "Missing; the HIT-6 total needs all 6 items" in bad.content.decode()
    response = client.post(url, data)
    assert response.status_code == 302
    row = QuestionnaireResponse.objects.get()
    assert (row.total, row.completed_on, row.source) == (63, dt.date(2026, 5, 10), "staff")


def test_the_patient_enters_values_and_sees_wording_only_from_a_pack(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    page = client.get("/me/questionnaires/").content.decode()
    assert "Invented question" not in page
    assert "choose the number printed next to your answer" in page
    actions.load_content_pack(
        clinic=cast.clinic,
        by=cast.clinic_admin,
        raw=(FIXTURES / "invented-hit6-pack.json").read_bytes(),
    )
    page = client.get("/me/questionnaires/").content.decode()
    assert "Invented question one: how often did a purple kettle whistle?" in page
    assert "Invented: all the while" in page
    data = {"instrument": "hit6", **{f"hit6-{k}": str(v) for k, v in HIT6.items()}}
    response = client.post("/me/questionnaires/", data)
    assert response.status_code == 302
    row = QuestionnaireResponse.objects.get()
    assert (row.source, row.completed_on, row.total) == ("patient", TODAY, 63)
    assert row.content_pack is not None
    assert "score is 63" in client.get("/me/questionnaires/").content.decode()


def test_the_patient_reads_what_to_correct_in_her_words(cast: Cast) -> None:
    """A half-filled form told her "hit6_3: missing; the HIT-6 total needs all 6 items" and
    "midas_1: must be a whole number of days from 0 to 90, got 100": item codes, and only
    beside the fields below the fold. Now: a summary on top, questions by their number."""
    client = client_for(cast, "patient_user")
    partial = {"instrument": "hit6", "hit6-hit6_1": "13", "hit6-hit6_2": "11"}
    page = client.post("/me/questionnaires/", partial).content.decode()
    assert "Please check the answers" in page
    assert "Nothing has been saved yet" in page
    assert "Please choose an answer: the score needs all 6 questions." in page
    assert "hit6_3:" not in page
    assert "missing;" not in page
    midas = {
        "instrument": "midas",
        "midas-midas_1": "100",
        "midas-midas_2": "2",
        "midas-midas_3": "50",
        "midas-midas_4": "60",
    }
    page = client.post("/me/questionnaires/", midas).content.decode()
    assert "must be a whole number of days from 0 to 90 (you typed 100)" in page
    assert "Please give a number of days (0 if none): the score needs questions 1 to 5." in page
    assert (
        "Questions 3 and 4 together must not be more than 90 days: question 4 leaves out the "
        "days counted in question 3 (you gave 50 + 60)." in page
    )
    assert ", got" not in page
    assert "items" not in page
    client.post(
        "/me/questionnaires/",
        {"instrument": "hit6", **{f"hit6-{k}": str(v) for k, v in HIT6.items()}},
    )
    again = client.post(
        "/me/questionnaires/",
        {"instrument": "hit6", **{f"hit6-{k}": str(v) for k, v in HIT6.items()}},
    ).content.decode()
    assert "You have already sent this questionnaire today." in again
    assert "hit6 for" not in again
    assert QuestionnaireResponse.objects.count() == 1


def test_the_due_dates_come_from_the_treatment_calendar(cast: Cast) -> None:
    from cephalog.treatment.models import Session

    Session.objects.create(
        patient=cast.patient, date=dt.date(2026, 2, 24), status="completed", total_units=155
    )
    page = client_for(cast, "patient_user").get("/me/questionnaires/").content.decode()
    # next session due 2026-05-19 (+84 days), earliest 2026-05-12 (+77); questionnaires from
    # 7 days before the earliest date until the session
    assert "from 5 May to 19 May, before your next treatment" in page
    # The treatment plan says the same window.
    plan = client_for(cast, "patient_user").get("/me/calendar/").content.decode()
    assert '<span class="plan-when">5 May to 19 May</span>' in plan


def test_the_patient_sees_the_clinics_plain_label_of_each_item(cast: Cast) -> None:
    from cephalog.outcomes.models import ItemLabel

    ItemLabel.objects.create(clinic=cast.clinic, item_key="hit6_1", label="Severe pain")
    ItemLabel.objects.create(clinic=cast.clinic, item_key="midas_1", label="Days off work")
    ItemLabel.objects.create(clinic=cast.other_clinic, item_key="hit6_2", label="Not ours")
    page = client_for(cast, "patient_user").get("/me/questionnaires/").content.decode()
    assert "Question 1: Severe pain" in page
    assert "Question 1: Days off work" in page
    assert "Question 2</legend>" in page  # no label: the number only
    assert "Not ours" not in page
    assert "(hit6_1)" not in page  # no codes for patients
    staff = client_for(cast, "nurse").get(
        f"/clinic/patients/{cast.patient.pk}/outcomes/questionnaires/hit6/"
    )
    assert "Item 1 (hit6_1): Severe pain" in staff.content.decode()


def test_staff_see_the_clinics_wording_when_loaded(cast: Cast) -> None:
    actions.load_content_pack(
        clinic=cast.clinic,
        by=cast.clinic_admin,
        raw=(FIXTURES / "invented-midas-pack.json").read_bytes(),
    )
    url = f"/clinic/patients/{cast.patient.pk}/outcomes/questionnaires/midas/"
    page = client_for(cast, "physician").get(url).content.decode()
    assert "Invented count one: days the lighthouse kept you home" in page
    assert "INVENTED test wording" in page  # the licence note
    other = client_for(cast, "other_physician").get(
        f"/clinic/patients/{cast.other_clinic_patient.pk}/outcomes/questionnaires/midas/"
    )
    assert "Invented count one" not in other.content.decode()  # another clinic's pack


def test_a_clinic_admin_sets_the_plain_labels_on_a_page(cast: Cast) -> None:
    from cephalog.outcomes.models import ItemLabel

    admin = client_for(cast, "clinic_admin")
    page = admin.get("/clinic/questionnaire-labels/")
    assert page.status_code == 200
    saved = admin.post(
        "/clinic/questionnaire-labels/", {"hit6_1": "  Pain that  stops you ", "midas_1": ""}
    )
    assert saved.status_code == 302
    assert dict(ItemLabel.objects.values_list("item_key", "label")) == {
        "hit6_1": "Pain that stops you"
    }
    admin.post("/clinic/questionnaire-labels/", {"hit6_1": ""})
    assert not ItemLabel.objects.exists()
    assert client_for(cast, "nurse").get("/clinic/questionnaire-labels/").status_code == 404
    too_long = admin.post("/clinic/questionnaire-labels/", {"hit6_2": "x" * 81})
    assert too_long.status_code == 400


def test_a_missing_item_is_said_beside_it_without_its_key(cast: Cast) -> None:
    """Staff walk, 7 Dec 2026: under "Item 2 (hit6_2)" the page said "hit6_2: missing; the
    HIT-6 total needs all 6 items", the API's wording (which keeps the key)."""
    url = f"/clinic/patients/{cast.patient.pk}/outcomes/questionnaires/hit6/"
    data = {f"hit6-{k}": str(v) for k, v in HIT6.items()}
    data["hit6-completed_on"] = "2026-05-10"
    page = client_for(cast, "nurse").post(url, {**data, "hit6-hit6_2": "", "hit6-hit6_5": ""})
    body = page.content.decode()
    assert body.count("Missing; the HIT-6 total needs all 6 items") >= 2
    assert "hit6_2: missing" not in body
    assert "hit6_5: missing" not in body
