"""Staff pages name the policies as people say them ("US label", "NICE TA260", a clinic's
own policy by its title), never by their stored keys (us-label, nice-ta260 ...)."""

from __future__ import annotations

import datetime as dt
import re

from cephalog.eligibility import actions
from tests.eligibility.helpers import raw_policy_keys
from tests.eligibility.test_clinic_policies import make_policy
from tests.personas import Cast, client_for


def options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, select_id
    return [re.sub(r"\s+", " ", o).strip() for o in re.findall(r">([^<]*)</option>", select[1])]


def test_the_screening_lists_the_policies_by_name(cast: Cast, overuse_case: dt.date) -> None:
    make_policy(cast)
    actions.sign_off_flag(
        patient=cast.patient,
        policy_name="us-label",
        flag="medication_overuse",
        by=cast.physician,
        reason="Withdrawal plan agreed.",
        on=overuse_case,
    )
    actions.decide_to_start(
        patient=cast.patient, policy_name="us-label", by=cast.physician, on=overuse_case
    )
    client = client_for(cast, "physician")
    url = f"/clinic/patients/{cast.patient.pk}/eligibility/"
    html = client.get(url + "?policy=us-label").content.decode()
    assert options(html, "policy") == [
        "US label",
        "US payer",
        "NICE TA260 (clinic default)",
        "EHF 2018",
        "Payer with four failed preventives (clinic's own)",
    ]
    assert "Criteria of US label" in html
    assert "decision to start under US label, standard-2" in html
    assert "signed off under US label, standard-2" in html
    assert "Sessions are gated on the clinic's default policy, NICE TA260." in html
    assert raw_policy_keys(html) == []
    own = client.get(url + "?policy=payer-4").content.decode()
    assert "Criteria of Payer with four failed preventives" in own
    assert raw_policy_keys(own) == []


def test_the_letter_page_lists_the_policies_by_name(cast: Cast, overuse_case: dt.date) -> None:
    make_policy(cast)
    url = f"/clinic/patients/{cast.patient.pk}/eligibility/letter/?policy=us-payer"
    html = client_for(cast, "physician").get(url).content.decode()
    assert options(html, "l-policy") == [
        "US label",
        "US payer",
        "NICE TA260",
        "EHF 2018",
        "Payer with four failed preventives (clinic's own)",
    ]
    assert raw_policy_keys(html) == []


def test_the_policies_pages_name_the_policies(cast: Cast) -> None:
    make_policy(cast)
    client = client_for(cast, "clinic_admin")
    html = client.get(f"/clinic/policies/?clinic={cast.clinic.slug}").content.decode()
    assert options(html, "default_policy") == [
        "US label",
        "US payer",
        "NICE TA260",
        "EHF 2018",
        "Payer with four failed preventives (clinic's own)",
    ]
    assert '<h3 id="b-nice-ta260">NICE TA260 <span class="flag">default</span></h3>' in html
    assert "Start a clinic policy from EHF 2018" in html
    assert "Short code: payer-4" in html  # the clinic's own code, which its admins chose
    assert raw_policy_keys(html) == []
    new = client.get(f"/clinic/policies/{cast.clinic.slug}/new/").content.decode()
    assert raw_policy_keys(new) == []
    assert ">US payer</a>" in new
