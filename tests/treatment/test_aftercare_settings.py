"""Clinic admins edit their aftercare advice on a page (ADR 10, clinical-reference §10): the
label's advice keeps its label and stays; the list of the signs of spread of toxin effect is
always the label's words; what the clinic adds is an optional precaution."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.core.errors import AppError
from cephalog.domain.safety import DEFAULT_AFTERCARE, Evidence
from cephalog.treatment import actions, queries
from cephalog.treatment.models import LOCKED_AFTERCARE, AftercareText
from tests.personas import Cast, assert_refused, client_for
from tests.treatment.helpers import full_session

URL = reverse("aftercare-settings")
SPREAD = LOCKED_AFTERCARE["spread_signs"]


def _posted(rows: dict[str, str], **more: str) -> dict[str, object]:
    return {"key": list(rows), **{f"text_{k}": v for k, v in rows.items()}, **more}


def _defaults() -> dict[str, str]:
    return {i.key: i.text for i in DEFAULT_AFTERCARE}


def test_the_spread_list_is_the_label_s_and_lists_every_sign() -> None:
    for words in ("double vision", "drooping eyelids", "loss of bladder control"):
        assert words in SPREAD


def test_a_reworded_item_and_a_new_precaution_are_saved_and_audited(cast: Cast) -> None:
    items = [{"key": k, "text": t} for k, t in _defaults().items()]
    items[2]["text"] = "Do not drive if your eyelids droop or you see double."
    items.append({"key": "clinic-1", "text": "Drink some water."})
    actions.save_aftercare(clinic=cast.clinic, by=cast.clinic_admin, items=items)
    lines = {line.key: line for line in queries.aftercare(cast.clinic)}
    assert lines["no_driving_if_weak"].text.startswith("Do not drive if your eyelids")
    assert lines["no_driving_if_weak"].evidence is Evidence.LABEL_GUIDANCE
    assert lines["clinic-1"].evidence is Evidence.OPTIONAL_PRECAUTION
    audit = AuditEvent.objects.get(category="aftercare", action="update")
    assert audit.detail["added"] == ["clinic-1"]
    assert audit.detail["reworded"] == ["no_driving_if_weak"]


def test_the_clinic_cannot_reword_the_spread_signs_or_remove_label_guidance(cast: Cast) -> None:
    items = [{"key": k, "text": t} for k, t in _defaults().items()]
    for item in items:
        if item["key"] == "spread_signs":
            item["text"] = "Call us if you feel unwell."
    actions.save_aftercare(clinic=cast.clinic, by=cast.clinic_admin, items=items)
    stored = {i["key"]: i["text"] for i in AftercareText.objects.get().items}
    assert stored["spread_signs"] == SPREAD  # the action keeps the label's words
    # Emptying a label item is refused, and nothing changes.
    items = [{"key": k, "text": "" if k == "no_driving_if_weak" else t} for k, t in stored.items()]
    with pytest.raises(AppError) as caught:
        actions.save_aftercare(clinic=cast.clinic, by=cast.clinic_admin, items=items)
    assert "cannot be removed" in caught.value.by_field["no_driving_if_weak"][0]
    assert {i["key"]: i["text"] for i in AftercareText.objects.get().items} == stored
    # Leaving a label item out altogether puts the label's words back.
    actions.save_aftercare(
        clinic=cast.clinic, by=cast.clinic_admin, items=[{"key": "tea", "text": "Tea helps."}]
    )
    keys = {line.key for line in queries.aftercare(cast.clinic)}
    assert {"warning_signs", "spread_signs", "no_driving_if_weak"} <= keys


def test_a_row_written_around_the_action_still_shows_the_label_s_words(cast: Cast) -> None:
    items = [
        {"key": k, "text": "Call us." if k == "spread_signs" else t, "evidence": "label_guidance"}
        for k, t in _defaults().items()
        if k
        in ("warning_signs", "spread_signs", "no_driving_if_weak", "tell_about_other_treatments")
    ]
    items.append({"key": "folk", "text": "Sleep upright.", "evidence": "label_guidance"})
    text = AftercareText(clinic=cast.clinic, items=items)
    with pytest.raises(ValidationError) as caught:
        text.full_clean()
    problems = " ".join(caught.value.messages)
    assert "cannot be reworded" in problems
    assert "only the medicine label's own advice is label_guidance" in problems
    text.save()  # as a raw write would
    lines = {line.key: line for line in queries.aftercare(cast.clinic)}
    assert lines["spread_signs"].text == SPREAD
    assert lines["folk"].evidence is Evidence.OPTIONAL_PRECAUTION


def test_only_clinic_admins(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        actions.save_aftercare(clinic=cast.clinic, by=cast.physician, items=[])
    assert_refused(
        cast, URL, ["anonymous", "patient_user", "nurse", "physician", "other_physician"]
    )


def test_the_page_edits_what_the_patient_reads(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    page = client.get(URL).content.decode()
    assert "Label guidance" in page
    assert "Optional precautions" in page
    assert 'name="text_spread_signs"' not in page  # shown, not editable
    assert "cannot be changed or removed" in page
    rows = _defaults()
    del rows["spread_signs"]
    rows["stay_upright"] = ""  # removed
    rows["warning_signs"] = ""  # refused
    response = client.post(URL, _posted(rows, new_text="Drink water."))
    assert response.status_code == 400
    assert "This advice is from the medicine&#x27;s label: it cannot be removed." in (
        response.content.decode()
    )
    assert not AftercareText.objects.exists()
    rows["warning_signs"] = "Swallowing, speaking or breathing trouble: call 999 now."
    response = client.post(URL, _posted(rows, new_text="Drink water."))
    assert response.status_code == 302
    session = full_session(cast.patient, cast.physician)
    body = (
        client_for(cast, "patient_user")
        .get(reverse("session-aftercare", args=[session.pk]))
        .content.decode()
    )
    assert "Swallowing, speaking or breathing trouble: call 999 now." in body
    assert "Drink water." in body
    assert "Some clinics suggest staying upright" not in body
    assert "loss of bladder control" in body
    assert body.index("Drink water.") > body.index("Optional precautions")
    # Back to the standard advice.
    response = client.post(URL, {"reset": "1"})
    assert response.status_code == 302
    assert not AftercareText.objects.exists()
    assert AuditEvent.objects.filter(category="aftercare", action="delete").exists()
