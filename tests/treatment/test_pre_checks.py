"""The safety checks before every session (issues 14.3, 14.4, 17.3): hard stops refuse, each flag
of the session date needs its own physician sign-off, and a general reason covers none of them.

Sources: BOTOX US label §4, §5, §7 (aminoglycosides; other botulinum toxins; units not
interchangeable); clinical-reference §2.4-§2.6; spec/assessment.md sections 6 and 11.4-11.5.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cephalog.eligibility import actions as record_actions
from cephalog.eligibility.models import ToxinExposure
from cephalog.treatment import actions, queries
from cephalog.treatment.models import FlagSignOff, Session
from tests.personas import Cast
from tests.treatment.helpers import NOW, full_session, sign_all_flags, start, supervisor_for


def test_it_refuses_infection_at_the_sites_whatever_the_reason(cast: Cast) -> None:
    with pytest.raises(actions.SessionError, match="Infection at the injection sites"):
        start(cast.patient, cast.physician, infection_at_sites=True, precheck_reason="urgent")
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("answer", "flag"),
    [("pregnant", "pregnancy"), ("red_flags_since_last", "red_flags_since_last")],
)
def test_pregnancy_or_new_red_flags_need_their_own_sign_off(
    cast: Cast, answer: str, flag: str
) -> None:
    # A general reason to proceed does not stand for the flag.
    with pytest.raises(actions.SessionError) as error:
        start(
            cast.patient,
            cast.physician,
            precheck_reason="Discussed with the patient",
            sign_flags=False,
            **{answer: True},
        )
    assert any("needs its own physician's sign-off" in p for p in error.value.problems)
    assert not Session.objects.exists()
    session = start(cast.patient, cast.physician, **{answer: True})
    assert session.prechecks[answer] is True
    signed = next(r for r in session.rule_results if r["rule"] == f"flag:{flag}")
    assert signed["status"] == "signed_off"
    assert signed["signed_by"] == cast.physician.pk
    assert "Reviewed for this session." in signed["message"]


def test_an_aminoglycoside_started_after_the_last_session_needs_its_own_sign_off(
    cast: Cast,
) -> None:
    """Issue 14, done when: the flag is shown and signed off on its own before the first site."""
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=90))
    record_actions.save_medication(
        patient=cast.patient,
        by=cast.physician,
        name="gentamicin",
        drug_class="aminoglycoside",
        start=NOW.date() - dt.timedelta(days=10),
    )
    actions.record_check(
        patient=cast.patient,
        by=cast.nurse,
        answers=actions.point_of_care.Answers(
            False, False, False, new_since_last=True, new_since_last_note="gentamicin injections"
        ),
        now=NOW,
    )
    pre = queries.pre_session(cast.patient, NOW.date())
    codes = [f.code for f in pre.unsigned]
    assert codes == ["interacting_medication:aminoglycoside", "new_since_last"]
    assert "(started after the last session)" in pre.flags[0].finding.detail
    # A nurse cannot sign a flag; a physician signs each one on its own.
    with pytest.raises(actions.SessionError, match="Only a physician"):
        actions.sign_off_flag(
            patient=cast.patient,
            by=cast.nurse,
            flag="interacting_medication:aminoglycoside",
            note="ok",
            now=NOW,
        )
    actions.sign_off_flag(
        patient=cast.patient,
        by=cast.physician,
        flag="new_since_last",
        note="Record updated with the patient.",
        now=NOW,
    )
    with pytest.raises(actions.SessionError) as error:
        actions.start_session(
            patient=cast.patient,
            by=cast.nurse,
            injector=cast.physician,
            supervisor=supervisor_for(cast.patient, cast.physician),
            precheck_reason="Patient keen to go ahead; eligibility reviewed.",
            now=NOW,
        )
    assert error.value.by_field["flag-interacting-medication:aminoglycoside".replace(":", "-")] == [
        "Interacting medicine: aminoglycoside antibiotic: needs its own physician's sign-off "
        "before the first site."
    ]
    sign = actions.sign_off_flag(
        patient=cast.patient,
        by=cast.physician,
        flag="interacting_medication:aminoglycoside",
        note="Course ended 3 days ago; low dose; warned about weakness.",
        now=NOW,
    )
    assert (sign.signed_by, sign.signed_at, sign.note) == (
        cast.physician,
        NOW,
        "Course ended 3 days ago; low dose; warned about weakness.",
    )
    session = actions.start_session(
        patient=cast.patient,
        by=cast.nurse,
        injector=cast.physician,
        supervisor=supervisor_for(cast.patient, cast.physician),
        precheck_reason="Patient keen to go ahead; eligibility reviewed.",
        now=NOW,
    )
    assert session.safety_check is not None
    assert session.sites.count() == 0  # signed before the first site
    rules = {r["rule"]: r for r in session.rule_results}
    assert rules["flag:interacting_medication:aminoglycoside"]["status"] == "signed_off"
    assert "gentamicin" in rules["flag:interacting_medication:aminoglycoside"]["message"]


def test_a_sign_off_no_longer_counts_once_the_flag_reads_differently(cast: Cast) -> None:
    record_actions.save_medication(
        patient=cast.patient, by=cast.physician, name="gentamicin", drug_class="aminoglycoside"
    )
    actions.record_check(
        patient=cast.patient,
        by=cast.physician,
        answers=actions.point_of_care.Answers(False, False, False),
        now=NOW,
    )
    sign_all_flags(cast.patient, cast.physician)
    assert not queries.pre_session(cast.patient, NOW.date()).unsigned
    record_actions.save_medication(
        patient=cast.patient, by=cast.physician, name="tobramycin", drug_class="aminoglycoside"
    )
    (row,) = queries.pre_session(cast.patient, NOW.date()).unsigned
    assert row.stale
    assert FlagSignOff.objects.count() == 1


def test_a_300_u_abobotulinumtoxina_exposure_30_days_earlier_is_a_flag_not_a_refusal(
    cast: Cast,
) -> None:
    """Issue 14, done when: not added to the 400 U cap (units not interchangeable), but flagged."""
    ToxinExposure.objects.create(
        patient=cast.patient,
        date=NOW.date() - dt.timedelta(days=30),
        product="abobotulinumtoxinA",
        units=300,
        indication="cervical dystonia",
    )
    with pytest.raises(actions.SessionError) as error:
        start(cast.patient, cast.physician, sign_flags=False)
    assert [p for p in error.value.problems if "toxin" in p.lower()] == [
        "Botulinum toxin in the last 90 days: needs its own physician's sign-off before the "
        "first site."
    ]
    session = start(cast.patient, cast.physician)
    rules = {r["rule"]: r for r in session.rule_results}
    assert rules["cumulative_dose"]["status"] == "ok"
    assert "At most 155 U" in rules["cumulative_dose"]["message"]
    assert "abobotulinumtoxinA (Dysport)" in rules["flag:recent_toxin_exposure"]["message"]


def test_300_u_of_onabotulinumtoxina_30_days_earlier_still_refuses(cast: Cast) -> None:
    ToxinExposure.objects.create(
        patient=cast.patient,
        date=NOW.date() - dt.timedelta(days=30),
        product="onabotulinumtoxinA",
        units=300,
        indication="spasticity",
    )
    with pytest.raises(actions.SessionError, match="455 U of onabotulinumtoxinA"):
        start(cast.patient, cast.physician)


def test_it_records_every_check_with_its_source(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    rules = {r["rule"]: r for r in session.rule_results}
    assert set(rules) == {
        "eligibility",
        "continuation",
        "retreatment_interval",
        "cumulative_dose",
        "supervision",
    }
    assert all(r["source"] for r in rules.values())
    assert rules["eligibility"]["status"] == "overridden"
    assert session.prechecks["infection_at_sites"] is False


def test_it_lists_every_problem_at_once_beside_its_control(cast: Cast) -> None:
    with pytest.raises(actions.SessionError) as error:
        start(
            cast.patient,
            cast.physician,
            infection_at_sites=True,
            pregnant=True,
            precheck_reason="",
            sign_flags=False,
        )
    by_field = error.value.by_field
    assert set(by_field) == {"safety_check", "flag-pregnancy", "precheck_reason"}
    assert len(error.value.problems) == 3  # infection, pregnancy, eligibility
    assert not any(":" in p.split(" ")[0] for p in error.value.problems)  # no field paths


def test_the_new_medicines_question_is_asked_after_a_first_session(cast: Cast) -> None:
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=90))
    with pytest.raises(actions.SessionError) as error:
        actions.record_check(
            patient=cast.patient,
            by=cast.nurse,
            answers=actions.point_of_care.Answers(False, False, False, new_since_last=None),
            now=NOW,
        )
    assert "new_since_last" in error.value.by_field
    with pytest.raises(actions.SessionError, match="Say which medicines or illnesses"):
        actions.record_check(
            patient=cast.patient,
            by=cast.nurse,
            answers=actions.point_of_care.Answers(False, False, False, new_since_last=True),
            now=NOW,
        )
    check = actions.record_check(
        patient=cast.patient,
        by=cast.nurse,
        answers=actions.point_of_care.Answers(False, False, False, new_since_last=False),
        now=NOW,
    )
    assert check.answers["new_since_last"] is False
    assert check.answers["last_session"] == (NOW - dt.timedelta(days=90)).date().isoformat()
