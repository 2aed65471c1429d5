import csv
import io

from django.urls import reverse

from cephalog.audit.actions import record
from tests.personas import Cast, assert_refused, client_for


def test_it_shows_the_audit_report_only_to_clinic_admins(cast: Cast) -> None:
    url = reverse("audit-report")
    assert client_for(cast, "clinic_admin").get(url).status_code == 200
    assert_refused(
        cast,
        url,
        [
            "anonymous",
            "patient_user",
            "other_patient_user",
            "nurse",
            "physician",
            "other_physician",
        ],
    )


def test_it_filters_sorts_and_exports_only_the_admins_clinic(cast: Cast) -> None:
    record(action="read", category="diary", patient=cast.patient, user=cast.nurse)
    record(
        action="read",
        category="diary",
        patient=cast.other_clinic_patient,
        user=cast.other_physician,
    )
    client = client_for(cast, "clinic_admin")
    body = client.get(
        reverse("audit-report"), {"patient": str(cast.patient.pk), "sort": "username"}
    ).content.decode()
    assert str(cast.patient.pk) in body
    assert str(cast.other_clinic_patient.pk) not in body
    response = client.get(reverse("audit-report"), {"action": "read", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "at"
    patient_ids = {r[3] for r in rows[1:]}
    assert str(cast.patient.pk) in patient_ids
    assert str(cast.other_clinic_patient.pk) not in patient_ids


def test_it_ignores_a_sql_ish_sort_parameter(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    response = client.get(reverse("audit-report"), {"sort": "at; DROP TABLE audit_auditevent"})
    assert response.status_code == 200
