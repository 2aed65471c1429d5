"""A stored patient assesses exactly like the same data in a case file."""

import datetime as dt
import json
import subprocess
import sys

from cephalog.diary.actions import save_day
from cephalog.eligibility.case import assess_patient
from cephalog.eligibility.models import Preventive
from tests.personas import Cast


def test_it_assesses_a_stored_patient_like_cephalog_assess(cast: Cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    patient = cast.patient
    start = dt.date(2026, 1, 1)
    diary = []
    for i in range(28):
        day = start + dt.timedelta(days=i)
        if i % 4 == 3:
            entry = {"date": day.isoformat(), "headache_hours": 0}
        else:
            entry = {
                "date": day.isoformat(),
                "headache_hours": 6,
                "peak_intensity": "severe",
                "unilateral": True,
                "pulsating": True,
                "nausea": True,
                "acute_medications": [
                    {"name": "sumatriptan", "class": "triptan", "effective": True}
                ],
            }
        diary.append(entry)
        save_day(
            patient=patient,
            data=entry,
            by=cast.nurse,
            today=dt.date(2026, 2, 1),
            reason="paper diary",
        )
    Preventive.objects.create(
        patient=patient,
        name="topiramate",
        drug_class="antiepileptic",
        outcome="intolerance",
        start=dt.date(2024, 1, 1),
    )
    stored = assess_patient(patient, dt.date(2026, 1, 28), "us-payer")
    case = {
        "format": "cephalog.case/1",
        "assessed_on": "2026-01-28",
        "patient": {"birth_date": patient.birth_date.isoformat(), "sex": patient.sex},
        "preventives": [
            {
                "name": "topiramate",
                "class": "antiepileptic",
                "outcome": "intolerance",
                "start": "2024-01-01",
            }
        ],
        "diary": diary,
    }
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    out = subprocess.run(
        [sys.executable, "-m", "cephalog.cli", "assess", str(path), "--policy", "us-payer"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == json.loads(json.dumps(stored.to_dict()))
    assert stored.ruleset.name == "standard-2"  # a clinic without a choice: the default
    assert stored.baseline.headache_days == 21


def test_it_assesses_under_a_clinics_own_default_policy(cast: Cast) -> None:
    from cephalog.domain.policies import get_policy
    from cephalog.eligibility import actions as eligibility_actions

    definition = get_policy("nice-ta260").to_dict()
    definition.pop("name")
    definition.pop("title")
    definition["failed_preventives_required"] = 4
    eligibility_actions.save_clinic_policy(
        clinic=cast.clinic,
        by=cast.clinic_admin,
        name="leeds-4",
        title="Leeds: four failed preventives",
        definition=definition,
    )
    eligibility_actions.set_default_policy(clinic=cast.clinic, by=cast.clinic_admin, name="leeds-4")
    cast.patient.clinic.refresh_from_db()
    result = assess_patient(cast.patient, dt.date(2026, 1, 28))
    assert result.policy.name == "leeds-4"
    failed = next(c for c in result.eligibility.criteria if c.code == "failed_preventives")
    assert "of 4 required" in failed.detail
    # a clinic policy made from nice-ta260 keeps its ichd3 day definition (spec section 11.1)
    assert result.day_definition == "ichd3"
