"""Bridging treatments on the outcomes page: nothing is recorded from an untouched form (the
date and the treatment are chosen, as the decision is), and an entry recorded by mistake is
withdrawn with a reason: kept, audited, shown as withdrawn, and left out of the timeline, the
cycle summary and the FHIR export."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cephalog.audit.models import AuditEvent
from cephalog.interop.fhir.bundle import patient_resources
from cephalog.outcomes import actions, queries
from cephalog.outcomes.models import BridgingTreatment
from tests.outcomes.helpers import SECOND_SESSION, TODAY, write_history
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)
GIVEN = SECOND_SESSION + dt.timedelta(days=20)


@pytest.fixture
def history(cast: Cast, time_machine: Any) -> Cast:
    time_machine.move_to(NOW, tick=False)
    write_history(cast.patient, cycles=((10, 8, 16), (8, 6, 14)))
    return cast


def _page(cast: Cast, who: str = "nurse") -> str:
    return (
        client_for(cast, who).get(f"/clinic/patients/{cast.patient.pk}/outcomes/").content.decode()
    )


def _bridging_section(html: str) -> str:
    start = html.index('id="bridging"')
    return html[start : html.index("</section>", start)]


def test_it_chooses_nothing_in_advance_and_records_nothing_from_an_untouched_form(
    history: Cast,
) -> None:
    section = _bridging_section(_page(history))
    form = section[section.index('action="/clinic/patients/') :]
    # The treatment is a choice of radio buttons, none ticked; the date is empty.
    assert re.findall(r'type="radio" name="kind" value="(\w+)"', form) == [
        "nerve_block",
        "ketorolac",
        "emergency_visit",
        "other",
    ]
    assert "checked" not in form
    assert re.search(r'<input type="date" name="date"[^>]*>', form)
    assert "value=" not in re.search(r'<input type="date" name="date"[^>]*>', form).group(0)  # type: ignore[union-attr]
    assert "<select" not in form

    # What an untouched form sends: refused, field by field, in words.
    url = f"/clinic/patients/{history.patient.pk}/outcomes/bridging/"
    response = client_for(history, "nurse").post(url, {"date": "", "notes": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the date the treatment was given." in html
    assert "Choose the treatment that was given." in html
    assert not BridgingTreatment.objects.exists()


def test_a_nurse_withdraws_a_mistaken_entry_with_a_reason(history: Cast) -> None:
    patient = history.patient
    kept = actions.record_bridging(
        patient=patient, by=history.physician, date=GIVEN, kind="ketorolac", notes="IM 30 mg"
    )
    mistake = actions.record_bridging(
        patient=patient, by=history.nurse, date=GIVEN, kind="nerve_block", notes="Clicked twice"
    )
    client = client_for(history, "nurse")
    url = f"/clinic/patients/{patient.pk}/outcomes/bridging/{mistake.pk}/withdraw/"

    # No reason: refused, nothing changed, the form open under its entry with the message.
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "Say why this entry is withdrawn." in response.content.decode()
    mistake.refresh_from_db()
    assert mistake.withdrawn_at is None

    response = client.post(url, {"reason": "Recorded by mistake: no block was given."})
    assert response.status_code == 302
    mistake.refresh_from_db()
    assert mistake.withdrawn_at is not None
    assert mistake.withdrawn_by == history.nurse
    assert mistake.withdrawal_reason == "Recorded by mistake: no block was given."
    assert BridgingTreatment.objects.count() == 2  # kept, never deleted
    event = AuditEvent.objects.filter(
        category="bridging_treatment", action="update", patient_id=patient.pk
    ).get()
    assert event.object_ref == f"bridging:{mistake.pk}"
    assert event.detail["changed"] == ["withdrawn"]
    assert "mistake" not in str(event.detail)  # the reason is patient data: not in the audit

    # Shown as withdrawn on the outcomes page; no longer current anywhere.
    section = _bridging_section(_page(history))
    current, withdrawn = section.split("Withdrawn entries")
    assert "IM 30 mg" in current
    assert "Clicked twice" not in current
    assert "Clicked twice" in withdrawn
    assert "Recorded by mistake: no block was given." in withdrawn
    outcomes = queries.patient_outcomes(patient, TODAY)
    assert [b.pk for b in outcomes.bridging] == [kept.pk]
    assert [t.title for t in outcomes.timeline if t.kind == "bridging"] == ["Ketorolac injection"]
    summary = client.get(f"/clinic/patients/{patient.pk}/cycle-summary/").content.decode()
    assert "<p>Bridging: Ketorolac injection 16 Feb</p>" in summary
    exported = [
        r["code"]["coding"][0]["code"]
        for r in patient_resources(patient)
        if r["resourceType"] == "Procedure" and "bridging" in str(r.get("category"))
    ]
    assert exported == ["ketorolac"]

    # Once is enough: a second withdrawal is refused.
    with pytest.raises(ValidationError, match="already withdrawn"):
        actions.withdraw_bridging(treatment=mistake, by=history.physician, reason="again")


def test_only_clinical_staff_of_the_patients_clinic_withdraw(history: Cast) -> None:
    entry = actions.record_bridging(
        patient=history.patient, by=history.nurse, date=GIVEN, kind="nerve_block"
    )
    url = f"/clinic/patients/{history.patient.pk}/outcomes/bridging/{entry.pk}/withdraw/"
    data = {"reason": "wrong patient"}
    for who in ("clinic_admin", "other_physician", "patient_user"):
        assert client_for(history, who).post(url, data).status_code in (403, 404), who
    with pytest.raises(PermissionDenied):
        actions.withdraw_bridging(treatment=entry, by=history.clinic_admin, reason="x")
    # Another patient's entry through Ada's address: not found.
    other = actions.record_bridging(
        patient=history.other_patient, by=history.nurse, date=GIVEN, kind="ketorolac"
    )
    crossed = f"/clinic/patients/{history.patient.pk}/outcomes/bridging/{other.pk}/withdraw/"
    assert client_for(history, "physician").post(crossed, data).status_code == 404
    assert not BridgingTreatment.objects.filter(withdrawn_at__isnull=False).exists()
    assert client_for(history, "physician").post(url, data).status_code == 302
