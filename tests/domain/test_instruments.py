"""Tests for cephalog.domain.instruments (clinical-reference §8.1, §8.2)."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cephalog.domain import instruments
from cephalog.domain.instruments import (
    HIT6_ITEM_KEYS,
    HIT6_VALUES,
    MIDAS_ITEM_KEYS,
    Hit6Band,
    MidasGrade,
    ResponseError,
    hit6_band,
    midas_grade,
    score_hit6,
    score_midas,
    validate_hit6,
    validate_midas,
)

# --- HIT-6 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (36, Hit6Band.LITTLE_OR_NO_IMPACT),
        (49, Hit6Band.LITTLE_OR_NO_IMPACT),
        (50, Hit6Band.SOME_IMPACT),
        (55, Hit6Band.SOME_IMPACT),
        (56, Hit6Band.SUBSTANTIAL_IMPACT),
        (59, Hit6Band.SUBSTANTIAL_IMPACT),
        (60, Hit6Band.SEVERE_IMPACT),
        (78, Hit6Band.SEVERE_IMPACT),
    ],
)
def test_it_bands_hit6_totals_at_the_edges(total: int, band: Hit6Band) -> None:
    assert hit6_band(total) is band


@pytest.mark.parametrize("total", [35, 79, 0])
def test_hit6_totals_outside_36_to_78_are_refused(total: int) -> None:
    with pytest.raises(ValueError, match=f"must be between 36 and 78, got {total}"):
        hit6_band(total)


@pytest.mark.parametrize(
    ("items", "total", "band"),
    [
        ([6, 6, 6, 6, 6, 6], 36, Hit6Band.LITTLE_OR_NO_IMPACT),
        ([13, 13, 13, 13, 13, 13], 78, Hit6Band.SEVERE_IMPACT),
        ([8, 8, 8, 8, 8, 8], 48, Hit6Band.LITTLE_OR_NO_IMPACT),
        ([8, 8, 8, 8, 8, 10], 50, Hit6Band.SOME_IMPACT),
        ([10, 10, 10, 10, 8, 8], 56, Hit6Band.SUBSTANTIAL_IMPACT),
        ([10, 10, 10, 10, 10, 10], 60, Hit6Band.SEVERE_IMPACT),
        ([11, 11, 11, 11, 6, 6], 56, Hit6Band.SUBSTANTIAL_IMPACT),
    ],
)
def test_it_scores_hit6(items: list[int], total: int, band: Hit6Band) -> None:
    score = score_hit6(items)
    assert (score.total, score.band) == (total, band)


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([6, 6, 6, 7, 6, 6], "items[3]: must be one of 6, 8, 10, 11, 13, got 7"),
        ([6, 6, 6, 6, 6, 12], "items[5]: must be one of 6, 8, 10, 11, 13, got 12"),
        ([6, 6, True, 6, 6, 6], "items[2]: must be one of 6, 8, 10, 11, 13, got True"),
        ([6, None, 6, 6, 6, 6], "items[1]: missing; the HIT-6 total needs all 6 items"),
        ([6, 6, 6, 6, 6], "items: HIT-6 has 6 items, got 5"),
        ([6, 6, 6, 6, 6, 6, 6], "items: HIT-6 has 6 items, got 7"),
    ],
)
def test_it_names_the_bad_hit6_item(items: list[int | None], problem: str) -> None:
    assert problem in validate_hit6(items)
    with pytest.raises(ResponseError) as excinfo:
        score_hit6(items)
    assert problem in excinfo.value.problems
    assert problem in str(excinfo.value)


def test_hit6_reports_every_bad_item_at_once() -> None:
    problems = validate_hit6([7, 6, 9, 6, 6, 6])
    assert [p.split(":")[0] for p in problems] == ["items[0]", "items[2]"]


@given(st.lists(st.sampled_from(HIT6_VALUES), min_size=6, max_size=6))
def test_hit6_total_is_always_36_to_78(items: list[int]) -> None:
    score = score_hit6(items)
    assert 36 <= score.total <= 78
    assert score.total == sum(items)
    assert score.band is hit6_band(score.total)


def test_band_labels_are_the_reference_names() -> None:
    assert [b.label for b in Hit6Band] == [
        "Little or no impact",
        "Some impact",
        "Substantial impact",
        "Severe impact",
    ]


# --- MIDAS -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (0, MidasGrade.I),
        (5, MidasGrade.I),
        (6, MidasGrade.II),
        (10, MidasGrade.II),
        (11, MidasGrade.III),
        (20, MidasGrade.III),
        (21, MidasGrade.IV),
        (450, MidasGrade.IV),
    ],
)
def test_it_grades_midas_at_the_edges(total: int, grade: MidasGrade) -> None:
    assert midas_grade(total) is grade


@pytest.mark.parametrize("total", [-1, 451])
def test_midas_totals_out_of_range_are_refused(total: int) -> None:
    with pytest.raises(ValueError, match="total: must be between 0 and 450"):
        midas_grade(total)


def test_it_scores_midas_as_the_sum_of_q1_to_q5() -> None:
    score = score_midas([2, 3, 1, 4, 1], item_a=30, item_b=7)
    assert (score.total, score.grade) == (11, MidasGrade.III)
    assert (score.headache_days, score.average_pain) == (30, 7)


def test_items_a_and_b_do_not_change_the_score() -> None:
    assert score_midas([1, 1, 1, 1, 1]).total == score_midas([1, 1, 1, 1, 1], item_a=90).total


@pytest.mark.parametrize(
    ("items", "a", "b", "problem"),
    [
        ([0, 0, 0, 0, 91], None, None, "items[4]: must be a whole number of days from 0 to 90"),
        ([0, -1, 0, 0, 0], None, None, "items[1]: must be a whole number of days from 0 to 90"),
        ([0, 0, 0, 0, 2.5], None, None, "got 2.5"),
        ([0, 0, None, 0, 0], None, None, "items[2]: missing; the MIDAS score needs all 5 items"),
        ([0, 0, 0, 0], None, None, "items: MIDAS has 5 scored items, got 4"),
        (
            [60, 31, 0, 0, 0],
            None,
            None,
            "items[1]: items[0] + items[1] must not exceed 90 days",
        ),
        ([0, 0, 45, 46, 0], None, None, "items[3]: items[2] + items[3] must not exceed 90 days"),
        ([0, 0, 0, 0, 0], 91, None, "item_a: must be a whole number of days from 0 to 90"),
        ([0, 0, 0, 0, 0], None, 11, "item_b: must be a whole number from 0 to 10, got 11"),
        ([0, 0, 0, 0, 0], None, -1, "item_b: must be a whole number from 0 to 10, got -1"),
    ],
)
def test_it_names_the_bad_midas_item(
    items: list[int | None], a: int | None, b: int | None, problem: str
) -> None:
    problems = validate_midas(items, item_a=a, item_b=b)
    assert any(problem in p for p in problems), problems
    with pytest.raises(ResponseError):
        score_midas(items, item_a=a, item_b=b)


@pytest.mark.parametrize(
    "items", [[90, 0, 90, 0, 90], [45, 45, 45, 45, 90], [0, 0, 0, 0, 0], [30, 60, 60, 30, 0]]
)
def test_midas_boundaries_that_are_valid(items: list[int]) -> None:
    assert validate_midas(items, item_a=90, item_b=10) == []
    assert validate_midas(items, item_a=0, item_b=0) == []


@given(
    st.integers(0, 90).flatmap(lambda q1: st.tuples(st.just(q1), st.integers(0, 90 - q1))),
    st.integers(0, 90).flatmap(lambda q3: st.tuples(st.just(q3), st.integers(0, 90 - q3))),
    st.integers(0, 90),
)
def test_midas_score_is_the_sum_and_grade_is_monotonic(
    work: tuple[int, int], home: tuple[int, int], q5: int
) -> None:
    items = [*work, *home, q5]
    score = score_midas(items)
    assert score.total == sum(items)
    assert 0 <= score.total <= 270
    if score.total > 0:
        lower = midas_grade(score.total - 1)
        order = list(MidasGrade)
        assert order.index(lower) <= order.index(score.grade)


# --- no licensed wording --------------------------------------------------------


def test_items_are_keys_only() -> None:
    assert HIT6_ITEM_KEYS == ("hit6_1", "hit6_2", "hit6_3", "hit6_4", "hit6_5", "hit6_6")
    assert MIDAS_ITEM_KEYS == ("midas_1", "midas_2", "midas_3", "midas_4", "midas_5")
    source = inspect.getsource(instruments).lower()
    # fragments of the questionnaires' own item wording must not appear
    for fragment in ("how often", "when you have headaches", "did you miss work", "?"):
        assert fragment not in source
