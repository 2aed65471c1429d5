"""The screening page computes exactly what `cephalog assess` computes (spec section 6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from cephalog.eligibility import actions
from cephalog.web.templatetags.plain import written
from tests.eligibility.helpers import EXAMPLES, POLICY_NAMES, cli_assessment, load_case
from tests.personas import Cast, client_for

WORDS = {"eligible": "Eligible", "needs_review": "Needs review", "not_eligible": "Not eligible"}


@pytest.mark.parametrize("ruleset", ["standard-1", "standard-2"])
@pytest.mark.parametrize("case", ["cm-overuse-review", "ineligible-hard-stops"])
def test_it_shows_the_eligibility_of_cephalog_assess_under_every_policy(
    cast: Cast, at: Callable[[dt.date], None], case: str, ruleset: str
) -> None:
    at(load_case(cast, case))
    actions.set_clinic_ruleset(clinic=cast.clinic, by=cast.clinic_admin, name=ruleset)
    client = client_for(cast, "physician")
    statuses = {}
    for policy in POLICY_NAMES:
        expected = cli_assessment(EXAMPLES / f"{case}.json", policy, ruleset)["eligibility"]
        response = client.get(f"/clinic/patients/{cast.patient.pk}/eligibility/?policy={policy}")
        assert response.status_code == 200
        assert response.context["s"].eligibility.to_dict() == expected, policy
        assert response.context["s"].ruleset.name == ruleset
        html = response.content.decode()
        assert f'<h2 id="status-heading">{WORDS[expected["status"]]}</h2>' in html
        for criterion in expected["criteria"]:
            # the same words, its ISO dates written as the page writes dates ("1 Jun 2024")
            detail = written(criterion["detail"])
            assert detail in html or detail.replace("'", "&#x27;") in html
            assert criterion["source"].split(";")[0] in html
        statuses[policy] = expected["status"]
    if case == "cm-overuse-review":
        assert statuses == {
            "us-label": "needs_review",
            "us-payer": "needs_review",
            "nice-ta260": "not_eligible",
            "ehf-2018": "needs_review",
        }
    else:
        assert set(statuses.values()) == {"not_eligible"}


def test_it_uses_the_clinic_default_without_a_policy_parameter(
    cast: Cast, overuse_case: dt.date
) -> None:
    response = client_for(cast, "nurse").get(f"/clinic/patients/{cast.patient.pk}/eligibility/")
    assert cast.clinic.default_policy == "nice-ta260"
    assert response.context["s"].eligibility.policy == "nice-ta260"
    assert response.context["s"].status == "not_eligible"


def test_it_shows_the_evidence_for_every_criterion(cast: Cast, overuse_case: dt.date) -> None:
    # The figures of examples/README.md are standard-1's (label days under every policy).
    actions.set_clinic_ruleset(clinic=cast.clinic, by=cast.clinic_admin, name="standard-1")
    html = (
        client_for(cast, "physician")
        .get(f"/clinic/patients/{cast.patient.pk}/eligibility/?policy=nice-ta260")
        .content.decode()
    )
    # The baseline window with counts, per-28 values and compliance (examples/README.md).
    assert "4 Mar–31 Mar 2026" in html
    assert "28/28" in html
    assert "(100%)" in html
    assert "20 <small>(20.0 per 28)</small>" in html
    assert "13 <small>(13.0 per 28)</small>" in html
    # The preventives counted, by name with class, trial length and outcome.
    for name in ("topiramate", "propranolol", "amitriptyline", "candesartan"):
        assert name in html
    assert "Antiepileptic" in html
    assert "3.5 months" in html
    assert "not counted: ongoing" in html
    assert "3 counted, 3 required" in html
    # The overuse result with the per-class figures, oldest window first.
    assert "11.4" in html
    assert "12.9" in html
    assert "12.0" in html
    assert "triptan" in html
    # Each criterion names its source.
    assert "NICE technology appraisal guidance TA260" in html
    assert "ICHD-3 1.3 from the diary" in html


def test_it_refuses_an_unknown_policy(cast: Cast, overuse_case: dt.date) -> None:
    response = client_for(cast, "physician").get(
        f"/clinic/patients/{cast.patient.pk}/eligibility/?policy=no-such"
    )
    assert response.status_code == 404


def test_it_screens_a_new_patient_with_no_diary_yet(cast: Cast) -> None:
    base = f"/clinic/patients/{cast.other_patient.pk}/eligibility/"
    client = client_for(cast, "physician")
    response = client.get(base)
    assert response.status_code == 200
    s = response.context["s"]
    assert s.status == "not_eligible"  # NICE: 0 of 3 failed preventives
    assert [c.met for c in s.criteria] == [None, False, None]
    html = response.content.decode()
    assert "0/28" in html
    assert "No preventives recorded." in html
    assert client.get(base + "letter/").status_code == 200
    assert client.get(base + "letter.pdf").content.startswith(b"%PDF")


def test_under_standard_2_nice_counts_ichd3_days_and_says_so(
    cast: Cast, overuse_case: dt.date
) -> None:
    """cm-overuse-review under nice-ta260 and standard-2 (the default): the baseline's
    short headaches count as ichd3 headache days (22 of 28, not 20), its probable-migraine
    days do not count as migraine days (12, not 13), and the page names the definition."""
    response = client_for(cast, "physician").get(
        f"/clinic/patients/{cast.patient.pk}/eligibility/?policy=nice-ta260"
    )
    html = response.content.decode()
    assert response.context["s"].ruleset.name == "standard-2"
    assert "22 <small>(22.0 per 28)</small>" in html
    assert "12 <small>(12.0 per 28)</small>" in html
    assert "ICHD-3 definition: 22.0 headache days, 12.0 migraine days per 28" in html
    assert "Ruleset <strong>standard-2</strong>, ICHD-3 day definition" in html


def test_under_standard_2_a_label_count_is_never_called_ichd3(
    cast: Cast, overuse_case: dt.date
) -> None:
    html = (
        client_for(cast, "physician")
        .get(f"/clinic/patients/{cast.patient.pk}/eligibility/?policy=us-label")
        .content.decode()
    )
    assert "label definition: 20.0 headache days, 13.0 migraine days per 28" in html
    assert "Chronic migraine, label day definition" in html
    assert "ICHD-3 1.3" not in html


def test_every_figure_in_the_diary_windows_says_it_is_per_28(
    cast: Cast, overuse_case: dt.date
) -> None:
    """Staff walk, 7 Dec 2026: the moderate/severe and acute-medication columns showed
    "17 (19.0)" beside "20 (22.4 per 28)": a bare number in brackets, read as anything."""
    html = (
        client_for(cast, "physician")
        .get(f"/clinic/patients/{cast.patient.pk}/eligibility/?policy=nice-ta260")
        .content.decode()
    )
    row = html[html.index('<tr class="baseline-row">') :]
    row = row[: row.index("</tr>")]
    assert row.count("<small>(") == 5  # recorded days, then the four day counts
    assert row.count(" per 28)</small>") == 4, row
