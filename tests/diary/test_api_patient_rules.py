"""The diary API reads the request's patient and the clinic's rules (ruleset and day
definition) together, in one statement on PostgreSQL (issue 19.1): the same rules as
`clinic_rules`, and a change of ruleset or default policy counts from the next request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cephalog.accounts.rules_queries import clinic_rules, own_patient_and_rules
from cephalog.domain.policies import POLICIES
from cephalog.eligibility import actions
from tests.personas import Cast

#: A clinic's own policy counting ICHD-3 days (the built-in default counts label days).
OWN = {
    **{k: v for k, v in POLICIES["us-payer"].to_dict().items() if k not in ("name", "title")},
    "source": "Our contract",
    "day_definition": "ichd3",
}


def _rules_of(cast: Cast) -> Any:
    cast.clinic.refresh_from_db()
    return clinic_rules(cast.clinic)


def test_the_patient_and_rules_are_clinic_rules(cast: Cast) -> None:
    found = own_patient_and_rules(cast.patient_user.pk)
    assert found is not None
    patient, rules = found
    assert patient.pk == cast.patient.pk
    assert rules == _rules_of(cast)
    assert own_patient_and_rules(cast.physician.pk) is None


def test_a_new_ruleset_default_policy_or_own_policy_counts_at_once(cast: Cast) -> None:
    admin = cast.clinic_admin
    for name in ("standard-1", "standard-2"):
        actions.set_clinic_ruleset(clinic=cast.clinic, by=admin, name=name)
        found = own_patient_and_rules(cast.patient_user.pk)
        assert found is not None
        assert found[1].ruleset.name == name
        assert found[1] == _rules_of(cast)
    for policy in ("us-label", "nice-ta260"):
        actions.set_default_policy(clinic=cast.clinic, by=admin, name=policy)
        found = own_patient_and_rules(cast.patient_user.pk)
        assert found is not None
        assert found[1] == _rules_of(cast)
    actions.save_clinic_policy(
        clinic=cast.clinic, by=admin, name="own-ichd3", title="Own", definition=OWN
    )
    actions.set_default_policy(clinic=cast.clinic, by=admin, name="own-ichd3")
    found = own_patient_and_rules(cast.patient_user.pk)
    assert found is not None
    assert found[1] == _rules_of(cast)
    assert str(found[1].definition) == str(_rules_of(cast).definition)


def test_a_read_runs_one_patient_statement_and_no_rules_query_of_its_own(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.patient_user)
    client.get("/api/me/diary")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/me/diary?end={dt.date.today().isoformat()}").status_code == 200
    ruleset_reads = [q for q in queries.captured_queries if "eligibility_clinicruleset" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(ruleset_reads) == 1
        assert 'FROM "patients_patient"' in ruleset_reads[0]["sql"]
    else:  # the ORM's lookup of clinic_rules_by_id, cached with a shared cache only
        assert len(ruleset_reads) == 1
