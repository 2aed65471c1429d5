"""The apps' import actions (issue 20.2): what a FHIR import stores, each record checked
by its model, saved and audited; a refused record stores nothing of itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from cephalog.audit.models import AuditEvent
from cephalog.core.errors import AppError
from cephalog.eligibility.import_actions import import_history_item
from cephalog.eligibility.models import Condition, Preventive
from cephalog.outcomes.import_actions import import_bridging, import_questionnaire
from cephalog.outcomes.models import BridgingTreatment, QuestionnaireResponse
from cephalog.safety.import_actions import import_adverse_event, import_checkin
from cephalog.safety.models import AdverseEvent, CheckIn
from cephalog.treatment.import_actions import SessionPartsRefused, import_session
from cephalog.treatment.models import Session, SessionAddendum, SessionSite, Vial
from tests.personas import Cast

UTC = dt.UTC
DAY = dt.date(2025, 3, 10)


def _session(cast: Cast, **fields: object) -> Session:
    return Session(
        patient=cast.patient,
        date=DAY,
        status=fields.pop("status", "completed"),
        total_units=10,
        sites_injected=2,
        **fields,
    )


def _vial(**fields: object) -> Vial:
    values: dict[str, object] = {
        "lot": "C1234",
        "expiry": dt.date(2024, 1, 1),  # expired today: an import keeps what was given
        "size_units": 100,
        "diluent_ml": Decimal("2.00"),
        "reconstituted_at": dt.datetime(2025, 3, 10, 9, tzinfo=UTC),
    }
    return Vial(**(values | fields))


def _site(code: str = "procerus", **fields: object) -> SessionSite:
    values: dict[str, object] = {
        "code": code,
        "muscle": "procerus",
        "side": "M",
        "status": "done",
        "units": 5,
    }
    return SessionSite(**(values | fields))


def test_a_session_is_stored_with_its_vials_sites_and_provenance_and_one_audit_row(
    cast: Cast,
) -> None:
    session = import_session(
        session=_session(cast),
        vials=[_vial()],
        sites=[_site(), _site("frontalis-L-1", muscle="frontalis", side="L")],
        provenance="Imported from Leeds.",
        by=cast.physician,
    )
    assert session.vials.count() == 1
    assert session.sites.count() == 2
    assert SessionAddendum.objects.get(session=session).author == cast.physician
    event = AuditEvent.objects.get(category="session", action="import")
    assert event.patient_id == cast.patient.pk
    assert event.user_id == cast.physician.pk
    assert event.detail == {"vials": 1, "sites": 2}


def test_a_session_with_refused_parts_is_not_stored_and_every_part_is_named(cast: Cast) -> None:
    with pytest.raises(SessionPartsRefused) as refused:
        import_session(
            session=_session(cast),
            vials=[_vial(), _vial(lot="")],
            sites=[_site(status="bogus")],
            provenance="Imported.",
            by=cast.physician,
        )
    assert [(kind, index) for kind, index, _ in refused.value.refused] == [("vial", 1), ("site", 0)]
    assert "lot" in refused.value.refused[0][2].by_field  # type: ignore[union-attr]
    assert not Session.objects.exists()
    assert not Vial.objects.exists()
    assert not AuditEvent.objects.filter(category="session").exists()


def test_a_refused_session_raises_the_model_s_words_and_leaves_the_transaction_usable(
    cast: Cast,
) -> None:
    with transaction.atomic():
        with pytest.raises(AppError) as refused:
            import_session(
                session=_session(cast, status="bogus"),
                vials=[],
                sites=[],
                provenance="Imported.",
                by=cast.physician,
            )
        assert "status" in refused.value.by_field
        assert Session.objects.count() == 0  # the transaction still answers


def test_history_items_are_audited_as_imported_each_under_its_own_category(cast: Cast) -> None:
    preventive = import_history_item(
        patient=cast.patient,
        item=Preventive(name="Topiramate", drug_class="antiepileptic", outcome="intolerance"),
        by=cast.nurse,
    )
    assert preventive.patient == cast.patient
    event = AuditEvent.objects.get(action="import", category="preventive")
    assert event.object_ref == f"patients.preventive:{preventive.pk}"
    with pytest.raises(AppError, match="code"):
        import_history_item(patient=cast.patient, item=Condition(code="bogus"), by=cast.nurse)
    assert not Condition.objects.exists()


def test_an_adverse_event_keeps_the_source_s_report_time_and_raises_no_alert(cast: Cast) -> None:
    reported = dt.datetime(2025, 3, 12, 8, 30, tzinfo=UTC)
    event = import_adverse_event(
        event=AdverseEvent(
            patient=cast.patient,
            symptom="dysphagia",
            onset=DAY,
            severity="moderate",
            red_flag=True,
            source="imported",
        ),
        by=cast.physician,
        reported_at=reported,
    )
    assert AdverseEvent.objects.get(pk=event.pk).reported_at == reported
    assert not cast.patient.safety_alerts.exists()
    assert AuditEvent.objects.filter(action="import", category="adverse_event").count() == 1


def test_check_ins_questionnaires_and_bridging_are_stored_and_audited(cast: Cast) -> None:
    import_checkin(
        checkin=CheckIn(
            patient=cast.patient,
            kind="day3",
            submitted_at=dt.datetime(2025, 3, 13, 9, tzinfo=UTC),
            no_problems=True,
        ),
        by=cast.nurse,
    )
    import_questionnaire(
        response=QuestionnaireResponse(
            patient=cast.patient,
            instrument="midas",
            completed_on=DAY,
            items={"midas_1": 2, "midas_2": 0, "midas_3": 3, "midas_4": 5, "midas_5": 2},
            total=12,
            band="II",
            source="patient",
        ),
        by=cast.nurse,
    )
    import_bridging(
        treatment=BridgingTreatment(
            patient=cast.patient, date=DAY, kind="nerve_block", recorded_by=cast.nurse
        ),
        by=cast.nurse,
    )
    assert CheckIn.objects.filter(patient=cast.patient).count() == 1
    assert QuestionnaireResponse.objects.get(patient=cast.patient).entered_by is None
    assert BridgingTreatment.objects.filter(patient=cast.patient).count() == 1
    categories = AuditEvent.objects.filter(action="import").values_list("category", flat=True)
    assert sorted(categories) == ["bridging_treatment", "checkin", "questionnaire"]
