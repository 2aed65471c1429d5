"""The patient's care team and aftercare pages."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from cephalog.treatment.models import AftercareText, InjectorTraining
from tests.personas import STAFF, Cast, assert_allowed, assert_refused, client_for
from tests.treatment.helpers import NOW, full_session, start


def test_it_tells_the_patient_about_their_care_team_in_plain_words(cast: Cast) -> None:
    cast.physician.first_name, cast.physician.last_name = "Alex", "Morgan"
    cast.physician.save()
    InjectorTraining.objects.create(
        clinic=cast.clinic,
        user=cast.physician,
        course="the PREEMPT injection course",
        provider="Allergan",
        completed_on=dt.date(2019, 5, 2),
    )
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=200))
    full_session(cast.other_patient, cast.physician, now=NOW - dt.timedelta(days=100))
    url = reverse("care-team")
    assert_allowed(cast, url, ["patient_user"], contains="Your care team")
    body = client_for(cast, "patient_user").get(url).content.decode()
    assert (
        "Dr Alex Morgan has given 2 Botox treatments for migraine since 2025 and trained on "
        "the PREEMPT injection course (Allergan) in 2019."
    ) in body
    assert "Has treated you once." in body
    assert "A nurse has not yet given Botox treatments" in body
    assert "nurse-joy" not in body  # never a login name
    assert "admin-ann" not in body
    assert_refused(cast, url, ["anonymous", *STAFF, "other_physician"])


def test_it_shows_the_aftercare_labelled_by_evidence(cast: Cast) -> None:
    session = full_session(cast.patient, cast.physician)
    url = reverse("session-aftercare", args=[session.pk])
    body = client_for(cast, "patient_user").get(url).content.decode()
    assert "trouble swallowing, speaking or" in body
    assert "do not drive" in body
    assert body.index("Label guidance") < body.index("Optional precaution")
    assert "No study shows this makes a" in body  # the 4-hour rule, marked optional
    # Only the patient, only their own completed session.
    assert_refused(cast, url, ["anonymous", "other_patient_user", *STAFF], secrets=["155 units"])
    open_session = start(cast.other_patient, cast.physician)
    url = reverse("session-aftercare", args=[open_session.pk])
    assert client_for(cast, "other_patient_user").get(url).status_code == 404


NORMAL_ACTIVITY = "Most people go back to their normal activities straight away."


def test_what_to_expect_is_information_not_a_precaution(cast: Cast) -> None:
    """ "Most people go back to their normal activities" restricts nothing: it is what to
    expect (the clinic's patient information), neither the label's advice nor a precaution
    (clinical-reference section 10), so it is said once, untagged, above the advice."""
    session = full_session(cast.patient, cast.physician)
    url = reverse("session-aftercare", args=[session.pk])
    body = client_for(cast, "patient_user").get(url).content.decode()
    assert body.count(NORMAL_ACTIVITY) == 1
    assert body.index(NORMAL_ACTIVITY) < body.index("Label guidance")
    assert f"Optional precaution</span> {NORMAL_ACTIVITY}" not in body
    assert f"Label guidance</span> {NORMAL_ACTIVITY}" not in body


def test_a_clinic_text_kept_from_before_does_not_tag_it_a_precaution(cast: Cast) -> None:
    from cephalog.domain.safety import DEFAULT_AFTERCARE

    items = [
        {"key": i.key, "text": i.text, "evidence": i.evidence.value} for i in DEFAULT_AFTERCARE
    ]
    # Saved when the sentence was one of the standard optional precautions.
    items.append(
        {"key": "normal_activity", "text": NORMAL_ACTIVITY, "evidence": "optional_precaution"}
    )
    AftercareText.objects.create(clinic=cast.clinic, items=items)
    session = full_session(cast.patient, cast.physician)
    url = reverse("session-aftercare", args=[session.pk])
    body = client_for(cast, "patient_user").get(url).content.decode()
    assert body.count(NORMAL_ACTIVITY) == 1
    assert f"Optional precaution</span> {NORMAL_ACTIVITY}" not in body


def test_it_shows_the_clinics_own_aftercare_text(cast: Cast) -> None:
    from cephalog.domain.safety import DEFAULT_AFTERCARE

    items = [
        {"key": i.key, "text": i.text, "evidence": i.evidence.value}
        for i in DEFAULT_AFTERCARE
        if i.evidence.value == "label_guidance"
    ]
    items.append({"key": "tea", "text": "Have a cup of tea.", "evidence": "optional_precaution"})
    text = AftercareText(clinic=cast.clinic, items=items)
    text.full_clean()
    text.save()
    session = full_session(cast.patient, cast.physician)
    body = (
        client_for(cast, "patient_user")
        .get(reverse("session-aftercare", args=[session.pk]))
        .content.decode()
    )
    assert "Have a cup of tea." in body
    assert "Some clinics suggest staying upright" not in body


def test_it_lists_the_patients_treatments_with_aftercare_links(cast: Cast) -> None:
    session = full_session(cast.patient, cast.physician)
    body = client_for(cast, "patient_user").get(reverse("my-sessions")).content.decode()
    assert reverse("session-aftercare", args=[session.pk]) in body
    other = client_for(cast, "other_patient_user").get(reverse("my-sessions")).content.decode()
    assert reverse("session-aftercare", args=[session.pk]) not in other
