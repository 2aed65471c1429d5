from cephalog.outcomes.dashboard import change_words


def test_it_says_more_headache_days_for_a_negative_reduction() -> None:
    assert change_words(-18.8) == "; 18.8% more headache days than at baseline"
    assert change_words(27.7) == "; 27.7% fewer headache days"
    assert change_words(None) == "; reduction not assessable"
