"""Time zones as places: the staff forms offer the clinic's zone first, then the zones
common in its country, then every place by name ("London (UK)"), storing the IANA name;
the patient's page says which zone her diary keeps and that the clinic changes it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from cephalog.accounts.models import Clinic
from cephalog.accounts.time_zones import time_zone_label
from cephalog.audit.models import AuditEvent
from cephalog.core.time import patient_today
from cephalog.patients.models import Patient
from tests.personas import Cast, client_for


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("Europe/London", "London (UK)"),
        ("Pacific/Auckland", "Auckland (New Zealand)"),
        ("America/Chicago", "Chicago (US Central)"),
        ("America/Indiana/Knox", "Knox, Indiana (US)"),
        ("America/Argentina/Salta", "Salta (Argentina)"),
        ("Europe/Jersey", "Jersey"),
        ("UTC", "UTC"),  # no country: its own name
    ],
)
def test_it_names_a_zone_by_its_place_and_country(zone: str, label: str) -> None:
    assert time_zone_label(zone) == label


def _options(html: str, name: str = "time_zone") -> list[tuple[str, str, str, bool]]:
    """(group, value, label, selected) of each option of the select `name`, in order."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, f"no select {name}"
    found, group = [], ""
    for tag in re.finditer(
        r'<optgroup label="([^"]*)">|<option value="([^"]*)"( selected)?>([^<]*)</option>',
        select.group(1),
    ):
        if tag.group(1) is not None:
            group = tag.group(1)
        else:
            found.append((group, tag.group(2), tag.group(4), bool(tag.group(3))))
    return found


def _us_clinic(cast: Cast) -> None:
    Clinic.objects.filter(pk=cast.clinic.pk).update(country="US", time_zone="America/Chicago")


def test_the_add_patient_form_offers_the_clinics_zone_first_chosen(cast: Cast) -> None:
    html = client_for(cast, "nurse").get(reverse("patient-new")).content.decode()
    options = _options(html)
    assert options[0] == ("This clinic", "Europe/London", "London (UK)", True)
    assert [o for o in options if o[3]] == [options[0]]  # chosen once
    # then every place A to Z by name, the stored value still the IANA name
    places = [o for o in options if o[0] == "All places, A to Z"]
    assert ("All places, A to Z", "Pacific/Auckland", "Auckland (New Zealand)", False) in places
    assert [o[2] for o in places] == sorted(o[2] for o in places)
    assert len({o[1] for o in options}) >= 590  # nothing dropped from the old list
    assert "which day is today in the diary" in html  # what the choice means


def test_a_us_clinic_sees_its_zone_then_the_common_us_zones(cast: Cast) -> None:
    _us_clinic(cast)
    html = client_for(cast, "nurse").get(reverse("patient-new")).content.decode()
    options = _options(html)
    assert options[0] == ("This clinic", "America/Chicago", "Chicago (US Central)", True)
    common = [(o[1], o[2]) for o in options if o[0] == "Common in the US"]
    assert common == [
        ("America/New_York", "New York (US Eastern)"),
        ("America/Denver", "Denver (US Mountain)"),
        ("America/Phoenix", "Phoenix (US Arizona)"),
        ("America/Los_Angeles", "Los Angeles (US Pacific)"),
        ("America/Anchorage", "Anchorage (US Alaska)"),
        ("Pacific/Honolulu", "Honolulu (US Hawaii)"),
    ]
    assert options.index(next(o for o in options if o[0] == "Common in the US")) == 1
    response = client_for(cast, "nurse").post(
        reverse("patient-new"),
        {
            "clinic": cast.clinic.pk,
            "mrn": "MRN-3001",
            "given_name": "Dana",
            "family_name": "Okafor",
            "birth_date": "1990-05-01",
            "sex": "female",
            "email": "dana@example.org",
            "time_zone": "America/Denver",
        },
    )
    assert response.status_code == 302
    assert Patient.objects.get(mrn="MRN-3001").time_zone == "America/Denver"


def test_staff_change_a_patients_zone_from_her_page_told_what_it_means_for_dates(
    cast: Cast,
) -> None:
    client = client_for(cast, "nurse")
    chart = client.get(reverse("patient-chart", args=[cast.patient.pk])).content.decode()
    assert "London (UK)" in chart
    assert reverse("patient-contact", args=[cast.patient.pk]) in chart
    url = reverse("patient-contact", args=[cast.patient.pk])
    page = client.get(url).content.decode()
    assert _options(page)[0] == ("This clinic", "Europe/London", "London (UK)", True)
    assert "which day is today in the diary" in page
    assert "Days already recorded keep their dates." in page
    assert 'aria-describedby="id_time_zone_helptext"' in page
    assert 'id="id_time_zone_helptext"' in page
    response = client.post(
        url,
        {
            "email": cast.patient.email,
            "phone": "",
            "address": "",
            "time_zone": "Pacific/Auckland",
            "preferred_contact": "email",
        },
    )
    assert response.status_code == 302
    assert Patient.objects.get(pk=cast.patient.pk).time_zone == "Pacific/Auckland"
    row = AuditEvent.objects.get(category="contact_details", action="update")
    assert (row.detail["before"]["time_zone"], row.detail["after"]["time_zone"]) == (
        "Europe/London",
        "Pacific/Auckland",
    )
    chart = client.get(reverse("patient-chart", args=[cast.patient.pk])).content.decode()
    assert "Auckland (New Zealand)" in chart


def test_the_clinic_settings_offer_the_clinics_zone_first(cast: Cast) -> None:
    _us_clinic(cast)
    html = client_for(cast, "clinic_admin").get(reverse("clinic-settings")).content.decode()
    options = _options(html)
    assert options[0] == ("This clinic", "America/Chicago", "Chicago (US Central)", True)
    assert options[1][0] == "Common in the US"


def test_the_patient_reads_which_time_zone_her_diary_keeps(cast: Cast) -> None:
    Patient.objects.filter(pk=cast.patient.pk).update(time_zone="Pacific/Auckland")
    html = client_for(cast, "patient_user").get(reverse("diary-settings")).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Your diary keeps the time in Auckland (New Zealand) ." in text
    assert "which day is today in your diary" in text
    assert "the last 7 days" in text
    assert "Only the clinic can change it." in text
    assert "tell Leeds Headache Centre on 0113 000 0000" in text
    assert "Pacific/Auckland" not in html  # the words, never the code
    more = client_for(cast, "patient_user").get(reverse("patient-more")).content.decode()
    assert "Evening reminder, your diary's time zone, email and password" in more
    # nothing for her to change it with: no field, no link to the staff page
    assert 'name="time_zone"' not in html
    assert reverse("patient-contact", args=[cast.patient.pk]) not in html


def test_a_day_not_come_yet_names_her_zone_as_a_place(cast: Cast) -> None:
    tomorrow = patient_today(cast.patient) + dt.timedelta(days=1)
    html = client_for(cast, "patient_user").get(reverse("diary-day", args=[tomorrow])).content
    assert "by the time in London (UK)." in html.decode()
    assert "Europe/London time" not in html.decode()
