"""Import of a cephalog bundle into another clinic (issue 8 part 3): export → import → export."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cephalog.accounts.models import Clinic, User
from cephalog.diary.models import Attack, DiaryEntry
from cephalog.interop import fhir
from cephalog.interop.fhir_import import ImportRefused, import_bundle
from cephalog.patients.models import Patient
from cephalog.safety.models import AdverseEvent, CheckIn
from cephalog.scheduling.actions import sync_plan
from cephalog.treatment.models import Session
from tests.interop.conftest import TODAY, Rich
from tests.interop.helpers import comparable, differences, provenance_addenda
from tests.personas import Cast


def test_it_round_trips_a_full_record_into_an_empty_clinic(
    rich: Rich, new_clinic: tuple[Clinic, User]
) -> None:
    clinic, admin = new_clinic
    first = fhir.patient_bundle(rich.patient)

    result = import_bundle(json.dumps(first), clinic, admin)
    # The new clinic's calendar is planned by its own rules, as `cephalog sync-plans` does.
    sync_plan(patient=result.patient, today=TODAY)

    second = fhir.patient_bundle(result.patient)
    assert fhir.validation_problems(second) == []
    assert differences(first, second) == []
    assert comparable(first) == comparable(second)
    assert result.counts["diary_days"] == DiaryEntry.objects.filter(patient=rich.patient).count()
    assert result.counts["session_sites"] == 33  # 31 fixed (one skipped) + 2 added
    assert provenance_addenda(second)[0].startswith(
        "Imported from a cephalog FHIR bundle from Leeds Headache Centre"
    )
    assert "Injector: " in provenance_addenda(second)[0]
    assert "Lot number confirmed with pharmacy" in provenance_addenda(second)[0]


def _bundle_with(rich: Rich, change: Callable[[dict[str, Any]], None]) -> str:
    bundle = fhir.patient_bundle(rich.patient)
    change(bundle)
    return json.dumps(bundle)


def test_it_imports_nothing_from_a_bundle_that_does_not_validate(
    rich: Rich, new_clinic: tuple[Clinic, User]
) -> None:
    clinic, admin = new_clinic

    def break_a_day(bundle: dict[str, Any]) -> None:
        day = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
        day["resource"]["effectiveDateTime"] = "02/02/2026"

    with pytest.raises(ImportRefused) as refused:
        import_bundle(_bundle_with(rich, break_a_day), clinic, admin)
    assert refused.value.problems[0].startswith("entry[")
    assert "Observation: effectiveDateTime" in refused.value.problems[0]
    assert not Patient.objects.filter(clinic=clinic).exists()


def test_it_imports_nothing_when_a_value_breaks_a_rule(
    rich: Rich, new_clinic: tuple[Clinic, User]
) -> None:
    clinic, admin = new_clinic

    def too_many_hours(bundle: dict[str, Any]) -> None:
        for e in bundle["entry"]:
            if e["resource"].get("effectiveDateTime") == "2026-02-02":
                e["resource"]["component"][0]["valueQuantity"]["value"] = 30

    with pytest.raises(ImportRefused) as refused:
        import_bundle(_bundle_with(rich, too_many_hours), clinic, admin)
    assert refused.value.problems == [
        "Observation diary-day 2026-02-02: headache_hours: must be between 0 and 24, got 30"
    ]
    assert not Patient.objects.filter(clinic=clinic).exists()
    assert not DiaryEntry.objects.filter(patient__clinic=clinic).exists()


def test_it_imports_nothing_when_a_reference_does_not_resolve(
    rich: Rich, new_clinic: tuple[Clinic, User]
) -> None:
    clinic, admin = new_clinic

    def dangle(bundle: dict[str, Any]) -> None:
        bundle["entry"] = [
            e for e in bundle["entry"] if e["resource"]["resourceType"] != "Medication"
        ]

    with pytest.raises(ImportRefused, match="does not name an entry of the bundle"):
        import_bundle(_bundle_with(rich, dangle), clinic, admin)
    assert not Session.objects.filter(patient__clinic=clinic).exists()


def test_it_refuses_a_taken_mrn_unless_another_is_given(rich: Rich, cast: Cast) -> None:
    bundle = json.dumps(fhir.patient_bundle(rich.patient))
    with pytest.raises(
        ImportRefused, match="MRN MRN-1001 is already used in Leeds Headache Centre"
    ):
        import_bundle(bundle, cast.clinic, cast.clinic_admin)
    copy = import_bundle(bundle, cast.clinic, cast.clinic_admin, mrn="MRN-9001").patient
    assert copy.mrn == "MRN-9001"
    assert Attack.objects.filter(patient=copy).count() == 1
    assert CheckIn.objects.filter(patient=copy).count() == 1
    assert AdverseEvent.objects.filter(patient=copy, checkin__isnull=False).count() == 1
    # History as the source had it: no alert is raised again for old events.
    assert not copy.safety_alerts.exists()


def test_it_refuses_an_importer_who_is_not_staff_of_the_clinic(rich: Rich, cast: Cast) -> None:
    bundle = json.dumps(fhir.patient_bundle(rich.patient))
    with pytest.raises(ImportRefused, match="must be a member of staff of York Neurology"):
        import_bundle(bundle, cast.other_clinic, cast.physician)
    with pytest.raises(ImportRefused, match="not valid JSON"):
        import_bundle("{nope", cast.other_clinic, cast.other_physician)
