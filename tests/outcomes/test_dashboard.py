"""The clinic dashboard: who is due or overdue, whose baseline is ready, whose compliance is low,
who is wearing off, who needs a review or a renewal letter; in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cephalog.analytics.cohort import diary_compliance
from cephalog.diary.actions import save_day
from cephalog.outcomes import actions
from cephalog.outcomes.dashboard import dashboard, load_frames
from cephalog.patients.models import Patient
from cephalog.patients.queries import patient_rows
from cephalog.scheduling.actions import set_authorisation_end
from tests.outcomes.helpers import TODAY, write_history
from tests.personas import Cast, client_for, make_patient

NOW = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def clinic(cast: Cast, time_machine: Any) -> Cast:
    time_machine.move_to(NOW, tick=False)
    write_history(cast.patient)  # two complete cycles, last session 27 Jan: overdue, wears off
    # baseline diary only, 40 days, all recorded
    write_history(cast.other_patient, sessions=(), start=TODAY - dt.timedelta(days=39))
    # one session 30 days ago; diary two days in three
    poor = make_patient(cast.clinic, "MRN-1003", "Cato", "Pemberton", None)
    write_history(poor, sessions=(TODAY - dt.timedelta(days=30),), skip_every=3)
    # one session 80 days ago: due in 4 days; authorisation ends in 3 weeks
    due = make_patient(cast.clinic, "MRN-1004", "Dora", "Fairweather", None)
    write_history(due, sessions=(TODAY - dt.timedelta(days=80),))
    set_authorisation_end(patient=due, end=TODAY + dt.timedelta(days=21), by=cast.clinic_admin)
    write_history(cast.other_clinic_patient)
    return cast


def names(rows: list[Any]) -> list[str]:
    return [r.name for r in rows]


def test_it_sorts_patients_into_the_lists(clinic: Cast) -> None:
    board = dashboard([clinic.clinic.pk], TODAY)
    assert board.patients == 4
    assert names(board.overdue) == ["Ada Quill"]
    assert "21 days overdue" in board.overdue[0].detail
    assert names(board.due) == ["Dora Fairweather"]
    assert names(board.baseline_ready) == ["Brook Tarrant"]
    assert names(board.low_compliance) == ["Cato Pemberton"]
    assert names(board.wearing_off) == ["Ada Quill"]
    assert names(board.needs_review) == ["Ada Quill"]
    assert "50% fewer headache days" in board.needs_review[0].detail
    assert names(board.renewal_due) == ["Dora Fairweather"]
    # dates as every other page writes them: "2 Jun 2026", not "02 Jun 2026"
    assert board.renewal_due[0].detail == "authorisation ends 2 Jun 2026"


def test_a_decision_clears_the_review_and_a_stop_clears_the_due_list(clinic: Cast) -> None:
    actions.record_decision(
        patient=clinic.patient, by=clinic.physician, decision="stop", reason="Episodic now."
    )
    board = dashboard([clinic.clinic.pk], TODAY)
    assert board.needs_review == []
    assert board.overdue == []
    assert board.wearing_off == []


def test_the_query_count_does_not_grow_with_the_clinic(clinic: Cast) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            dashboard([clinic.clinic.pk], TODAY)
        return len(queries)

    before = count()
    for n in range(5):
        extra = make_patient(clinic.clinic, f"MRN-20{n}", "Extra", f"Patient{n}", None)
        write_history(extra, sessions=(TODAY - dt.timedelta(days=100 + n),))
        actions.record_decision(
            patient=extra, by=clinic.physician, decision="continue", reason="Fine."
        )
    assert count() == before
    assert before <= 7  # 6 reads and the clinics' rulesets (spec section 11)


def test_the_page_shows_the_lists(clinic: Cast) -> None:
    page = client_for(clinic, "nurse").get("/clinic/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Dashboard: Leeds Headache Centre" in html
    for name in ("Ada Quill", "Brook Tarrant", "Cato Pemberton", "Dora Fairweather"):
        assert name in html
    assert "Cyrus" not in html  # the other clinic's patient
    assert f"/clinic/patients/{clinic.patient.pk}/outcomes/" in html


# --- diary compliance counted from when the diary began, as on the patient list -----------


def joined(patient: Patient, ago: dt.timedelta, time_zone: str = "Europe/London") -> None:
    """The patient was added to the programme `ago` before now (in `time_zone`)."""
    Patient.objects.filter(pk=patient.pk).update(created_at=NOW - ago, time_zone=time_zone)
    patient.refresh_from_db()


def fill_in(clinic: Cast, patient: Patient, days_ago: range) -> None:
    for ago in days_ago:
        save_day(
            patient=patient,
            data={"date": (TODAY - dt.timedelta(days=ago)).isoformat(), "headache_hours": 0},
            by=clinic.nurse,
            today=TODAY,
            source="staff",
        )


@pytest.fixture
def newcomers(clinic: Cast) -> dict[str, Patient]:
    """Joined 20 days ago (23 Apr) and filled in the last 5 days; joined 10 days ago (3 May)
    and filled in nothing; added "tomorrow" in Auckland (13 May there, clock skew) and filled
    in nothing; joined 60 days ago, a paper diary from 70 days ago typed in, and the last 21
    of 28 days filled in (75%)."""
    made = {
        "late": make_patient(clinic.clinic, "MRN-3001", "Eve", "Latimer", None),
        "never": make_patient(clinic.clinic, "MRN-3002", "Nia", "Nevers", None),
        "ahead": make_patient(clinic.clinic, "MRN-3003", "Ria", "Aroha", None),
        "paper": make_patient(clinic.clinic, "MRN-3004", "Pia", "Papers", None),
    }
    joined(made["late"], dt.timedelta(days=19))
    fill_in(clinic, made["late"], range(5))
    joined(made["never"], dt.timedelta(days=9))
    joined(made["ahead"], -dt.timedelta(hours=3), "Pacific/Auckland")
    joined(made["paper"], dt.timedelta(days=60))
    fill_in(clinic, made["paper"], range(70, 71))
    fill_in(clinic, made["paper"], range(21))
    return made


def details(html_text: str, section: str) -> dict[str, str]:
    """A dashboard card's rows: name -> detail, tags dropped."""
    card = html_text[html_text.index(f'id="{section}"') :]
    card = card[: card.index("</section>")]
    rows = re.findall(r'<a href="[^"]*">([^<]*)</a>.*?<span class="detail">([^<]*)</span>', card)
    return {html.unescape(name): html.unescape(detail) for name, detail in rows}


