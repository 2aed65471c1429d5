"""The audit page's filters as an admin uses them: a patient is found by MRN or name (POSTed,
so neither reaches an address or a log; only her opaque id does), and the data category is a
choice of the categories the code records."""

from __future__ import annotations

import re

from django.urls import reverse

from cephalog.audit.actions import record
from cephalog.audit.models import AuditEvent
from cephalog.web.audit.wording import CATEGORY_WORDS
from tests.personas import Cast, client_for

URL = "/clinic/audit/"


def test_it_finds_a_patient_by_mrn_and_filters_by_her_id_alone(cast: Cast) -> None:
    record(action="read", category="diary", patient=cast.patient, user=cast.nurse)
    record(action="read", category="chart", patient=cast.other_patient, user=cast.nurse)
    client = client_for(cast, "clinic_admin")
    response = client.post(f"{URL}?action=read", {"find": cast.patient.mrn.lower()})
    assert response.status_code == 302
    location = response["Location"]
    assert location == f"{URL}?action=read&patient={cast.patient.pk}"
    assert cast.patient.mrn not in location
    assert "Quill" not in location
    page = client.get(location).content.decode()
    assert f"Events of <strong>{cast.patient.full_name}</strong>, MRN {cast.patient.mrn}" in page
    assert "Viewed the diary" in page
    assert cast.other_patient.full_name not in page  # her row is filtered out
    # The search is audited as a read of the patient list; the page's own read as before.
    search = AuditEvent.objects.filter(category="patient_list", user_id=cast.clinic_admin.pk)
    assert search.get().detail == {"count": 1, "searched": True, "from": "audit"}
    assert AuditEvent.objects.filter(category="audit", action="read").count() == 1


def test_a_name_lists_the_clinics_patients_who_match(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    # Ada Quill and Brook Tarrant both have an "a"; York's Cyrus Vantablack is not listed.
    response = client.post(URL, {"find": "a"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Patients who match" in page
    for patient in (cast.patient, cast.other_patient):
        assert f'href="{URL}?patient={patient.pk}">{patient.full_name}</a>' in page
    assert "Vantablack" not in page
    # The box echoes what was typed, in the page only.
    assert 'name="find"' in page
    assert 'value="a"' in page

    page = client.post(URL, {"find": "Quill"}, follow=True).content.decode()
    assert f"Events of <strong>{cast.patient.full_name}</strong>" in page

    page = client.post(URL, {"find": "Vantablack"}).content.decode()
    assert "No patient of your clinic matches" in page
    assert "Y-77" not in page

    response = client.post(URL, {"find": ""})
    assert response.status_code == 400
    assert "Type the patient&#x27;s MRN or name." in response.content.decode()


def test_the_patient_is_no_longer_a_typed_id(cast: Cast) -> None:
    page = client_for(cast, "clinic_admin").get(URL).content.decode()
    assert "Patient id" not in page
    assert re.search(r'<input type="hidden" name="patient" id="id_patient">', page)
    assert '<form method="post"' in page
    assert 'name="find"' in page


def test_the_data_category_is_a_choice_of_the_codes_categories(cast: Cast) -> None:
    record(action="read", category="diary", patient=cast.patient, user=cast.nurse)
    record(action="read", category="diary_import", patient=cast.patient, user=cast.nurse)
    client = client_for(cast, "clinic_admin")
    page = client.get(URL).content.decode()
    select = re.search(r'<select name="category" id="id_category">(.*?)</select>', page, re.S)
    assert select is not None
    values = re.findall(r'<option value="([^"]*)"', select.group(1))
    assert values[0] == ""
    assert set(values[1:]) == set(CATEGORY_WORDS)
    assert '<option value="bridging_treatment">A bridging treatment</option>' in select.group(1)

    # The chosen category exactly: "diary" is not "diary_import" any more.
    page = client.get(URL, {"category": "diary"}).content.decode()
    assert "Viewed the diary" in page
    assert "Viewed a diary import" not in page
    # A category the code never records is refused, and the filter left as it was.
    page = client.get(reverse("audit-report"), {"category": "no_such"}).content.decode()
    assert "Select a valid choice" in page
