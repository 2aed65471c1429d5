"""The patient's own page says in plain words why they are, or are not yet, eligible and
what happens next."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from cephalog.diary.actions import save_day
from cephalog.eligibility import actions
from tests.personas import Cast, client_for

JARGON = ("per 28", "criterion", "criteria", "needs_review", "not_eligible", "ICHD", "flag", "_")


def text_of(html: str) -> str:
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def page(cast: Cast) -> str:
    response = client_for(cast, "patient_user").get("/me/eligibility/")
    assert response.status_code == 200
    return text_of(response.content.decode())


def test_it_explains_why_not_yet_in_plain_words(cast: Cast, overuse_case: dt.date) -> None:
    text = page(cast)
    assert "You are not eligible for Botox yet" in text
    # The clinic's default, nice-ta260, counts ichd3 days under standard-2 (spec 11.1):
    # every headache is a headache day (22, label 20); probable migraine is not migraine (12).
    assert (
        "In the last 4 weeks (4 March to 31 March 2026) your diary shows 22 days with a "
        "headache, and 12 of them were migraine days." in text
    )
    assert "You filled in 28 of the 28 days." in text
    assert "Your diary shows chronic migraine" in text
    assert "You have tried 3 preventive medicines" in text
    assert "this is called medication overuse" in text
    assert "A preventive is a medicine you take every day" in text
    assert "Done Keep your diary every day for 4 weeks" in text
    assert "Now Consultation with your doctor" in text
    assert "Later First treatment session" in text
    for word in JARGON:
        assert word not in text, word


def test_it_asks_for_more_diary_days_first(cast: Cast, at: Callable[[dt.date], None]) -> None:
    today = dt.date(2026, 5, 12)
    at(today)
    for ago in range(10):
        save_day(
            patient=cast.patient,
            data={"date": (today - dt.timedelta(days=ago)).isoformat(), "headache_hours": 0},
            by=cast.nurse,
            today=today,
            reason="paper diary",
            source="staff",
        )
    text = page(cast)
    assert "Your clinic needs 4 weeks of your diary first" in text
    assert "not eligible" not in text
    assert "you filled in 10 of the 28 days" in text
    assert "We need at least 20 of the 28 days filled in" in text
    assert "Now Keep your diary every day for 4 weeks" in text
    assert "Later Consultation with your doctor" in text


def test_a_new_patient_is_asked_for_her_diary_not_refused(
    cast: Cast, at: Callable[[dt.date], None]
) -> None:
    """Day one: no diary yet. The clinic needs 4 weeks of diary before it can screen; that
    is the next step, not a refusal, so the page neither says "not eligible" nor wears the
    red (stop) tone."""
    at(dt.date(2026, 5, 12))
    response = client_for(cast, "patient_user").get("/me/eligibility/")
    html = response.content.decode()
    text = text_of(html)
    assert "Your clinic needs 4 weeks of your diary first" in text
    assert "not eligible" not in text
    assert "tone-stop" not in html
    assert "tone-info" in html
    assert "Your doctor makes the final decision with you at your consultation." in text
    assert "Your diary has no days filled in yet." in text
    assert "Now Keep your diary every day for 4 weeks" in text


def test_it_says_when_botox_is_not_suitable(cast: Cast, overuse_case: dt.date) -> None:
    actions.set_cautions(
        patient=cast.patient, by=cast.nurse, today=overuse_case, conditions=[], toxin_allergy=True
    )
    text = page(cast)
    assert "Botox is not suitable for you at the moment" in text
    assert "allergic reaction to botulinum toxin" in text
    assert "medication overuse" not in text  # the allergy is the whole answer


def test_it_says_when_the_doctor_has_decided(cast: Cast, overuse_case: dt.date) -> None:
    actions.decide_to_start(
        patient=cast.patient,
        policy_name="nice-ta260",
        by=cast.physician,
        on=overuse_case,
        override_reason="Overuse managed since the diary.",
    )
    text = page(cast)
    assert "Your doctor has decided you can start Botox treatment" in text
    assert "Done Consultation with your doctor" in text
    assert "Now First treatment session" in text
    assert "Overuse managed" not in text  # the clinician's reason stays in the clinic


def test_it_says_treatment_has_started_once_it_has(cast: Cast, overuse_case: dt.date) -> None:
    """A patient four treatments in read "You are not eligible for Botox yet" (or "Your doctor
    needs to check a few things first") above three steps all marked done, and "You have
    filled in N of the last 28 days" counted the 28 days before the first treatment."""
    from cephalog.treatment.models import Session, SessionStatus

    Session.objects.create(
        patient=cast.patient,
        date=overuse_case,
        status=SessionStatus.COMPLETED,
        total_units=155,
        sites_injected=31,
    )
    text = page(cast)
    assert "You have started Botox treatment" in text
    assert "not eligible" not in text
    assert "needs to check" not in text
    assert "Done Keep your diary every day for 4 weeks" in text
    assert "Done First treatment session" in text
    assert re.search(r"You filled in \d+ of the 28 days before your first treatment\.", text)
    assert "of the last 28 days" not in text
