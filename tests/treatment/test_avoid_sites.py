"""An adverse-event action 'avoid these sites' shows on the next session's site map (issue 7.3)."""

import datetime as dt

from django.urls import reverse

from cephalog.safety.models import AdverseEvent
from tests.personas import Cast, client_for
from tests.treatment.helpers import start


def test_it_shows_sites_to_avoid_on_the_next_session(cast: Cast) -> None:
    AdverseEvent.objects.create(
        patient=cast.patient,
        symptom="brow_ptosis",
        onset=dt.date(2026, 3, 1),
        severity="moderate",
        avoid_sites=["frontalis-L-1", "frontalis-R-1"],
        actions="avoid lower frontalis sites next time",
    )
    session = start(cast.patient, cast.physician)
    body = (
        client_for(cast, "physician")
        .get(reverse("session-detail", args=[cast.patient.pk, session.pk]))
        .content.decode()
    )
    assert "Sites to avoid this time" in body
    assert "frontalis-L-1" in body
    assert "avoid lower frontalis sites next time" in body
    assert body.count('<span class="tag avoid">avoid</span>') == 2
