"""A clinic chooses its ruleset (spec section 11); every record names the ruleset it used."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from cephalog.accounts import rules_queries
from cephalog.audit.models import AuditEvent
from cephalog.eligibility import actions
from cephalog.eligibility.actions import EligibilityError
from cephalog.eligibility.models import FlagSignOff, StartDecision
from tests.personas import Cast, client_for


def test_a_clinic_uses_standard_2_until_it_chooses(cast: Cast) -> None:
    assert rules_queries.clinic_ruleset(cast.clinic).name == "standard-2"
    page = client_for(cast, "nurse").get("/clinic/policies/").content.decode()
    assert "standard-2 (assessment spec section 11: ICHD-3 and label text)" in page
    assert "Clinic admins choose the ruleset." in page
    assert (
        "Due 84 days after the last session; earliest 77 days (the policy&#x27;s); sooner than "
        "70 days is refused (the clinic&#x27;s minimum)" in page
    )


def test_the_clinic_admin_changes_it_on_the_policy_page(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    page = client.get("/clinic/policies/").content.decode()
    assert 'name="ruleset"' in page
    response = client.post(
        f"/clinic/policies/{cast.clinic.slug}/ruleset/", {"ruleset": "standard-1"}
    )
    assert response.status_code == 302
    assert rules_queries.clinic_ruleset(cast.clinic).name == "standard-1"
    event = AuditEvent.objects.filter(category="clinic_policy", action="update").get()
    assert event.detail == {"ruleset": "standard-1", "previous": "standard-2"}
    page = client.get("/clinic/policies/").content.decode()
    assert '<option value="standard-1" selected>' in page


def test_only_a_clinic_admin_may_change_it_and_only_to_a_ruleset(cast: Cast) -> None:
    response = client_for(cast, "physician").post(
        f"/clinic/policies/{cast.clinic.slug}/ruleset/", {"ruleset": "standard-1"}
    )
    assert response.status_code in (403, 404)
    with pytest.raises(PermissionDenied):
        actions.set_clinic_ruleset(clinic=cast.clinic, by=cast.physician, name="standard-1")
    with pytest.raises(EligibilityError) as error:
        actions.set_clinic_ruleset(clinic=cast.clinic, by=cast.clinic_admin, name="standard-3")
    assert error.value.problems == [
        "ruleset: unknown ruleset 'standard-3'; choose one of standard-1, standard-2"
    ]
    assert rules_queries.clinic_ruleset(cast.clinic).name == "standard-2"


def test_sign_offs_and_decisions_record_their_ruleset_and_keep_it(
    cast: Cast, overuse_case: dt.date
) -> None:
    sign_off = actions.sign_off_flag(
        patient=cast.patient,
        policy_name="us-label",
        flag="medication_overuse",
        by=cast.physician,
        reason="Withdrawal plan agreed.",
        on=overuse_case,
    )
    decision = actions.decide_to_start(
        patient=cast.patient, policy_name="us-label", by=cast.physician, on=overuse_case
    )
    assert (sign_off.ruleset, decision.ruleset) == ("standard-2", "standard-2")
    assert decision.snapshot["ruleset"] == "standard-2"
    assert decision.snapshot["day_definition"] == "label"
    actions.set_clinic_ruleset(clinic=cast.clinic, by=cast.clinic_admin, name="standard-1")
    assert FlagSignOff.objects.get(pk=sign_off.pk).ruleset == "standard-2"
    assert StartDecision.objects.get(pk=decision.pk).ruleset == "standard-2"
    page = (
        client_for(cast, "physician")
        .get(f"/clinic/patients/{cast.patient.pk}/eligibility/?policy=us-label")
        .content.decode()
    )
    assert "decision to start under US label, standard-2" in page
    assert "signed off under US label, standard-2, by" in page
    assert "Ruleset <strong>standard-1</strong>." in page
