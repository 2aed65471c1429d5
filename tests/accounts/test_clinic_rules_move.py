"""The clinic's rules (ClinicPolicy, ClinicRuleset) moved from eligibility to accounts
(migrations accounts 0004, eligibility 0004) without a table dropped or copied: rows
written before the move are read by the moved models after it, with the same ids."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from cephalog.accounts.models import ClinicPolicy, ClinicRuleset
from cephalog.accounts.rules_queries import clinic_rules, policy_for
from cephalog.domain.policies import POLICIES
from tests.migrating import migrated_back, sql_of
from tests.personas import Cast

BEFORE = [
    ("accounts", "0003_email_unique_any_case"),
    ("eligibility", "0003_consultation_record"),
]
MOVED = (ClinicPolicy, ClinicRuleset)
DEFINITION = {
    **{k: v for k, v in POLICIES["us-payer"].to_dict().items() if k not in ("name", "title")},
    "failed_preventives_required": 4,
    "day_definition": "ichd3",
}


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_after_it(cast: Cast) -> None:
    clinic = cast.clinic
    tables = set(connection.introspection.table_names())
    content_types = {m.__name__: ContentType.objects.get_for_model(m).pk for m in MOVED}
    with migrated_back(BEFORE) as old:
        with pytest.raises(LookupError):
            old.get_model("accounts", "ClinicPolicy")  # the models were eligibility's
        policy = old.get_model("eligibility", "ClinicPolicy").objects.create(
            clinic_id=clinic.pk,
            name="payer-4-preventives",
            title="Our payer: four preventives",
            definition=DEFINITION,
        )
        ruleset = old.get_model("eligibility", "ClinicRuleset").objects.create(
            clinic_id=clinic.pk, ruleset="standard-1"
        )
        old.get_model("accounts", "Clinic").objects.filter(pk=clinic.pk).update(
            default_policy="payer-4-preventives"
        )
        old_types = old.get_model("contenttypes", "ContentType").objects
        assert {
            name: old_types.get(app_label="eligibility", model=name.lower()).pk
            for name in content_types
        } == content_types  # migrated back, the content types are eligibility's again

    moved_policy = ClinicPolicy.objects.get(clinic=clinic)
    assert (moved_policy.pk, moved_policy.name, moved_policy.title, moved_policy.definition) == (
        policy.pk,
        "payer-4-preventives",
        "Our payer: four preventives",
        DEFINITION,
    )
    moved_ruleset = ClinicRuleset.objects.get(clinic=clinic)
    assert (moved_ruleset.pk, moved_ruleset.ruleset) == (ruleset.pk, "standard-1")
    clinic.refresh_from_db()
    chosen = policy_for(clinic)  # the clinic's default: its own policy, read after the move
    assert (chosen.failed_preventives_required, chosen.day_definition) == (4, "ichd3")
    assert clinic_rules(clinic).ruleset.name == "standard-1"  # not the default, standard-2
    assert set(connection.introspection.table_names()) == tables
    assert {m.__name__: ContentType.objects.get_for_model(m).pk for m in MOVED} == content_types
    assert all(ContentType.objects.get_for_model(m).app_label == "accounts" for m in MOVED)


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses inside a transaction
def test_the_move_runs_no_sql() -> None:
    """Neither migration touches a table: no DROP, no CREATE, no copy."""
    assert sql_of("accounts", "0004_clinic_rules") == []
    assert sql_of("eligibility", "0004_clinic_rules_to_accounts") == []


def test_the_moved_models_keep_their_tables() -> None:
    assert [m._meta.db_table for m in MOVED] == [
        "eligibility_clinicpolicy",
        "eligibility_clinicruleset",
    ]
