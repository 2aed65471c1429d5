"""The audit page says who did what to which patient, and when, in words (issue 17.5)."""

from __future__ import annotations

from django.urls import reverse

from cephalog.accounts import actions as account_actions
from cephalog.audit.actions import record
from cephalog.web.audit.wording import CATEGORY_WORDS, describe
from tests.personas import Cast, client_for


def test_the_audit_page_reads_as_sentences_with_patient_names(cast: Cast) -> None:
    client_for(cast, "nurse").get(reverse("patient-chart", args=[cast.patient.pk]))
    account_actions.request_role_change(
        clinic=cast.clinic, by=cast.clinic_admin, user=cast.nurse, role="physician"
    )
    # A row naming another clinic's patient (a clinic admin's own login reads nothing there).
    record(
        action="read", category="chart", patient=cast.other_clinic_patient, clinic_id=cast.clinic.pk
    )
    page = client_for(cast, "clinic_admin").get(reverse("audit-report")).content.decode()
    assert "Viewed the chart" in page
    assert "Ada Quill" in page
    assert "MRN MRN-1001" in page
    assert "nurse-joy" in page
    assert "Changed the role of nurse-joy: Nurse → Physician (injector)" in page
    assert "Vantablack" not in page
    assert "Y-77" not in page
    assert "a patient of another clinic" in page


def test_every_category_the_code_records_has_words() -> None:
    import pathlib
    import re

    src = pathlib.Path(__file__).resolve().parents[2] / "src" / "cephalog"
    used = {
        m
        for path in src.rglob("*.py")
        for m in re.findall(r'category="([a-z_]+)"', path.read_text())
    }
    assert used - set(CATEGORY_WORDS) == set()


def test_role_sentences_name_both_roles_and_the_state() -> None:
    pending = {"before": "nurse", "after": "clinic_admin", "status": "pending"}
    assert describe(action="privilege", category="role", detail=pending, target="Sam") == (
        "Asked to change the role of Sam: Nurse → Clinic admin (waiting for a second clinic admin)"
    )
    invited = {"before": None, "after": "nurse", "invited": True}
    assert describe(action="privilege", category="role", detail=invited, target="Riley") == (
        "Invited Riley as nurse"
    )
    disabled = {"before": "active", "after": "disabled"}
    assert describe(action="privilege", category="account", detail=disabled, target="Sam") == (
        "Disabled the login of Sam"
    )
    contact = {"changed": ["phone", "time_zone"]}
    assert describe(action="update", category="contact_details", detail=contact) == (
        "Changed the contact details: phone, time zone"
    )
    assert describe(action="login_failed", category="session", detail={}) == "Sign-in failed"
    assert describe(action="read", category="staff", detail={}, target="Sam") == (
        "Viewed the staff record of Sam"
    )
    assert describe(action="read", category="staff", detail={}) == "Viewed the staff list"
    assert describe(action="create", category="injector_training", detail={}, target="Al") == (
        "Added an injector training record for Al"
    )
