"""Flags need a physician's sign-off with a reason; the decision to start is recorded and
gated: not eligible or unsigned flags need an override reason, a hard stop blocks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from cephalog.eligibility import actions, queries
from cephalog.eligibility.actions import EligibilityError
from cephalog.eligibility.models import FlagSignOff, StartDecision
from tests.personas import Cast, client_for


def use_default(cast: Cast, name: str) -> None:
    actions.set_default_policy(clinic=cast.clinic, by=cast.clinic_admin, name=name)
    cast.patient.clinic.refresh_from_db()


def sign(cast: Cast, on: dt.date, flag: str = "medication_overuse", **kw: object) -> FlagSignOff:
    args: dict = {  # type: ignore[type-arg]
        "patient": cast.patient,
        "policy_name": "us-label",
        "flag": flag,
        "by": cast.physician,
        "reason": "Withdrawal plan agreed; reviewed triptan use with the patient.",
        "on": on,
        **kw,
    }
    return actions.sign_off_flag(**args)


def test_it_lets_only_a_physician_sign_off_and_only_with_a_reason(
    cast: Cast, overuse_case: dt.date
) -> None:
    for user in (cast.nurse, cast.clinic_admin, cast.other_physician):
        with pytest.raises(PermissionDenied):
            sign(cast, overuse_case, by=user)
    for reason in ("", "   "):
        with pytest.raises(EligibilityError) as error:
            sign(cast, overuse_case, reason=reason)
        assert error.value.problems == ["reason: required"]
    with pytest.raises(EligibilityError, match="not raised"):
        sign(cast, overuse_case, flag="myasthenia_gravis")
    assert not FlagSignOff.objects.exists()
    row = sign(cast, overuse_case)
    assert (row.signed_by, row.policy, row.flag) == (
        cast.physician,
        "us-label",
        "medication_overuse",
    )


def test_it_signs_off_on_the_page_for_physicians_only(cast: Cast, overuse_case: dt.date) -> None:
    url = f"/clinic/patients/{cast.patient.pk}/eligibility/sign-off/"
    data = {"policy": "us-label", "flag": "medication_overuse", "reason": "Agreed plan."}
    assert client_for(cast, "nurse").post(url, data).status_code == 404
    physician = client_for(cast, "physician")
    refused = physician.post(url, {**data, "reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert not FlagSignOff.objects.exists()
    done = physician.post(url, data)
    assert done.status_code == 302
    assert done["Location"].endswith("?policy=us-label#flags")
    page = physician.get(done["Location"]).content.decode()
    assert "Signed off by dr-house" in page
    assert "Agreed plan." in page
    # The nurse sees the sign-off but gets no form.
    nurse_page = client_for(cast, "nurse").get(
        f"/clinic/patients/{cast.patient.pk}/eligibility/?policy=ehf-2018"
    )
    assert "Awaiting a physician" in nurse_page.content.decode()
    assert 'name="reason"' not in nurse_page.content.decode()


def test_it_refuses_to_start_with_unsigned_flags_unless_overridden(
    cast: Cast, overuse_case: dt.date
) -> None:
    with pytest.raises(EligibilityError) as error:
        actions.decide_to_start(
            patient=cast.patient, policy_name="us-label", by=cast.physician, on=overuse_case
        )
    assert error.value.problems[0].startswith("override_reason: required")
    assert "flag not signed off: Medication overuse" in error.value.problems[0]
    sign(cast, overuse_case)
    decision = actions.decide_to_start(
        patient=cast.patient, policy_name="us-label", by=cast.physician, on=overuse_case
    )
    assert (decision.status, decision.override_reason, decision.problems) == (
        "needs_review",
        "",
        [],
    )
    assert decision.snapshot["signed_flags"] == {"medication_overuse": FlagSignOff.objects.get().pk}


def test_it_starts_a_patient_who_is_not_eligible_only_with_an_override_reason(
    cast: Cast, overuse_case: dt.date
) -> None:
    for user in (cast.nurse, cast.other_physician):
        with pytest.raises(PermissionDenied):
            actions.decide_to_start(
                patient=cast.patient, policy_name="nice-ta260", by=user, on=overuse_case,
                override_reason="x",
            )  # fmt: skip
    with pytest.raises(EligibilityError, match="criterion not met or unknown: Medication overuse"):
        actions.decide_to_start(
            patient=cast.patient, policy_name="nice-ta260", by=cast.physician, on=overuse_case
        )
    decision = actions.decide_to_start(
        patient=cast.patient,
        policy_name="nice-ta260",
        by=cast.physician,
        on=overuse_case,
        override_reason="Triptan withdrawal completed last week; diary predates it.",
    )
    assert decision.status == "not_eligible"
    assert decision.problems == ["criterion:medication_overuse_managed"]
    gate = queries.start_gate(cast.patient, overuse_case)  # nice-ta260 is the clinic default
    assert (gate.allowed, gate.needs_override, gate.status) == (True, True, "not_eligible")
    assert gate.decision_id == decision.pk


def test_it_never_starts_past_a_hard_stop(cast: Cast, overuse_case: dt.date) -> None:
    decision = actions.decide_to_start(
        patient=cast.patient,
        policy_name="nice-ta260",
        by=cast.physician,
        on=overuse_case,
        override_reason="Overuse managed.",
    )
    actions.set_cautions(
        patient=cast.patient,
        by=cast.nurse,
        today=overuse_case - dt.timedelta(days=1),
        conditions=["injection_site_infection"],
        toxin_allergy=False,
    )
    with pytest.raises(EligibilityError, match="hard stop: injection_site_infection"):
        actions.decide_to_start(
            patient=cast.patient,
            policy_name="nice-ta260",
            by=cast.physician,
            on=overuse_case,
            override_reason="Tiny spot, will avoid it.",
        )
    gate = queries.start_gate(cast.patient, overuse_case)
    assert (gate.allowed, gate.needs_override, gate.hard_stops) == (
        False,
        False,
        ["injection_site_infection"],
    )
    assert gate.reasons[0] == "hard stop: Infection at the injection sites (cannot be overridden)"
    assert gate.decision_id is None
    page = client_for(cast, "physician").get(f"/clinic/patients/{cast.patient.pk}/eligibility/")
    html = page.content.decode()
    assert "Treatment cannot start while a hard stop applies." in html
    assert "Record the decision to start" not in html
    # Once the infection has cleared, the earlier decision stands again.
    actions.set_cautions(
        patient=cast.patient, by=cast.nurse, today=overuse_case, conditions=[], toxin_allergy=False
    )
    assert queries.start_gate(cast.patient, overuse_case).decision_id == decision.pk
    # The page refuses a decision past a hard stop too.
    actions.set_cautions(
        patient=cast.patient, by=cast.nurse, today=overuse_case, conditions=[], toxin_allergy=True
    )
    response = client_for(cast, "physician").post(
        f"/clinic/patients/{cast.patient.pk}/eligibility/decide/",
        {"policy": "nice-ta260", "override_reason": "Really want to."},
    )
    assert response.status_code == 400
    assert StartDecision.objects.count() == 1


def test_it_gates_on_the_decision_covering_the_current_findings(
    cast: Cast, overuse_case: dt.date
) -> None:
    use_default(cast, "us-label")
    gate = queries.start_gate(cast.patient, overuse_case)
    assert (gate.allowed, gate.needs_override, gate.status) == (False, True, "needs_review")
    assert gate.reasons == [
        "flag not signed off: Medication overuse",
        "no decision to start recorded under US label",
    ]
    sign(cast, overuse_case)
    gate = queries.start_gate(cast.patient, overuse_case)
    assert (gate.allowed, gate.needs_override) == (False, False)
    actions.decide_to_start(
        patient=cast.patient, policy_name="us-label", by=cast.physician, on=overuse_case
    )
    assert queries.start_gate(cast.patient, overuse_case).allowed

    # A new finding the decision did not accept: gentamicin now, an unsigned flag.
    actions.save_medication(
        patient=cast.patient, by=cast.nurse, name="gentamicin", start=overuse_case
    )
    gate = queries.start_gate(cast.patient, overuse_case)
    assert (gate.allowed, gate.needs_override) == (False, True)
    assert "flag not signed off: Current aminoglycoside" in gate.reasons
    assert any("made on other findings" in r for r in gate.reasons)
    sign(cast, overuse_case, flag="interacting_medication:aminoglycoside")
    assert queries.start_gate(cast.patient, overuse_case).allowed


def test_it_records_the_decision_on_the_page(cast: Cast, overuse_case: dt.date) -> None:
    url = f"/clinic/patients/{cast.patient.pk}/eligibility/decide/"
    assert client_for(cast, "nurse").post(url, {"policy": "nice-ta260"}).status_code == 404
    physician = client_for(cast, "physician")
    refused = physician.post(url, {"policy": "nice-ta260", "override_reason": ""})
    assert refused.status_code == 400
    assert "override_reason" not in refused.content.decode() or "required to start" in (
        refused.content.decode()
    )
    assert not StartDecision.objects.exists()
    done = physician.post(url, {"policy": "nice-ta260", "override_reason": "Managed overuse."})
    assert done.status_code == 302
    page = physician.get(done["Location"]).content.decode()
    assert "Treatment sessions may start." in page
    assert "Override reason: “Managed overuse.”" in page


def test_it_fails_closed_when_the_clinic_default_names_no_policy(
    cast: Cast, overuse_case: dt.date
) -> None:
    type(cast.clinic).objects.filter(pk=cast.clinic.pk).update(default_policy="gone")
    cast.patient.clinic.refresh_from_db()
    gate = queries.start_gate(cast.patient, overuse_case)
    assert (gate.allowed, gate.status, gate.policy) == (False, "unknown", "gone")
    assert "unknown policy 'gone'" in gate.reasons[0]
