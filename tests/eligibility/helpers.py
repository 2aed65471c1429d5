"""Load an example case file (examples/*.json) into a stored patient through the actions,
so a page can be compared with `cephalog assess` on the very same data."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cephalog.diary.actions import save_day
from cephalog.eligibility import actions
from cephalog.patients.models import Patient
from tests.personas import Cast

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POLICY_NAMES = ("us-label", "us-payer", "nice-ta260", "ehf-2018")


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def case_file(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return data


def noon_utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)


def load_case(cast: Cast, name: str, patient: Patient | None = None) -> dt.date:
    """Store the example `name` for `patient` (Ada by default); returns its assessed_on.

    Injections are not loaded (they are treatment sessions, another app): use cases
    without injections.
    """
    case = case_file(name)
    assert not case.get("injections"), "cases with injections need treatment sessions"
    patient = patient or cast.patient
    facts = case["patient"]
    Patient.objects.filter(pk=patient.pk).update(
        birth_date=dt.date.fromisoformat(facts["birth_date"]),
        chronic_headache_since=_date(facts.get("chronic_headache_since")),
    )
    patient.refresh_from_db()
    assessed_on = dt.date.fromisoformat(case["assessed_on"])
    for entry in case["diary"]:
        save_day(
            patient=patient,
            data=entry,
            by=cast.nurse,
            today=assessed_on,
            reason="paper diary typed in",
            source="staff",
        )
    for p in case.get("preventives", []):
        actions.save_preventive(
            patient=patient,
            by=cast.physician,
            name=p["name"],
            drug_class=p.get("class") or "",
            start=_date(p.get("start")),
            stop=_date(p.get("stop")),
            outcome=p["outcome"],
        )
    for m in case.get("medications", []):
        actions.save_medication(
            patient=patient,
            by=cast.physician,
            name=m.get("name") or m["class"],
            drug_class=m["class"],
            start=_date(m.get("start")),
            stop=_date(m.get("stop")),
        )
    for t in case.get("toxin_exposures", []):
        actions.add_toxin_exposure(
            patient=patient,
            by=cast.physician,
            date=_date(t["date"]),
            units=t["units"],
            indication=t["indication"],
        )
    if case.get("conditions") or case.get("allergies"):
        actions.set_cautions(
            patient=patient,
            by=cast.physician,
            today=dt.date(2000, 1, 1),  # noted long ago: current on every assessed date
            conditions=case.get("conditions", []),
            toxin_allergy="botulinum_toxin" in case.get("allergies", []),
        )
    return assessed_on


def cli_assessment(path: Path, policy: str, ruleset: str = "standard-2") -> dict[str, Any]:
    """`cephalog assess PATH --policy POLICY --ruleset RULESET`, parsed."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cephalog.cli",
            "assess",
            str(path),
            "--policy",
            policy,
            "--ruleset",
            ruleset,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def shown_text(html: str) -> str:
    """What a page shows as words: its text without tags, attributes (links, option values)
    or scripts, spaces collapsed."""
    from html.parser import HTMLParser

    parts: list[str] = []

    class Text(HTMLParser):
        skip = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            self.skip += tag in ("script", "style")

        def handle_endtag(self, tag: str) -> None:
            self.skip -= tag in ("script", "style")

        def handle_data(self, data: str) -> None:
            if not self.skip:
                parts.append(data)

    Text().feed(html)
    return " ".join(" ".join(parts).split())


def raw_policy_keys(html: str) -> list[str]:
    """The built-in policies' stored keys among a page's words (staff read their names)."""
    text = shown_text(html)
    return [key for key in POLICY_NAMES if key in text]
