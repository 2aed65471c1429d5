"""The banner is on every staff page of the patient's clinic until a clinician acknowledges."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cephalog.domain.safety import Symptom
from cephalog.safety import actions
from cephalog.safety.actions import ReportedSymptom
from cephalog.safety.models import SafetyAlert, SafetySettings
from cephalog.treatment.models import Session
from tests.personas import Cast, client_for


def _alert(cast: Cast) -> SafetyAlert:
    alert = actions.report_side_effect(
        patient=cast.patient,
        symptoms=[ReportedSymptom(Symptom.DOUBLE_VISION, None, "severe", True)],
    ).alert
    assert alert is not None
    return alert


def _banner(body: str) -> str:
    start = body.find('class="safety-banner"')
    return body[start : body.find("</section>", start)] if start >= 0 else ""


def test_acknowledgement_removes_the_banner(cast: Cast, session3: Session) -> None:
    alert = _alert(cast)
    nurse = client_for(cast, "nurse")
    for url in (reverse("patient-list"), reverse("patient-chart", args=[cast.patient.pk])):
        banner = _banner(nurse.get(url).content.decode())
        assert 'role="alert"' in nurse.get(url).content.decode()
        assert "MRN-1001: Diplopia" in banner
        assert "Ada" not in banner
        assert "Quill" not in banner
        assert reverse("safety-alert", args=[alert.pk]) in banner
    response = client_for(cast, "physician").post(
        reverse("safety-alert", args=[alert.pk]), {"action_taken": "Phoned, advised A&E now"}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == cast.physician
    assert alert.action_taken == "Phoned, advised A&E now"
    assert _banner(nurse.get(reverse("patient-list")).content.decode()) == ""


def test_it_requires_the_action_taken(cast: Cast, session3: Session) -> None:
    alert = _alert(cast)
    response = client_for(cast, "physician").post(
        reverse("safety-alert", args=[alert.pk]), {"action_taken": "   "}
    )
    assert response.status_code == 200
    # Said under the heading too: the form is last on the page, below a phone's first screen.
    body = response.content.decode()
    summary = body.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Not saved: please check this" in summary
    assert f'href="#{"id_action_taken"}"' in summary
    assert body.index("error-summary") < body.index("ack-form")
    alert.refresh_from_db()
    assert alert.is_open


def test_only_clinicians_acknowledge(cast: Cast, session3: Session) -> None:
    alert = _alert(cast)
    url = reverse("safety-alert", args=[alert.pk])
    admin = client_for(cast, "clinic_admin")
    assert "MRN-1001" in admin.get(reverse("patient-list")).content.decode()  # sees the banner
    assert admin.post(url, {"action_taken": "noted"}).status_code == 403
    with pytest.raises(PermissionDenied):
        actions.acknowledge_alert(alert=alert, user=cast.other_physician, action_taken="x")
    # Nurses may, unless the clinic requires a physician.
    SafetySettings.objects.create(clinic=cast.clinic, physicians_only_acknowledge=True)
    assert client_for(cast, "nurse").post(url, {"action_taken": "phoned"}).status_code == 403
    SafetySettings.objects.filter(clinic=cast.clinic).update(physicians_only_acknowledge=False)
    assert client_for(cast, "nurse").post(url, {"action_taken": "phoned"}).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == cast.nurse


def test_only_the_patients_clinic_sees_the_alert(cast: Cast, session3: Session) -> None:
    alert = _alert(cast)
    other = client_for(cast, "other_physician")
    body = other.get(reverse("patient-list")).content.decode()
    assert _banner(body) == ""
    assert "MRN-1001" not in body
    assert other.get(reverse("safety-alert", args=[alert.pk])).status_code == 404
    assert "MRN-1001" not in other.get(reverse("safety-alerts")).content.decode()
    # Patients never see the staff banner.
    assert (
        _banner(
            client_for(cast, "patient_user").get(reverse("safety-side-effect")).content.decode()
        )
        == ""
    )


def test_a_banner_that_cannot_load_says_so_and_the_page_still_renders(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cephalog.safety import queries

    def broken(user: object) -> list[SafetyAlert]:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(queries, "open_alerts_for", broken)
    response = client_for(cast, "nurse").get(reverse("patient-list"))
    assert response.status_code == 200
    assert "Safety alerts could not be loaded" in response.content.decode()


def test_a_fresh_alert_reads_just_now_never_0_minutes(cast: Cast, session3: Session) -> None:
    """Staff read how long an alert has waited in words ("just now", "5 minutes ago"):
    the banner and the alerts page said "0 minutes ago" (Django's timesince)."""
    _alert(cast)
    nurse = client_for(cast, "nurse")
    banner = _banner(nurse.get(reverse("patient-list")).content.decode())
    assert "reported just now" in banner
    page = nurse.get(reverse("safety-alerts")).content.decode()
    assert "(just now)" in page
    assert "0 minutes" not in banner + page