def test_the_page_counts_compliance_from_the_day_she_joined(
    clinic: Cast, newcomers: dict[str, Patient]
) -> None:
    """Not from her first entry (5 of 5, not listed) and not hiding, or counting 28 days
    for, a patient who has filled in nothing; the start said as the patient list says it.
    A patient who joined today (Ria, 0 of 1) is not flagged before her first evening is
    over; the patient list still shows her 0/1."""
    page = client_for(clinic, "nurse").get("/clinic/dashboard/")
    assert page.status_code == 200
    low = details(page.content.decode(), "compliance")
    assert low == {
        "Nia Nevers": "0 of 10 days filled in since the patient joined on 3 May (0%)",
        "Eve Latimer": "5 of 20 days filled in since the patient joined on 23 Apr (25%)",
        "Cato Pemberton": "19 of 28 days filled in (68%)",
        "Pia Papers": "21 of 28 days filled in (75%)",
    }
    listed = client_for(clinic, "nurse").get("/clinic/patients/").content.decode()
    for cell in (
        "0/10 (0%) <small>since the patient joined on 3 May</small>",
        "0/1 (0%) <small>since the diary began on 12 May</small>",
        "5/20 (25%) <small>since the patient joined on 23 Apr</small>",
        "21/28 (75%)</td>",
    ):
        assert cell in listed


def test_it_agrees_with_the_patient_list_for_every_patient(
    clinic: Cast, newcomers: dict[str, Patient]
) -> None:
    """The dashboard's figures (recorded, days, percentage) are the patient list's last 28
    days for every patient of the clinic, whoever is flagged."""
    frames = load_frames([clinic.clinic.pk], TODAY)
    board = {
        r["patient"]: (r["recorded_last_28"], r["expected_days"], round(r["compliance_pct"]))
        for r in diary_compliance(frames.diary, frames.patients, TODAY).to_dicts()
    }
    rows = patient_rows(Patient.objects.filter(clinic=clinic.clinic), today=TODAY, limit=100)
    listed = {
        str(r.patient.pk): (r.filled_28.recorded, r.filled_28.days, r.compliance_28) for r in rows
    }
    assert len(listed) == 8
    assert board == listed
