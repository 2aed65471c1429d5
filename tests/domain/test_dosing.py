"""Tests for cephalog.domain.dosing (clinical-reference §1, §2.2, §2.8, §9)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cephalog.domain.dosing import (
    FIXED_SITES,
    FTP_SITES,
    PREEMPT_155,
    SITES_BY_CODE,
    US_LABEL_155,
    MapPoint,
    Muscle,
    Protocol,
    RecordedSite,
    RuleStatus,
    Side,
    SiteStatus,
    Vial,
    View,
    billing_lines,
    check_cumulative_dose,
    check_vial,
    check_vials,
    concentration_per_0_1_ml,
    get_site,
    icd10_code,
    session_totals,
    units_discarded,
    validate_protocol,
    validate_session,
)

UTC = dt.UTC
SESSION_AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def full_session() -> list[RecordedSite]:
    return [RecordedSite(s.code, SiteStatus.DONE, 5) for s in FIXED_SITES]


def added(*codes: str) -> list[RecordedSite]:
    return [RecordedSite(c, SiteStatus.ADDED, 5) for c in codes]


FTP_TEMPORALIS = ["temporalis-L-5", "temporalis-R-5"]
FTP_OCCIPITALIS = ["occipitalis-L-4", "occipitalis-L-5"]
FTP_TRAPEZIUS = ["trapezius-R-4", "trapezius-R-5", "trapezius-R-6", "trapezius-R-7"]
ALL_FTP = FTP_TEMPORALIS + FTP_OCCIPITALIS + FTP_TRAPEZIUS


# --- the protocol as data (§1.1, §1.2) ---------------------------------------


def test_it_has_31_fixed_sites_in_7_muscles_totalling_155_units() -> None:
    per_muscle = Counter(s.muscle for s in FIXED_SITES)
    assert per_muscle == {
        Muscle.CORRUGATOR: 2,
        Muscle.PROCERUS: 1,
        Muscle.FRONTALIS: 4,
        Muscle.TEMPORALIS: 8,
        Muscle.OCCIPITALIS: 6,
        Muscle.CERVICAL_PARASPINAL: 4,
        Muscle.TRAPEZIUS: 6,
    }
    assert len(FIXED_SITES) == 31
    assert PREEMPT_155.fixed_units == 155
    sides = Counter(s.side for s in FIXED_SITES)
    assert sides == {Side.LEFT: 15, Side.RIGHT: 15, Side.MIDLINE: 1}


def test_it_gives_stable_unique_codes() -> None:
    codes = [s.code for s in (*FIXED_SITES, *FTP_SITES)]
    assert len(codes) == len(set(codes))
    assert get_site("temporalis-L-1") is not None
    assert get_site("procerus-M-1") is not None
    assert get_site("cervical_paraspinal-R-2") is not None
    assert get_site("nose-L-1") is None
    for s in FIXED_SITES:
        assert s.code == f"{s.muscle}-{s.side}-{s.index}"


def test_it_offers_follow_the_pain_slots_only_in_three_muscles() -> None:
    per_muscle = Counter(s.muscle for s in FTP_SITES)
    # one slot per allowed extra site on each side, so all can go on one side
    assert per_muscle == {Muscle.TEMPORALIS: 4, Muscle.OCCIPITALIS: 4, Muscle.TRAPEZIUS: 8}
    assert all(s.follow_the_pain for s in FTP_SITES)
    assert not any(s.follow_the_pain for s in FIXED_SITES)


def test_every_site_has_a_map_point_on_the_canvas() -> None:
    for s in (*FIXED_SITES, *FTP_SITES):
        assert s.points, s.code
        for p in s.points:
            assert isinstance(p, MapPoint)
            assert 0 <= p.x <= 200
            assert 0 <= p.y <= 240


def test_map_points_are_at_least_8_px_apart_within_a_panel() -> None:
    # the side view is drawn once per side, so each side is its own panel
    panels: dict[tuple[View, Side | None], list[tuple[str, MapPoint]]] = {}
    for s in (*FIXED_SITES, *FTP_SITES):
        for p in s.points:
            panel = s.side if p.view is View.SIDE else None
            panels.setdefault((p.view, panel), []).append((s.code, p))
    for points in panels.values():
        for i, (code_a, a) in enumerate(points):
            for code_b, b in points[i + 1 :]:
                assert (a.x - b.x) ** 2 + (a.y - b.y) ** 2 >= 64, (code_a, code_b)


@pytest.mark.parametrize(
    ("code", "view", "viewer_side_of_midline"),
    [
        ("corrugator-L-1", View.FRONT, "right"),  # facing the viewer
        ("corrugator-R-1", View.FRONT, "left"),
        ("occipitalis-L-1", View.BACK, "left"),  # seen from behind
        ("trapezius-R-3", View.BACK, "right"),
    ],
)
def test_map_points_follow_the_viewing_convention(
    code: str, view: View, viewer_side_of_midline: str
) -> None:
    site = SITES_BY_CODE[code]
    point = site.point(view)
    assert point is not None
    assert (point.x > 100) == (viewer_side_of_midline == "right")


def test_left_and_right_sites_mirror() -> None:
    left = SITES_BY_CODE["temporalis-L-2"].point(View.SIDE)
    right = SITES_BY_CODE["temporalis-R-2"].point(View.SIDE)
    assert left is not None
    assert right is not None
    assert (left.x, left.y) == (200 - right.x, right.y)
    assert SITES_BY_CODE["temporalis-L-2"].point(View.FRONT) is None


# --- protocol templates --------------------------------------------------------


def test_the_built_in_protocols_are_valid() -> None:
    assert validate_protocol(PREEMPT_155) == []
    assert validate_protocol(US_LABEL_155) == []
    assert (PREEMPT_155.max_units, PREEMPT_155.max_sites) == (195, 39)
    assert (US_LABEL_155.max_units, US_LABEL_155.max_sites) == (155, 31)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"max_units": 195}, None),
        ({"max_units": 175, "max_sites": 35}, None),
        ({"max_units": 200}, "max_units: must be between 155 and 195, got 200"),
        ({"max_units": 150}, "max_units: must be between 155 and 195, got 150"),
        ({"max_sites": 40}, "max_sites: must be between 31 and 39, got 40"),
        ({"units_per_site": 10}, "units_per_site: must be 5"),
        ({"name": " "}, "name: must not be blank"),
        (
            {"ftp_caps": {Muscle.TEMPORALIS: 3}},
            "ftp_caps[temporalis]: at most 2 extra sites, got 3",
        ),
        ({"ftp_caps": {Muscle.TRAPEZIUS: 4}}, None),
        ({"ftp_caps": {Muscle.TRAPEZIUS: 5}}, "ftp_caps[trapezius]: at most 4 extra sites, got 5"),
        (
            {"ftp_caps": {Muscle.FRONTALIS: 1}},
            "ftp_caps[frontalis]: follow-the-pain is allowed only",
        ),
        ({"ftp_caps": {Muscle.OCCIPITALIS: -1}}, "ftp_caps[occipitalis]: must not be negative"),
        ({"fixed_sites": FIXED_SITES[1:]}, "fixed_sites: all 31 PREEMPT fixed sites are required"),
        ({"fixed_sites": (*FIXED_SITES, FTP_SITES[0])}, "is not a PREEMPT fixed site"),
        ({"fixed_sites": (*FIXED_SITES, FIXED_SITES[0])}, "duplicate site corrugator-L-1"),
    ],
)
def test_it_validates_clinic_templates_within_preempt_limits(
    changes: dict[str, object], expected: str | None
) -> None:
    template = dataclasses.replace(PREEMPT_155, **changes)  # type: ignore[arg-type]
    problems = validate_protocol(template)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


# --- session validation --------------------------------------------------------


def test_a_complete_fixed_session_is_155_units_in_31_sites() -> None:
    check = validate_session(full_session())
    assert check.ok, check.problems
    assert check.totals.units_given == 155
    assert check.totals.sites_injected == 31
    assert check.totals.units_by_muscle[Muscle.TEMPORALIS] == 40
    assert check.totals.sites_by_muscle[Muscle.PROCERUS] == 1
    assert check.totals.ftp_sites == 0


def test_full_follow_the_pain_is_195_units_in_39_sites() -> None:
    check = validate_session(full_session() + added(*ALL_FTP))
    assert check.ok, check.problems
    assert (check.totals.units_given, check.totals.sites_injected) == (195, 39)
    assert check.totals.ftp_units == 40
    assert check.totals.units_by_muscle[Muscle.TRAPEZIUS] == 50


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (FTP_TEMPORALIS, None),  # cap 2
        (FTP_OCCIPITALIS, None),  # cap 2
        (FTP_TRAPEZIUS, None),  # cap 4, all on one side
        (["temporalis-L-5", "temporalis-L-6"], None),  # unilateral
        (
            [*FTP_TEMPORALIS, "temporalis-L-6"],
            "follow-the-pain: 3 temporalis sites added, at most 2 allowed",
        ),
        (
            [*FTP_OCCIPITALIS, "occipitalis-R-4"],
            "follow-the-pain: 3 occipitalis sites added, at most 2 allowed",
        ),
        (
            [*FTP_TRAPEZIUS, "trapezius-L-4"],
            "follow-the-pain: 5 trapezius sites added, at most 4 allowed",
        ),
        (["frontalis-L-3"], "follow-the-pain sites are allowed only in temporalis"),
        (["cervical_paraspinal-L-3"], "got cervical_paraspinal"),
        (["temporalis-L-1"], "temporalis-L-1 is a fixed site; record it as done"),
        (["temporalis-L-9"], "unknown follow-the-pain site temporalis-L-9"),
    ],
)
def test_it_enforces_follow_the_pain_muscles_and_caps(
    extra: list[str], expected: str | None
) -> None:
    check = validate_session(full_session() + added(*extra))
    if expected is None:
        assert check.ok, check.problems
    else:
        assert any(expected in p for p in check.problems), check.problems


def test_a_ninth_follow_the_pain_site_breaks_the_cap_and_the_session_maximum() -> None:
    check = validate_session(full_session() + added(*ALL_FTP, "temporalis-L-5"))
    problems = " | ".join(check.problems)
    assert "3 temporalis sites added, at most 2 allowed" in problems
    assert "200 U given, protocol preempt-155 allows at most 195 U" in problems
    assert "40 sites injected" in problems
    assert check.totals.units_given == 200


def test_us_label_protocol_allows_no_follow_the_pain() -> None:
    check = validate_session(full_session() + added("temporalis-L-5"), US_LABEL_155)
    problems = " | ".join(check.problems)
    assert "protocol us-label-155 allows no follow-the-pain sites in temporalis" in problems
    assert "160 U given, protocol us-label-155 allows at most 155 U" in problems


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        (RecordedSite("frontalis-L-1", SiteStatus.DONE, 5), None),
        (
            RecordedSite("frontalis-L-1", SiteStatus.DONE, 10),
            "sites[3].units: frontalis-L-1 must have 5 U, got 10",
        ),
        (
            RecordedSite("frontalis-L-1", SiteStatus.DONE, 4),
            "sites[3].units: frontalis-L-1 must have 5 U, got 4",
        ),
        (RecordedSite("frontalis-L-1", SiteStatus.SKIPPED, 0, "scar"), None),
        (
            RecordedSite("frontalis-L-1", SiteStatus.SKIPPED, 0),
            "sites[3].skip_reason: frontalis-L-1 is skipped: give the reason",
        ),
        (
            RecordedSite("frontalis-L-1", SiteStatus.SKIPPED, 0, "  "),
            "sites[3].skip_reason: frontalis-L-1 is skipped: give the reason",
        ),
        (
            RecordedSite("frontalis-L-1", SiteStatus.SKIPPED, 5, "scar"),
            "sites[3].units: frontalis-L-1 is skipped and must have 0 U, got 5",
        ),
        (RecordedSite("chin-L-1", SiteStatus.DONE, 5), "sites[3].code: unknown site chin-L-1"),
        (
            RecordedSite("temporalis-L-5", SiteStatus.DONE, 5),
            "temporalis-L-5 is a follow-the-pain site; record it as added",
        ),
        (
            RecordedSite("temporalis-L-5", SiteStatus.SKIPPED, 0, "no pain there"),
            "temporalis-L-5 is a follow-the-pain site; leave it out",
        ),
    ],
)
def test_it_checks_each_recorded_site(site: RecordedSite, expected: str | None) -> None:
    sites = full_session()
    assert sites[3].code == "frontalis-L-1"
    sites[3] = site
    check = validate_session(sites)
    if expected is None:
        assert check.ok, check.problems
    else:
        assert any(expected in p for p in check.problems), check.problems


def test_missing_and_duplicate_fixed_sites_are_problems() -> None:
    sites = full_session()
    dropped = sites.pop(0)
    sites.append(sites[0])
    check = validate_session(sites)
    assert f"{dropped.code}: fixed site not recorded (record it as done or skipped)" in (
        check.problems
    )
    assert any("recorded twice" in p for p in check.problems)


def test_skipped_sites_reduce_the_total() -> None:
    sites = full_session()
    sites[0] = RecordedSite(sites[0].code, SiteStatus.SKIPPED, 0, "infection at site")
    check = validate_session(sites)
    assert check.ok
    assert (check.totals.units_given, check.totals.sites_injected) == (150, 30)
    assert check.totals.sites_skipped == 1


site_records = st.lists(
    st.builds(
        RecordedSite,
        code=st.sampled_from(sorted(SITES_BY_CODE) + ["unknown-L-1"]),
        status=st.sampled_from(list(SiteStatus)),
        units=st.integers(min_value=0, max_value=20),
        skip_reason=st.none() | st.text(max_size=5),
    ),
    max_size=50,
)


@given(site_records)
def test_totals_equal_the_sum_of_the_sites(sites: list[RecordedSite]) -> None:
    totals = session_totals(sites)
    injected = [s for s in sites if s.status is not SiteStatus.SKIPPED]
    assert totals.units_given == sum(s.units for s in injected)
    assert totals.sites_injected == len(injected)
    assert totals.sites_skipped == len(sites) - len(injected)
    known = [s for s in injected if s.code in SITES_BY_CODE]
    assert sum(totals.units_by_muscle.values()) == sum(s.units for s in known)
    assert sum(totals.sites_by_muscle.values()) == len(known)
    assert validate_session(sites).totals == totals


# --- vials (§1.4) ---------------------------------------------------------------


def vial(**changes: object) -> Vial:
    base = Vial(
        product="onabotulinumtoxinA",
        lot="C1234",
        expiry=dt.date(2026, 12, 31),
        size_units=200,
        diluent_ml=Decimal("4"),
        reconstituted_at=SESSION_AT - dt.timedelta(hours=1),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, None),
        ({"product": "BOTOX"}, None),
        ({"product": "abobotulinumtoxinA"}, "vial.product: must be onabotulinumtoxinA"),
        ({"lot": ""}, "vial.lot: required"),
        ({"size_units": 50, "diluent_ml": 1}, "vial.size_units: must be one of 100, 200, got 50"),
        # expiry: usable through its expiry date
        ({"expiry": SESSION_AT.date()}, None),
        (
            {"expiry": SESSION_AT.date() - dt.timedelta(days=1)},
            "vial.expiry: lot C1234 expired on 2026-03-01, before the session on 2026-03-02",
        ),
        # concentration 5 U / 0.1 mL
        ({"size_units": 100, "diluent_ml": Decimal("2")}, None),
        ({"size_units": 100, "diluent_ml": 2.0}, None),
        ({"size_units": 100, "diluent_ml": 2}, None),
        (
            {"size_units": 100, "diluent_ml": Decimal("2.5")},
            "vial.diluent_ml: 100 U in 2.5 mL gives 4 U per 0.1 mL; 5 U per 0.1 mL needs 2 mL",
        ),
        ({"size_units": 200, "diluent_ml": Decimal("4.0")}, None),
        (
            {"size_units": 200, "diluent_ml": Decimal("2")},
            "200 U in 2 mL gives 10 U per 0.1 mL; 5 U per 0.1 mL needs 4 mL",
        ),
        ({"diluent_ml": 0}, "vial.diluent_ml: must be a positive volume"),
        ({"diluent_ml": Decimal("Infinity")}, "vial.diluent_ml: must be a positive volume"),
        ({"diluent_ml": float("nan")}, "vial.diluent_ml: must be a positive volume"),
        # reconstitution within 24 h
        ({"reconstituted_at": SESSION_AT - dt.timedelta(hours=24)}, None),
        (
            {"reconstituted_at": SESSION_AT - dt.timedelta(hours=24, minutes=1)},
            "vial.reconstituted_at: reconstituted 24.0 h before use; must be used within 24 h",
        ),
        ({"reconstituted_at": SESSION_AT}, None),
        (
            {"reconstituted_at": SESSION_AT + dt.timedelta(minutes=1)},
            "is later than the time of use",
        ),
        (
            {"reconstituted_at": SESSION_AT.replace(tzinfo=None)},
            "vial.reconstituted_at: must be timezone-aware",
        ),
    ],
)
def test_it_checks_a_vial(changes: dict[str, object], expected: str | None) -> None:
    problems = check_vial(vial(**changes), used_at=SESSION_AT)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_reconstitution_age_is_compared_across_time_zones() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    # 09:00 UTC the day before = 10:00 in Paris: exactly 25 h before 10:00 UTC
    v = vial(reconstituted_at=dt.datetime(2026, 3, 1, 10, 0, tzinfo=paris))
    assert any("25.0 h" in p for p in check_vial(v, used_at=SESSION_AT))


def test_naive_time_of_use_is_refused() -> None:
    problems = check_vial(vial(), used_at=SESSION_AT.replace(tzinfo=None))
    assert "vial: used_at must be timezone-aware" in problems


@pytest.mark.parametrize(
    ("size", "ml", "per_0_1_ml"),
    [(100, Decimal("2"), 5), (200, Decimal("4"), 5), (100, Decimal("4"), Decimal("2.5"))],
)
def test_concentration_is_computed_generally(size: int, ml: Decimal, per_0_1_ml: object) -> None:
    assert concentration_per_0_1_ml(size, ml) == per_0_1_ml


@pytest.mark.parametrize(
    ("opened", "given", "discarded"), [(200, 155, 45), (200, 195, 5), (200, 200, 0), (100, 0, 100)]
)
def test_waste_is_opened_minus_given(opened: int, given: int, discarded: int) -> None:
    assert units_discarded(opened, given) == discarded


def test_giving_more_than_opened_is_an_error() -> None:
    with pytest.raises(ValueError, match="155 U given but only 100 U opened"):
        units_discarded(100, 155)
    check = check_vials([vial(size_units=100, diluent_ml=2)], used_at=SESSION_AT, units_given=155)
    assert check.units_discarded is None
    assert "vials: 155 U given but only 100 U opened" in check.problems


def test_two_100_unit_vials_for_155_units_leave_45_units() -> None:
    vials = [vial(size_units=100, diluent_ml=2), vial(size_units=100, diluent_ml=2, lot="C9")]
    check = check_vials(vials, used_at=SESSION_AT, units_given=155)
    assert check.ok
    assert (check.units_opened, check.units_discarded) == (200, 45)


def test_vial_problems_name_the_vial() -> None:
    vials = [vial(), vial(lot="")]
    check = check_vials(vials, used_at=SESSION_AT, units_given=155)
    assert check.problems == ("vials[1].lot: required",)


def test_units_given_without_a_vial_is_a_problem() -> None:
    check = check_vials([], used_at=SESSION_AT, units_given=155)
    assert "vials: at least one vial must be recorded when units are given" in check.problems


@given(st.lists(st.sampled_from([100, 200]), min_size=1, max_size=4), st.data())
def test_waste_plus_given_equals_opened(sizes: list[int], data: st.DataObject) -> None:
    opened = sum(sizes)
    given_units = data.draw(st.integers(min_value=0, max_value=opened))
    waste = units_discarded(opened, given_units)
    assert waste >= 0
    assert waste + given_units == opened


# --- billing (§9.3) -------------------------------------------------------------


def test_billing_with_waste_adds_a_jw_line() -> None:
    lines = billing_lines(155, 45)
    assert [(b.code, b.modifiers, b.units) for b in lines] == [
        ("64615", (), 1),
        ("J0585", (), 155),
        ("J0585", ("JW",), 45),
    ]


def test_billing_without_waste_puts_jz_on_the_drug_line() -> None:
    lines = billing_lines(200, 0)
    assert [(b.code, b.modifiers, b.units) for b in lines] == [
        ("64615", (), 1),
        ("J0585", ("JZ",), 200),
    ]


def test_cpt_64615_is_billed_once_without_modifier_50() -> None:
    lines = billing_lines(195, 5)
    cpt = [b for b in lines if b.code == "64615"]
    assert len(cpt) == 1
    assert "50" not in cpt[0].modifiers


@pytest.mark.parametrize(("given_units", "waste"), [(0, 0), (-1, 0), (155, -1)])
def test_billing_refuses_impossible_amounts(given_units: int, waste: int) -> None:
    with pytest.raises(ValueError, match="units_"):
        billing_lines(given_units, waste)


# --- interval (§2.2, §2.8, §11.2) -----------------------------------------------

# --- cumulative dose (§2.2, §14) ------------------------------------------------

D = dt.date(2026, 6, 1)


def days_from_d(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


@pytest.mark.parametrize(
    ("exposures", "units", "status"),
    [
        ([], 155, RuleStatus.OK),
        ([], 401, RuleStatus.REFUSED),
        ([(days_from_d(-89), 245)], 155, RuleStatus.OK),  # 400 U: at the cap
        ([(days_from_d(-89), 246)], 155, RuleStatus.REFUSED),  # 401 U
        ([(days_from_d(-90), 246)], 155, RuleStatus.OK),  # outside the window
        ([(days_from_d(89), 246)], 155, RuleStatus.REFUSED),  # planned within 90 days after
        ([(days_from_d(90), 246)], 155, RuleStatus.OK),
        # the two exposures are 179 days apart: no 90-day window holds both
        ([(days_from_d(-89), 200), (days_from_d(89), 200)], 0, RuleStatus.OK),
        ([(days_from_d(-89), 200), (days_from_d(89), 200)], 201, RuleStatus.REFUSED),
        ([(days_from_d(-45), 100), (days_from_d(44), 100)], 200, RuleStatus.OK),
        ([(days_from_d(-45), 100), (days_from_d(44), 101)], 200, RuleStatus.REFUSED),
        ([(D, 100)], 155, RuleStatus.OK),  # another indication the same day
    ],
)
def test_it_caps_cumulative_dose_in_any_90_day_window(
    exposures: list[tuple[dt.date, int]], units: int, status: RuleStatus
) -> None:
    result = check_cumulative_dose(exposures, D, units)
    assert result.status is status, result.message
    assert "§2.2" in result.source


def test_cumulative_message_names_the_window() -> None:
    result = check_cumulative_dose([(days_from_d(-89), 246)], D, 155)
    assert result.message.startswith(
        "401 U of onabotulinumtoxinA (all indications) between 2026-03-04"
    )
    assert "at most 400 U in 90 days" in result.message


@given(
    st.lists(
        st.tuples(st.integers(min_value=-200, max_value=200), st.integers(0, 300)), max_size=6
    ),
    st.integers(min_value=0, max_value=400),
)
def test_cumulative_check_matches_a_brute_force_count(
    offsets: list[tuple[int, int]], units: int
) -> None:
    exposures = [(days_from_d(o), u) for o, u in offsets]
    worst = max(
        units + sum(u for o, u in offsets if start <= o <= start + 89) for start in range(-89, 1)
    )
    result = check_cumulative_dose(exposures, D, units)
    assert (result.status is RuleStatus.REFUSED) == (worst > 400)


# --- ICD-10-CM (§9.1) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("with_aura", "intractable", "status_migrainosus", "code", "words"),
    [
        (False, False, True, "G43.701", "without aura, not intractable, with status"),
        (False, False, False, "G43.709", "without aura, not intractable, without status"),
        (False, True, True, "G43.711", "without aura, intractable, with status"),
        (False, True, False, "G43.719", "without aura, intractable, without status"),
        (True, False, True, "G43.E01", "with aura, not intractable, with status"),
        (True, False, False, "G43.E09", "with aura, not intractable, without status"),
        (True, True, True, "G43.E11", "with aura, intractable, with status"),
        (True, True, False, "G43.E19", "with aura, intractable, without status"),
    ],
)
def test_it_picks_the_icd10_cm_code(
    with_aura: bool, intractable: bool, status_migrainosus: bool, code: str, words: str
) -> None:
    result = icd10_code(with_aura, intractable, status_migrainosus)
    assert result.code == code
    assert words in result.description
    assert result.description.startswith("Chronic migraine")


def test_protocol_caps_default_to_zero_for_other_muscles() -> None:
    p: Protocol = PREEMPT_155
    assert p.ftp_cap(Muscle.FRONTALIS) == 0
    assert p.ftp_cap(Muscle.TRAPEZIUS) == 4
