"""The clinical rules' explanations on staff pages: dates written as the dates beside them
("21 Nov 2025"), not as the ISO text the rules (and `cephalog assess`) give, and the day
definition "ICHD-3", not its key "ichd3"."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from cephalog.web.templatetags.plain import written
from tests.personas import Cast, client_for

ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


class _Text(HTMLParser):
    """The page's visible text: no attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._skip += tag in ("script", "style", "template")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style", "template")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_the_filter_writes_iso_dates_as_people_do() -> None:
    assert written("the 3 windows from 2025-11-21 to 2025-12-18") == (
        "the 3 windows from 21 Nov 2025 to 18 Dec 2025"
    )
    assert written("no date 2025-02-30 here, 12 of 15") == "no date 2025-02-30 here, 12 of 15"
    assert written(None) == ""
    assert (
        written("ichd3 definition: 22.0 headache days") == "ICHD-3 definition: 22.0 headache days"
    )


@pytest.mark.parametrize(
    "path",
    ["eligibility/?policy=us-label", "eligibility/?policy=nice-ta260", "diary/", "outcomes/"],
)
def test_staff_pages_write_the_rules_dates_as_people_do(
    cast: Cast, overuse_case: dt.date, path: str
) -> None:
    page = client_for(cast, "physician").get(f"/clinic/patients/{cast.patient.pk}/{path}")
    assert page.status_code == 200
    text = visible(page.content.decode())
    assert not ISO.findall(text), ISO.findall(text)
    assert "ichd3" not in text  # the day definition by the name staff read: "ICHD-3"
