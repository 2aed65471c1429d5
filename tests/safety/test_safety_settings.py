"""Clinic admins set the numbers patients see in the urgent guidance, and the red-flag alert
settings, on their own page (ADR 10): validated, audited, nothing stored on bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cephalog.accounts import actions as account_actions
from cephalog.accounts.models import Role
from cephalog.audit.models import AuditEvent
from cephalog.safety import actions, queries
from cephalog.safety.actions import phone_problem
from cephalog.safety.models import SafetySettings
from cephalog.treatment.models import Session
from tests.personas import Cast, assert_refused, client_for
from tests.safety.test_spread_triage import _report

URL = reverse("safety-settings")
GOOD = {
    "urgent_phone": "0113 496 0123",
    "out_of_hours_number": "111",
    "emergency_number": "999",
    "escalation_minutes": "20",
    "max_escalations": "4",
}


@pytest.mark.parametrize(
    ("number", "fine"),
    [
        ("999", True),
        ("111", True),
        ("+44 113 496 0000", True),
        ("(0113) 496-0000", True),
        ("12", False),  # too short
        ("call reception", False),
        ("0113 496 0000 ext 12", False),
        ("44+113", False),  # + not first
        ("+1234567890123456", False),  # 16 digits
    ],
)
def test_a_phone_number_is_one_a_patient_can_dial(number: str, fine: bool) -> None:
    assert (phone_problem(number, limit=40) is None) is fine


def test_the_action_stores_valid_numbers_and_audits_before_and_after(cast: Cast) -> None:
    changed = actions.update_safety_settings(
        clinic=cast.clinic,
        by=cast.clinic_admin,
        urgent_phone="  0113   496 0123 ",
        out_of_hours_number="111",
        escalation_minutes=15,
    )
    assert sorted(changed) == ["escalation_minutes", "out_of_hours_number", "urgent_phone"]
    row = SafetySettings.objects.get(clinic=cast.clinic)
    assert row.urgent_phone == "0113 496 0123"
    assert row.escalation_minutes == 15
    audit = AuditEvent.objects.get(category="safety_settings", action="update")
    assert audit.detail["before"]["urgent_phone"] == ""
    assert audit.detail["after"]["urgent_phone"] == "0113 496 0123"
    assert audit.clinic_id == cast.clinic.pk


def test_bad_input_stores_nothing_and_names_each_field(cast: Cast) -> None:
    actions.update_safety_settings(clinic=cast.clinic, by=cast.clinic_admin, urgent_phone="0113")
    with pytest.raises(ValidationError) as caught:
        actions.update_safety_settings(
            clinic=cast.clinic,
            by=cast.clinic_admin,
            urgent_phone="ring the desk",
            emergency_number="",
            escalation_minutes=0,
        )
    fields = caught.value.message_dict
    assert set(fields) == {"urgent_phone", "emergency_number", "escalation_minutes"}
    row = SafetySettings.objects.get(clinic=cast.clinic)
    assert (row.urgent_phone, row.emergency_number, row.escalation_minutes) == ("0113", "999", 30)
    assert AuditEvent.objects.filter(category="safety_settings").count() == 1


def test_only_a_clinic_admin_of_the_clinic_changes_them(cast: Cast) -> None:
    for user in (cast.physician, cast.nurse, cast.other_physician):
        with pytest.raises(PermissionDenied):
            actions.update_safety_settings(clinic=cast.clinic, by=user, urgent_phone="0113 1")
    assert not SafetySettings.objects.exists()
    assert_refused(
        cast, URL, ["anonymous", "patient_user", "nurse", "physician", "other_physician"]
    )


def test_the_page_shows_the_error_beside_the_field_and_keeps_the_old_number(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    page = client.get(URL).content.decode()
    assert "Leave empty to use the clinic&#x27;s phone, 0113 000 0000." in page
    assert "Call Leeds Headache Centre: <strong>0113 000 0000</strong>" in page
    response = client.post(URL, {**GOOD, "urgent_phone": "ring 0113"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Use digits only, with spaces, brackets or dashes" in body
    assert not SafetySettings.objects.exists()
    response = client.post(URL, GOOD)
    assert response.status_code == 302
    assert queries.settings_for(cast.clinic).urgent_phone == "0113 496 0123"
    page = client.get(response["Location"]).content.decode()
    assert "Safety settings saved." in page
    assert "Call Leeds Headache Centre: <strong>0113 496 0123</strong>" in page


def test_the_patient_sees_the_new_urgent_number_in_the_spread_guidance(
    cast: Cast, session3: Session
) -> None:
    client_for(cast, "clinic_admin").post(URL, GOOD)
    page = _report(cast, session3, "double_vision")
    assert "Get medical help today" in page
    assert 'href="tel:01134960123"' in page
    assert "Call Leeds Headache Centre now: 0113 496 0123" in page
    assert "Clinic closed? Out-of-hours: 111" in page


def test_an_admin_of_two_clinics_changes_the_one_they_are_working_in(cast: Cast) -> None:
    account_actions.grant_role(
        user=cast.clinic_admin, clinic=cast.other_clinic, role=Role.CLINIC_ADMIN
    )
    client = client_for(cast, "clinic_admin")
    page = client.get(URL + "?clinic=york").content.decode()
    assert "Safety settings: York Neurology" in page
    assert 'value="york" selected' in page
    response = client.post(URL + "?clinic=york", GOOD)
    assert response.status_code == 302
    assert response["Location"].endswith("?clinic=york")
    assert SafetySettings.objects.get().clinic == cast.other_clinic
    # A clinic they are not an admin of is not found.
    account_actions.create_clinic(slug="hull", name="Hull")
    assert client.get(URL + "?clinic=hull").status_code == 404


def test_the_number_limits_are_the_columns() -> None:
    from cephalog.safety.actions import _PHONE_LIMITS

    for name, limit in _PHONE_LIMITS.items():
        assert SafetySettings._meta.get_field(name).max_length == limit  # type: ignore[union-attr]
