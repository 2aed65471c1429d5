"""Reads, writes and exports of eligibility data leave audit rows without patient data."""

from __future__ import annotations

import datetime as dt
import json

from cephalog.audit.models import AuditEvent
from cephalog.eligibility import actions
from tests.personas import Cast, client_for


def test_it_audits_reads_writes_and_exports(cast: Cast, overuse_case: dt.date) -> None:
    # The loading above wrote rows; count from here.
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    base = f"/clinic/patients/{cast.patient.pk}/"
    physician = client_for(cast, "physician")
    physician.get(base + "consultation/")
    physician.get(base + "eligibility/?policy=us-label")
    physician.post(
        base + "eligibility/sign-off/",
        {"policy": "us-label", "flag": "medication_overuse", "reason": "Plan agreed."},
    )
    physician.post(base + "eligibility/decide/", {"policy": "us-label"})
    physician.get(base + "eligibility/letter.pdf?policy=us-label")
    client_for(cast, "patient_user").get("/me/eligibility/")
    actions.save_clinic_policy(
        clinic=cast.clinic, by=cast.clinic_admin, name="ours", title="Ours",
        definition={"source": "ours", "failed_preventives_required": 1},
    )  # fmt: skip

    rows = list(AuditEvent.objects.filter(id__gt=start).exclude(action="login").order_by("id"))
    seen = [(r.action, r.category) for r in rows]
    assert seen == [
        ("read", "consultation"),
        ("read", "eligibility"),
        ("create", "flag_sign_off"),
        ("create", "start_decision"),
        ("export", "continuation_letter"),  # a UK clinic: the NICE TA260 letter
        ("read", "eligibility"),
        ("create", "clinic_policy"),
    ]
    by_category = {r.category: r for r in rows}
    assert rows[1].user_id == cast.physician.pk
    assert rows[5].user_id == cast.patient_user.pk
    assert by_category["start_decision"].detail == {
        "policy": "us-label",
        "ruleset": "standard-2",
        "status": "needs_review",
        "overridden": False,
        "problems": 0,
    }
    assert by_category["clinic_policy"].clinic_id == cast.clinic.pk
    for row in rows:
        text = json.dumps(row.detail)
        for secret in ("Quill", "MRN-1001", "Plan agreed", "topiramate", "triptan"):
            assert secret not in text, (row.category, text)
