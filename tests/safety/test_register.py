"""The adverse-event register: seriousness, relatedness, outcome, region, actions, sites to avoid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cephalog.safety import actions, queries
from cephalog.safety.models import AdverseEvent, SafetyAlert, Seriousness, Source
from cephalog.treatment.models import Session
from tests.personas import Cast, client_for


def _tbody(body: str) -> str:
    return body[body.index("<tbody>") : body.index("</tbody>")]


def test_a_clinician_records_an_event_with_sites_to_avoid(cast: Cast, session3: Session) -> None:
    onset = session3.date + dt.timedelta(days=2)
    response = client_for(cast, "physician").post(
        reverse("safety-event-new", args=[cast.patient.pk]),
        {
            "symptom": "brow_ptosis",
            "onset": onset.isoformat(),
            "severity": "moderate",
            "session": session3.pk,
            "region": "",
            "site_codes": ["frontalis-L-1", "frontalis-R-1"],
            "seriousness": [],
            "relatedness": "related",
            "outcome": "recovering",
            "actions": "Avoid lower frontalis sites next time.",
            "avoid_sites": ["frontalis-L-1", "frontalis-R-1"],
        },
    )
    assert response.status_code == 302, response.content.decode()
    event = AdverseEvent.objects.get(patient=cast.patient)
    assert event.source == Source.CLINIC
    assert event.recorded_by == cast.physician
    assert event.region == "frontalis"  # from the sites
    assert not event.serious
    assert not event.red_flag
    avoid = queries.avoid_sites_for(cast.patient)
    assert [code for code, _ in avoid] == ["frontalis-L-1", "frontalis-R-1"]
    assert "Brow ptosis" in avoid[0][1]
    assert "Avoid lower frontalis" in avoid[0][1]
    body = _tbody(client_for(cast, "nurse").get(reverse("safety-register")).content.decode())
    assert "Brow ptosis" in body
    assert "MRN-1001" in body
    other = client_for(cast, "other_physician").get(reverse("safety-register")).content.decode()
    assert "Brow ptosis" not in _tbody(other)
    assert "MRN-1001" not in other


def test_seriousness_and_outcome_must_agree(cast: Cast, session3: Session) -> None:
    with pytest.raises(ValidationError) as error:
        actions.record_adverse_event(
            patient=cast.patient,
            user=cast.physician,
            symptom="dysphagia",
            onset=session3.date,
            severity="severe",
            outcome="fatal",
        )
    assert "seriousness" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        actions.record_adverse_event(
            patient=cast.patient,
            user=cast.physician,
            symptom="neck_pain",
            onset=session3.date - dt.timedelta(days=1),
            severity="mild",
            session=session3,
            site_codes=["nowhere-L-9"],
        )
    assert set(error.value.message_dict) == {"session", "site_codes"}
    assert not AdverseEvent.objects.exists()


def test_a_serious_red_flag_from_the_clinic_raises_an_alert(cast: Cast, session3: Session) -> None:
    event = actions.record_adverse_event(
        patient=cast.patient,
        user=cast.nurse,
        symptom="dysphagia",
        onset=session3.date + dt.timedelta(days=2),
        severity="severe",
        seriousness=[Seriousness.HOSPITALISATION],
        session=session3,
    )
    assert event.serious
    assert event.red_flag
    assert SafetyAlert.objects.filter(event=event, acknowledged_at__isnull=True).exists()


def test_editing_a_patient_report_keeps_its_source(cast: Cast, session3: Session) -> None:
    from cephalog.safety.actions import ReportedSymptom

    (event,) = actions.report_side_effect(
        patient=cast.patient,
        symptoms=[ReportedSymptom("neck_pain", session3.date + dt.timedelta(days=1), "mild", True)],
    ).events
    url = reverse("safety-event-edit", args=[cast.patient.pk, event.pk])
    client = client_for(cast, "physician")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "symptom": "neck_pain",
            "onset": event.onset.isoformat(),
            "severity": "mild",
            "session": session3.pk,
            "relatedness": "possibly",
            "outcome": "recovered",
            "resolved_on": (event.onset + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    event.refresh_from_db()
    assert event.source == Source.PATIENT
    assert event.relatedness == "possibly"
    assert event.resolved_on is not None


def test_register_filters(cast: Cast, session3: Session) -> None:
    for symptom, severity in (("neck_pain", "mild"), ("dysphagia", "severe")):
        actions.record_adverse_event(
            patient=cast.patient,
            user=cast.physician,
            symptom=symptom,
            onset=session3.date,
            severity=severity,
        )
    client = client_for(cast, "clinic_admin")
    body = _tbody(client.get(reverse("safety-register"), {"red_flag": "yes"}).content.decode())
    assert "Dysphagia" in body
    assert "Neck pain" not in body
    body = _tbody(client.get(reverse("safety-register"), {"symptom": "neck_pain"}).content.decode())
    assert "Neck pain" in body
    assert "red flag</span>" not in body


def test_events_between_is_inclusive_and_ordered(cast: Cast, session3: Session) -> None:
    start = session3.date - dt.timedelta(days=7)  # every onset up to today
    for days in (0, 5, 6):
        actions.record_adverse_event(
            patient=cast.patient,
            user=cast.physician,
            symptom="neck_pain",
            onset=start + dt.timedelta(days=days - 1),
            severity="mild",
        )
    rows = queries.events_between(cast.patient, start, start + dt.timedelta(days=4))
    assert [r.onset for r in rows] == [start + dt.timedelta(days=4)]
    rows = queries.events_between(
        cast.patient, start - dt.timedelta(days=1), start + dt.timedelta(days=5)
    )
    assert [r.onset for r in rows] == [
        start - dt.timedelta(days=1),
        start + dt.timedelta(days=4),
        start + dt.timedelta(days=5),
    ]
    assert rows[0].label == "Neck pain"


def _new_event_form(cast: Cast, **fields: str) -> dict[str, str]:
    return {"severity": "mild", "outcome": "unknown", "relatedness": "", **fields}


def test_an_event_cannot_start_or_resolve_in_the_future(cast: Cast, session3: Session) -> None:
    """A mistyped year (2027 for 2026) was stored as an onset months ahead."""
    from cephalog.core.time import patient_today

    today = patient_today(cast.patient)
    client = client_for(cast, "nurse")
    url = reverse("safety-event-new", args=[cast.patient.pk])
    response = client.post(
        url,
        _new_event_form(
            cast, symptom="dizziness", onset=(today + dt.timedelta(days=104)).isoformat()
        ),
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    response = client.post(
        url,
        _new_event_form(
            cast,
            symptom="dizziness",
            onset=today.isoformat(),
            outcome="recovered",
            resolved_on=(today + dt.timedelta(days=1)).isoformat(),
        ),
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not AdverseEvent.objects.exists()
    with pytest.raises(ValidationError) as error:
        actions.record_adverse_event(
            patient=cast.patient,
            user=cast.physician,
            symptom="neck_pain",
            onset=today + dt.timedelta(days=1),
            severity="mild",
        )
    assert set(error.value.message_dict) == {"onset"}
    # Today is fine.
    actions.record_adverse_event(
        patient=cast.patient, user=cast.physician, symptom="neck_pain", onset=today, severity="mild"
    )
    assert AdverseEvent.objects.count() == 1


def test_the_event_form_does_not_preselect_a_red_flag_symptom(
    cast: Cast, session3: Session
) -> None:
    """The symptom list starts with dysphagia: a form sent without choosing one recorded a
    red-flag dysphagia event and raised an alert."""
    client = client_for(cast, "nurse")
    url = reverse("safety-event-new", args=[cast.patient.pk])
    body = client.get(url).content.decode()
    select = body[
        body.index('name="symptom"') : body.index("</select>", body.index('name="symptom"'))
    ]
    assert '<option value="" selected>Choose the symptom</option>' in select
    response = client.post(url, _new_event_form(cast, onset=session3.date.isoformat()))
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    # The refusal is said above the form too (the field may be off a phone's screen).
    body = response.content.decode()
    summary = body.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Not saved: please check" in summary
    assert 'href="#id_symptom"' in summary
    assert body.index("error-summary") < body.index("event-form")
    assert not AdverseEvent.objects.exists()
    assert not SafetyAlert.objects.exists()


def test_the_date_beside_an_outcome_says_it_is_when_it_resolved(
    cast: Cast, session3: Session
) -> None:
    """Staff walk, 7 Dec 2026: the register's outcome column read "Recovered (6 Dec)" and
    "Unknown (22 Nov)": a bare date that could be the onset, the report or the review."""
    resolved = session3.date + dt.timedelta(days=1)
    actions.record_adverse_event(
        patient=cast.patient,
        user=cast.physician,
        symptom="neck_pain",
        onset=session3.date,
        severity="mild",
        outcome="recovered",
        resolved_on=resolved,
    )
    client = client_for(cast, "nurse")
    body = _tbody(client.get(reverse("safety-register")).content.decode())
    assert f"Recovered (resolved {resolved.day} {resolved:%b})" in body
    mine = client.get(reverse("safety-patient-events", args=[cast.patient.pk])).content.decode()
    assert f"(resolved {resolved.day} {resolved:%b %Y})" in mine
