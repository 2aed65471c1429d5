"""Policies as configuration: a clinic adds its own thresholds without a code change."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cephalog.accounts import rules_queries
from cephalog.accounts.models import Clinic, ClinicPolicy, User
from cephalog.domain.policies import POLICIES
from cephalog.eligibility import actions, queries
from cephalog.eligibility.actions import EligibilityError
from tests.personas import PASSWORD, Cast, client_for

FOUR = {
    **{k: v for k, v in POLICIES["us-payer"].to_dict().items() if k not in ("name", "title")},
    "source": "Our payer contract 2026, section 4: four failed preventives",
    "failed_preventives_required": 4,
}


def make_policy(cast: Cast, name: str = "payer-4", definition: dict | None = None) -> ClinicPolicy:  # type: ignore[type-arg]
    return actions.save_clinic_policy(
        clinic=cast.clinic,
        by=cast.clinic_admin,
        name=name,
        title="Payer with four failed preventives",
        definition=definition if definition is not None else FOUR,
    )


def test_it_changes_the_result_with_a_clinic_policy_asking_for_4_preventives(
    cast: Cast, overuse_case: dt.date
) -> None:
    make_policy(cast)
    url = f"/clinic/patients/{cast.patient.pk}/eligibility/"
    client = client_for(cast, "physician")
    payer = client.get(url + "?policy=us-payer").context["s"]
    assert payer.status == "needs_review"
    own = client.get(url + "?policy=payer-4").context["s"]
    assert own.status == "not_eligible"
    failed = next(c for c in own.criteria if c.code == "failed_preventives")
    assert (failed.met, failed.detail) == (
        False,
        "3 of 4 required (amitriptyline, propranolol, topiramate)",
    )
    assert failed.source == FOUR["source"]
    html = client.get(url + "?policy=payer-4").content.decode()
    assert "Our payer contract 2026, section 4" in html

    # As the clinic default it also drives the gate and the patient's page.
    actions.set_default_policy(clinic=cast.clinic, by=cast.clinic_admin, name="payer-4")
    cast.clinic.refresh_from_db()
    assert rules_queries.policy_for(cast.clinic).failed_preventives_required == 4
    assert queries.start_gate(cast.patient, overuse_case).status == "not_eligible"
    mine = client_for(cast, "patient_user").get("/me/eligibility/").content.decode()
    assert "at least 4 preventive" in mine


def test_it_refuses_a_bad_definition_with_the_domain_message(cast: Cast) -> None:
    with pytest.raises(EligibilityError) as error:
        make_policy(cast, definition={**FOUR, "failed_preventives_requird": 4})
    assert "definition: failed_preventives_requird: unknown policy key" in error.value.problems
    with pytest.raises(EligibilityError) as error:
        make_policy(cast, definition={**FOUR, "failed_preventives_required": "two"})
    assert any("must be int or null, got 'two'" in p for p in error.value.problems)
    with pytest.raises(EligibilityError) as error:
        make_policy(cast, definition={**FOUR, "minimum_age": -1})
    assert any("minimum_age: must be 0 or more" in p for p in error.value.problems)
    assert not ClinicPolicy.objects.exists()


def test_it_refuses_a_bad_definition_on_the_page(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    bad = {**FOUR, "continuation": {"nonresponse_recommendation": "maybe"}}
    response = client.post(
        "/clinic/policies/leeds/new/",
        {"name": "payer-4", "title": "Payer 4", "definition": json.dumps(bad)},
    )
    assert response.status_code == 400
    assert "continuation.nonresponse_recommendation: must be one of" in response.content.decode()
    response = client.post(
        "/clinic/policies/leeds/new/",
        {"name": "payer-4", "title": "Payer 4", "definition": "{not json"},
    )
    assert "not valid JSON" in response.content.decode()
    assert not ClinicPolicy.objects.exists()
    response = client.post(
        "/clinic/policies/leeds/new/",
        {"name": "payer-4", "title": "Payer 4", "definition": json.dumps(FOUR)},
    )
    assert response.status_code == 302
    assert ClinicPolicy.objects.get().to_policy().failed_preventives_required == 4


def test_it_refuses_names_that_shadow_a_built_in_policy(cast: Cast) -> None:
    for name in ("us-payer", "nice-ta260", "new"):
        with pytest.raises(EligibilityError) as error:
            make_policy(cast, name=name)
        assert error.value.problems[0].startswith("name:")
    make_policy(cast)
    with pytest.raises(EligibilityError, match="already exists"):
        make_policy(cast)
    # Another clinic may use the same name.
    actions.save_clinic_policy(
        clinic=cast.other_clinic,
        by=_admin_of(cast.other_clinic),
        name="payer-4",
        title="Theirs",
        definition=FOUR,
    )


def _admin_of(clinic: Clinic) -> User:
    from cephalog.accounts import actions as account_actions

    return account_actions.create_staff(
        clinic=clinic,
        username="york-admin",
        email="york-admin@example.org",
        role="clinic_admin",
        password=PASSWORD,
    )


def test_it_lets_only_clinic_admins_change_policies(cast: Cast) -> None:
    for user in (cast.physician, cast.nurse, cast.other_physician):
        with pytest.raises(PermissionDenied):
            actions.save_clinic_policy(
                clinic=cast.clinic, by=user, name="x-1", title="X", definition=FOUR
            )
        with pytest.raises(PermissionDenied):
            actions.set_default_policy(clinic=cast.clinic, by=user, name="us-label")
    response = client_for(cast, "physician").post(
        "/clinic/policies/leeds/default/", {"default_policy": "us-label"}
    )
    assert response.status_code == 404
    cast.clinic.refresh_from_db()
    assert cast.clinic.default_policy == "nice-ta260"


def test_it_chooses_the_clinic_default_on_the_policies_page(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    make_policy(cast)
    assert (
        client.post("/clinic/policies/leeds/default/", {"default_policy": "payer-4"}).status_code
        == 302
    )
    cast.clinic.refresh_from_db()
    assert cast.clinic.default_policy == "payer-4"
    client.post("/clinic/policies/leeds/default/", {"default_policy": "made-up"})
    cast.clinic.refresh_from_db()
    assert cast.clinic.default_policy == "payer-4"
    # The default cannot be removed or renamed away.
    client.post("/clinic/policies/leeds/payer-4/delete/")
    assert ClinicPolicy.objects.filter(name="payer-4").exists()
    with pytest.raises(EligibilityError, match="default"):
        actions.save_clinic_policy(
            clinic=cast.clinic,
            by=cast.clinic_admin,
            name="payer-four",
            title="Renamed",
            definition=FOUR,
            policy=ClinicPolicy.objects.get(),
        )
    page = client.get("/clinic/policies/").content.decode()
    assert "payer-4" in page
    assert "at least 4" in page
    assert "Our payer contract" in page
    client.post("/clinic/policies/leeds/default/", {"default_policy": "ehf-2018"})
    client.post("/clinic/policies/leeds/payer-4/delete/")
    assert not ClinicPolicy.objects.exists()


def test_it_validates_clinic_policies_on_the_model_too(cast: Cast) -> None:
    row = ClinicPolicy(clinic=cast.clinic, name="x-2", title="X", definition={"name": "y"})
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert (
        "name: set in the name field, not in the definition"
        in error.value.message_dict["definition"]
    )


def test_it_looks_up_policies_by_clinic(cast: Cast) -> None:
    make_policy(cast)
    assert rules_queries.policy_for(cast.clinic, "payer-4").name == "payer-4"
    assert rules_queries.policy_for(cast.clinic, "us-label") is POLICIES["us-label"]
    assert rules_queries.policy_for(cast.clinic) is POLICIES["nice-ta260"]
    with pytest.raises(rules_queries.UnknownPolicy):
        rules_queries.policy_for(cast.other_clinic, "payer-4")


def test_it_refuses_a_bad_definition_in_the_admin(cast: Cast) -> None:
    # The Django admin is the operators' (superusers) since issue 17.5.
    from django.test import Client

    from cephalog.accounts.models import User
    from tests.personas import login_client

    root = User.objects.create_superuser(
        username="root", email="root@example.org", password="x" * 20
    )
    client = login_client(Client(), root)
    response = client.post(
        "/admin/accounts/clinicpolicy/add/",
        {
            "clinic": cast.clinic.pk,
            "name": "admin-made",
            "title": "Made in the admin",
            "definition": json.dumps({"source": "x", "minimum_age": "eighteen"}),
        },
    )
    assert response.status_code == 200
    assert "minimum_age: must be int, got &#x27;eighteen&#x27;" in response.content.decode()
    assert not ClinicPolicy.objects.exists()
    client.post(
        "/admin/accounts/clinicpolicy/add/",
        {
            "clinic": cast.clinic.pk,
            "name": "admin-made",
            "title": "Made in the admin",
            "definition": json.dumps({"source": "x", "minimum_age": 21}),
        },
    )
    assert rules_queries.policy_for(cast.clinic, "admin-made").minimum_age == 21


def test_it_lists_policies_in_a_fixed_number_of_queries(
    cast: Cast, django_assert_num_queries: Callable[..., Any]
) -> None:
    client = client_for(cast, "clinic_admin")
    make_policy(cast, "one")
    client.get("/clinic/policies/")  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get("/clinic/policies/").status_code == 200
    for n in range(4):
        make_policy(cast, f"more-{n}")
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get("/clinic/policies/").content.decode()
    assert page.count('<article class="card" aria-labelledby="p-') == 5
