"""The outcomes pages name the continuation policies as people say them ("EHF 2018"),
never by their stored keys (ehf-2018 ...)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cephalog.outcomes import actions
from tests.eligibility.helpers import raw_policy_keys
from tests.eligibility.test_policy_names import options
from tests.outcomes.helpers import write_history
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def history(cast: Cast, time_machine: Any) -> Cast:
    time_machine.move_to(NOW, tick=False)
    write_history(cast.patient)
    return cast


def test_the_continuation_policy_picker_and_recommendation_name_the_policy(
    history: Cast,
) -> None:
    actions.record_decision(
        patient=history.patient,
        by=history.physician,
        decision="continue",
        reason="Fewer headache days.",
        policy="ehf-2018",
    )
    client = client_for(history, "physician")
    base = f"/clinic/patients/{history.patient.pk}"
    html = client.get(f"{base}/outcomes/?policy=ehf-2018").content.decode()
    assert options(html, "policy") == [
        "US label",
        "US payer",
        "NICE TA260 (clinic default)",
        "EHF 2018",
    ]
    assert "Recommendation under EHF 2018" in html
    assert "recommendation under EHF 2018 (standard-2)" in html  # the timeline
    assert raw_policy_keys(html) == []
    summary = client.get(f"{base}/cycle-summary/?policy=ehf-2018").content.decode()
    assert "Recommendation (EHF 2018):" in summary
    assert raw_policy_keys(summary) == []
