"""Wherever a patient page tells her to call the clinic's urgent number, the out-of-hours
service or emergency services, the numbers are right there as tap-to-call links, with the
clinic's name; without an urgent line set, the clinic's number is not called "urgent"."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils.html import escape

from cephalog.domain.safety import DEFAULT_AFTERCARE
from cephalog.safety.models import SafetySettings
from cephalog.treatment.models import Session
from tests.personas import Cast, client_for
from tests.safety.conftest import form_data

URGENT_WORDS = escape("clinic's urgent number")
SPREAD_SIGNS = escape(next(i.text for i in DEFAULT_AFTERCARE if i.key == "spread_signs"))


def _set_numbers(cast: Cast) -> None:
    SafetySettings.objects.create(
        clinic=cast.clinic,
        urgent_phone="0113 496 0123",
        out_of_hours_number="111",
        emergency_number="999",
    )


def _links(body: str) -> dict[str, str]:
    """tel: target -> link text, of the page's tap-to-call links."""
    found = re.findall(r'<a class="call-link" href="tel:([^"]+)">([^<]+)</a>', body)
    return {target: text.replace("&#x27;", "'") for target, text in found}


def _assert_numbers_beside_the_words(body: str) -> None:
    assert URGENT_WORDS in body
    links = _links(body)
    assert links["01134960123"] == "Leeds Headache Centre's urgent number: 0113 496 0123"
    assert links["111"] == "Clinic closed? Out-of-hours: 111"
    assert links["999"] == "Emergency services: 999"
    # Beside the words: the numbers follow the label's words before anything else does.
    after = body[body.index(SPREAD_SIGNS) + len(SPREAD_SIGNS) :]
    assert after.removeprefix("</p>").lstrip().startswith('<ul class="call-numbers"')


def _pages(cast: Cast, session: Session) -> dict[str, str]:
    client = client_for(cast, "patient_user")
    today = session.date + dt.timedelta(days=3)
    done = client.post(reverse("safety-checkin"), form_data("neck_pain", today=today))
    assert done.status_code == 302
    return {
        "side effect": client.get(reverse("safety-side-effect")).content.decode(),
        "check-in result": client.get(done["Location"]).content.decode(),
        "no check-in due": client.get(reverse("safety-checkin")).content.decode(),
        "aftercare": client.get(reverse("session-aftercare", args=[session.pk])).content.decode(),
    }


def test_the_due_checkin_shows_the_urgent_numbers(cast: Cast, session3: Session) -> None:
    _set_numbers(cast)
    body = client_for(cast, "patient_user").get(reverse("safety-checkin")).content.decode()
    assert "How have you been since your treatment" in body
    _assert_numbers_beside_the_words(body)


def test_every_page_telling_her_to_call_shows_the_numbers(cast: Cast, session3: Session) -> None:
    _set_numbers(cast)
    for name, body in _pages(cast, session3).items():
        assert SPREAD_SIGNS in body, name  # the label's words, unchanged
        _assert_numbers_beside_the_words(body)


def test_without_an_urgent_line_the_clinics_number_is_not_called_urgent(
    cast: Cast, session3: Session
) -> None:
    for name, body in _pages(cast, session3).items():
        links = _links(body)
        assert links["01130000000"] == "Leeds Headache Centre: the clinic's number: 0113 000 0000"
        assert links["999"] == "Emergency services: 999"
        assert "Out-of-hours" not in " ".join(links.values()), name
        assert "urgent number: 0113 000 0000" not in body, name


def test_the_aftercare_keeps_label_guidance_and_precautions_apart(
    cast: Cast, session3: Session
) -> None:
    _set_numbers(cast)
    body = _pages(cast, session3)["aftercare"]
    label = body[body.index('id="label-heading"') : body.index('id="optional-heading"')]
    assert 'class="call-numbers"' in label  # with the label's words, not the precautions
    assert body.index("Label guidance") < body.index("Optional precaution")
    assert body.count('class="call-numbers"') == 1
