"""Relative times for patients (issue 16.7): never "0 minutes ago"."""

from __future__ import annotations

import datetime as dt

import pytest

from cephalog.web.templatetags.plain import ago

NOW = dt.datetime(2026, 5, 12, 14, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (dt.timedelta(seconds=-30), "just now"),
        (dt.timedelta(seconds=0), "just now"),
        (dt.timedelta(seconds=59), "just now"),
        (dt.timedelta(minutes=1), "1 minute ago"),
        (dt.timedelta(minutes=5, seconds=59), "5 minutes ago"),
        (dt.timedelta(hours=1), "1 hour ago"),
        (dt.timedelta(hours=2, minutes=59), "2 hours ago"),
        (dt.timedelta(days=1), "yesterday"),
        (dt.timedelta(days=3), "3 days ago"),
        (dt.timedelta(days=8), "on 4 May"),
        (dt.timedelta(days=400), "on 7 April 2025"),
    ],
)
def test_it_says_how_long_ago_in_one_unit(delta: dt.timedelta, words: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "UTC"
    assert ago(NOW - delta, NOW) == words
