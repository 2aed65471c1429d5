"""Recording a session site by site: totals, waste and billing come from the domain."""

from __future__ import annotations

import datetime as dt

import pytest

from cephalog.audit.models import AuditEvent
from cephalog.domain import dosing
from cephalog.treatment import actions
from cephalog.treatment.models import BillingLine, SessionSite
from tests.personas import Cast
from tests.treatment.helpers import FTP_8, NOW, full_session, preempt, start, vial


def billing(session_id: int) -> list[tuple[str, str, int]]:
    return list(
        BillingLine.objects.filter(session_id=session_id)
        .order_by("id")
        .values_list("code", "modifier", "units")
    )


def test_it_bills_a_full_preempt_session_from_a_200_unit_vial(cast: Cast) -> None:
    session = full_session(cast.patient, cast.physician)
    assert session.status == "completed"
    assert session.locked
    assert session.total_units == 155
    assert session.sites_injected == 31
    assert session.units_opened == 200
    assert session.units_discarded == 45
    assert billing(session.pk) == [("64615", "", 1), ("J0585", "", 155), ("J0585", "JW", 45)]
    assert session.signed_by == cast.physician
    assert SessionSite.objects.filter(session=session, status="done").count() == 31


def test_it_bills_195_units_with_eight_follow_the_pain_sites_and_5_units_waste(
    cast: Cast,
) -> None:
    session = full_session(cast.patient, cast.physician, ftp=FTP_8)
    assert (session.total_units, session.sites_injected) == (195, 39)
    assert session.units_discarded == 5
    assert billing(session.pk) == [("64615", "", 1), ("J0585", "", 195), ("J0585", "JW", 5)]
    assert SessionSite.objects.filter(session=session, status="added").count() == 8


def test_it_uses_jz_when_nothing_is_discarded(cast: Cast) -> None:
    # 20 sites x 5 U = 100 U from one 100 U vial: nothing left over.
    session = start(cast.patient, cast.physician)
    vial(session, cast.physician, size_units=100, diluent_ml=2)
    skipped = {s.code: "Patient asked to stop" for s in dosing.FIXED_SITES[20:]}
    done = actions.complete_session(
        session=session,
        by=cast.physician,
        sites=preempt(skipped=skipped),
        now=NOW + dt.timedelta(minutes=15),
    )
    assert (done.total_units, done.units_discarded) == (100, 0)
    assert billing(done.pk) == [("64615", "", 1), ("J0585", "JZ", 100)]


def test_it_refuses_a_ninth_follow_the_pain_site(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError) as error:
        actions.record_sites(
            session=session, by=cast.physician, sites=preempt([*FTP_8, "trapezius-R-4"])
        )
    text = str(error.value)
    assert "trapezius" in text
    assert "at most 4" in text
    assert "39" in text
    assert not SessionSite.objects.filter(session=session).exists()


def test_it_refuses_follow_the_pain_outside_the_allowed_muscles(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError) as error:
        actions.record_sites(session=session, by=cast.physician, sites=preempt(["frontalis-L-3"]))
    assert "only in temporalis, occipitalis and trapezius" in str(error.value)


def test_it_saves_progress_with_fixed_sites_still_to_do(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    first_ten = preempt()[:10]
    actions.record_sites(session=session, by=cast.nurse, sites=first_ten)
    assert SessionSite.objects.filter(session=session).count() == 10
    vial(session, cast.physician)
    with pytest.raises(actions.SessionError) as error:
        actions.complete_session(session=session, by=cast.physician, now=NOW)
    assert "fixed site not recorded" in str(error.value)
    session.refresh_from_db()
    assert session.status == "in_progress"
    assert not BillingLine.objects.filter(session=session).exists()


def test_it_records_a_skipped_site_with_its_reason(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    vial(session, cast.physician)
    sites = preempt(skipped={"procerus-M-1": "Bruise from a fall"})
    done = actions.complete_session(
        session=session, by=cast.physician, sites=sites, now=NOW + dt.timedelta(minutes=10)
    )
    assert (done.total_units, done.sites_injected, done.units_discarded) == (150, 30, 50)
    skipped = SessionSite.objects.get(session=done, status="skipped")
    assert (skipped.code, skipped.units, skipped.skip_reason) == (
        "procerus-M-1",
        0,
        "Bruise from a fall",
    )


def test_it_refuses_a_skipped_site_without_a_reason(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    sites = preempt()
    sites[0] = dosing.RecordedSite(sites[0].code, dosing.SiteStatus.SKIPPED, 0, "  ")
    with pytest.raises(actions.SessionError, match="is skipped: give the reason"):
        actions.record_sites(session=session, by=cast.physician, sites=sites)


def test_it_refuses_completion_without_a_vial_covering_the_units(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError, match="(?i)at least one vial"):
        actions.complete_session(session=session, by=cast.physician, sites=preempt(), now=NOW)
    vial(session, cast.physician, size_units=100, diluent_ml=2)
    with pytest.raises(actions.SessionError, match="only 100 U opened"):
        actions.complete_session(session=session, by=cast.physician, sites=preempt(), now=NOW)
    # Nothing from the refused completions was kept.
    assert not SessionSite.objects.filter(session=session).exists()


def test_it_audits_each_step(cast: Cast) -> None:
    session = full_session(cast.patient, cast.physician)
    categories = list(
        AuditEvent.objects.filter(patient_id=cast.patient.pk)
        .order_by("id")
        .values_list("category", "action")
    )
    assert ("session", "create") in categories
    assert ("session_vial", "create") in categories
    last = AuditEvent.objects.filter(category="session").order_by("-id").first()
    assert last is not None
    assert last.detail["completed"] is True
    assert last.object_ref == f"session:{session.pk}"


def test_it_takes_an_end_time_in_the_starting_minute_and_refuses_an_earlier_one(
    cast: Cast,
) -> None:
    started = NOW + dt.timedelta(seconds=40)
    session = start(cast.patient, cast.physician, now=started)
    vial(session, cast.physician, now=started)
    with pytest.raises(actions.SessionError, match="cannot be before the session started"):
        actions.complete_session(
            session=session,
            by=cast.physician,
            sites=preempt(),
            ended_at=NOW - dt.timedelta(minutes=1),
            now=started,
        )
    done = actions.complete_session(
        session=session, by=cast.physician, sites=preempt(), ended_at=NOW, now=started
    )
    assert done.ended_at == done.started_at
