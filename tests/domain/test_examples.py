"""The example case files give their expected assessments through the real command.

Each `examples/<case>.json` is run as `python -m cephalog.assess_cli CASE --policy P
--ruleset R` in a subprocess for the four policies and both rulesets and compared with
`examples/<case>.<policy>.expected.json` (standard-1, as released) and
`examples/<case>.<policy>.standard-2.expected.json` (checked by hand; see
examples/README.md).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POLICIES = ("us-label", "us-payer", "nice-ta260", "ehf-2018")
CASES = sorted(p for p in EXAMPLES.glob("*.json") if not p.name.endswith(".expected.json"))


def assess(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cephalog.assess_cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_there_are_examples_for_every_scenario() -> None:
    names = {p.stem for p in CASES}
    assert {
        "cm-overuse-review",
        "nonresponder-four-cycles",
        "second-cycle-review",
        "ineligible-hard-stops",
        "converted-to-episodic",
        "sparse-diary",
    } <= names
    for case in CASES:
        for policy in POLICIES:
            assert (EXAMPLES / f"{case.stem}.{policy}.expected.json").is_file()
            assert (EXAMPLES / f"{case.stem}.{policy}.standard-2.expected.json").is_file()


def expected_path(case: str, policy: str, ruleset: str) -> Path:
    suffix = "" if ruleset == "standard-1" else f".{ruleset}"
    return EXAMPLES / f"{case}.{policy}{suffix}.expected.json"


@pytest.mark.parametrize("ruleset", ["standard-1", "standard-2"])
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_it_assesses_each_example_as_expected(case: Path, policy: str, ruleset: str) -> None:
    done = assess(str(case), "--policy", policy, "--ruleset", ruleset)
    assert (done.returncode, done.stderr) == (0, "")
    expected_text = expected_path(case.stem, policy, ruleset).read_text()
    assert json.loads(done.stdout) == json.loads(expected_text)
    assert done.stdout == expected_text  # same key order and layout


def key_results(case: str, policy: str, ruleset: str = "standard-1") -> dict[str, object]:
    result = json.loads(expected_path(case, policy, ruleset).read_text())
    return {
        "eligibility": result["eligibility"]["status"],
        "continuation": (
            result["continuation"]["recommendation"],
            result["continuation"]["reasons"],
        ),
    }


@pytest.mark.parametrize(
    ("case", "policy", "eligibility", "recommendation", "reasons"),
    [
        ("cm-overuse-review", "us-label", "needs_review", "too_early", []),
        ("cm-overuse-review", "nice-ta260", "not_eligible", "too_early", []),
        ("nonresponder-four-cycles", "nice-ta260", "eligible", "stop", ["inadequate_response"]),
        ("nonresponder-four-cycles", "ehf-2018", "eligible", "stop", ["inadequate_response"]),
        (
            "nonresponder-four-cycles",
            "us-payer",
            "eligible",
            "review",
            ["renewal_threshold_not_met"],
        ),
        (
            "nonresponder-four-cycles",
            "us-label",
            "eligible",
            "continue",
            ["no_stopping_rule_in_label"],
        ),
        ("second-cycle-review", "ehf-2018", "needs_review", "review", ["one_more_cycle_allowed"]),
        ("second-cycle-review", "nice-ta260", "not_eligible", "stop", ["inadequate_response"]),
        ("ineligible-hard-stops", "ehf-2018", "not_eligible", "too_early", []),
        ("converted-to-episodic", "nice-ta260", "eligible", "stop", ["converted_to_episodic"]),
        ("converted-to-episodic", "ehf-2018", "eligible", "pause", ["low_frequency_3_months"]),
        ("converted-to-episodic", "us-payer", "eligible", "continue", []),
        ("sparse-diary", "us-label", "needs_review", "continue", ["no_stopping_rule_in_label"]),
        ("sparse-diary", "nice-ta260", "needs_review", "too_early", []),
    ],
)
def test_the_examples_cover_each_scenario(
    case: str, policy: str, eligibility: str, recommendation: str, reasons: list[str]
) -> None:
    assert key_results(case, policy) == {
        "eligibility": eligibility,
        "continuation": (recommendation, reasons),
    }


def test_the_nonresponder_cycles_match_the_hand_computed_figures() -> None:
    result = json.loads(
        (EXAMPLES / "nonresponder-four-cycles.nice-ta260.expected.json").read_text()
    )
    assert result["baseline"]["per_28"]["headache_days"] == 22.0
    rows = [
        (
            c["interval_days"],
            c["window"]["start"],
            c["window"]["end"],
            c["window"]["per_28"]["headache_days"],
            c["headache_day_change"],
            c["headache_day_reduction_pct"],
            c["responder_30"],
            c["wearing_off"],
        )
        for c in result["cycles"]
    ]
    assert rows == [
        (None, "2025-03-03", "2025-03-30", 15.1, -6.9, 31.5, True, True),
        (84, "2025-05-12", "2025-06-08", 17.0, -5.0, 22.7, False, None),  # next came at day 70
        (70, "2025-08-04", "2025-08-31", 17.5, -4.5, 20.5, False, True),
        (84, "2025-10-27", "2025-11-23", 16.0, -6.0, 27.3, False, False),
    ]
    assert result["next_injection"] == {"due": "2025-11-24", "earliest": "2025-11-17"}


# --- bad input through the real command ----------------------------------------------------


def test_bad_input_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    case = json.loads((EXAMPLES / "spec-example.json").read_text())
    case["diary"][1]["headache_hours"] = 30
    case["diary"][1]["acute_medications"][0]["class"] = "nsaid"
    case["diary"].append({"date": "2026-01-01", "headache_hours": 0})
    case["injections"].append({"date": "2026-02-01", "units": -5})
    case["allergies"] = ["peanuts"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(case))
    done = assess(str(path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        'allergies[0]: must be one of botulinum_toxin; got "peanuts"',
        "diary[1].headache_hours: must be between 0 and 24, got 30",
        "diary[1].acute_medications[0].class: must be one of simple_analgesic, triptan, ergot, "
        'opioid, combination_analgesic, gepant, ditan, other; got "nsaid"',
        "diary[2].date: duplicate date 2026-01-01, also at diary[0]",
        "injections[1].units: must be 0 or more, got -5",
        "injections[1].date: duplicate date 2026-02-01, also at injections[0]",
    ]


@pytest.mark.parametrize(
    ("text", "stderr"),
    [
        ("{", "$: malformed JSON: Expecting property name enclosed in double quotes (line 1, column 2)\n"),
        ('{"format": "cephalog.case/2", "patient": {"birth_date": "1980-01-01"}, "diary": []}',
         'format: must be "cephalog.case/1", got "cephalog.case/2"\n'
         "assessed_on: required when the diary is empty\n"),
        ('{"format": "cephalog.case/1", "patient": {"birth_date": "1980-1-1"}, '
         '"diary": [{"date": "2026-01-01", "headache_hours": 5, "aura_minutes": -1}]}',
         'patient.birth_date: must be a date YYYY-MM-DD, got "1980-1-1"\n'
         "diary[0].peak_intensity: required when headache_hours > 0\n"
         "diary[0].aura_minutes: must be 0 or more, got -1\n"),
    ],
)  # fmt: skip
def test_bad_input_on_stdin(text: str, stderr: str) -> None:
    done = assess("-", stdin=text)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", stderr)


def test_unknown_policy_and_missing_file_exit_2(tmp_path: Path) -> None:
    done = assess(str(EXAMPLES / "spec-example.json"), "--policy", "nhs")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("--policy: unknown policy 'nhs'")
    done = assess(str(tmp_path / "missing.json"))
    assert (done.returncode, done.stdout) == (2, "")
    assert "cannot read the case file: No such file or directory" in done.stderr


def test_days_are_listed_on_request() -> None:
    done = assess(str(EXAMPLES / "spec-example.json"), "--days", "--ruleset", "standard-1")
    days = json.loads(done.stdout)["days"]
    assert days[1] == {
        "date": "2026-01-02",
        "recorded": True,
        "headache_day": True,
        "migraine_day": True,
        "moderate_severe_day": True,
        "acute_medication_classes": ["triptan"],
        "reasons": ["migraine: 3 pain features + nausea"],
    }
    assert days[-1]["date"] == "2026-06-30"


def _ichd3_baseline(case: dict[str, object]) -> tuple[int, int, int]:
    """Recorded, headache and migraine days of the baseline by spec §11.1's ichd3 definition,
    recounted from the case file without cephalog's code: headache day = any headache;
    migraine day = 2 pain features and D, or a typical aura, or relief by a triptan/ergot."""
    diary = {d["date"]: d for d in case["diary"]}  # type: ignore[attr-defined]
    injections = sorted(i["date"] for i in case.get("injections", []))  # type: ignore[attr-defined]
    assessed = case.get("assessed_on") or max(diary)  # type: ignore[attr-defined]
    end = (
        dt.date.fromisoformat(injections[0]) - dt.timedelta(days=1)
        if injections
        else dt.date.fromisoformat(str(assessed))
    )
    recorded = headache = migraine = 0
    for back in range(28):
        day = diary.get((end - dt.timedelta(days=back)).isoformat())
        if day is None:
            continue
        recorded += 1
        if day["headache_hours"] <= 0:
            continue
        headache += 1
        pain = sum(
            [
                bool(day.get("unilateral")),
                bool(day.get("pulsating")),
                day.get("peak_intensity") in ("moderate", "severe"),
                bool(day.get("aggravated_by_activity")),
            ]
        )
        d = (
            day.get("nausea")
            or day.get("vomiting")
            or (day.get("photophobia") and day.get("phonophobia"))
        )
        aura = 5 <= day.get("aura_minutes", 0) <= 60
        relieved = any(
            m["class"] in ("triptan", "ergot") and m.get("effective") is True
            for m in day.get("acute_medications", [])
        )
        migraine += bool((pain >= 2 and d) or aura or relieved)
    return recorded, headache, migraine


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_the_standard_2_ichd3_baselines_match_an_independent_recount(case: Path) -> None:
    recorded, headache, migraine = _ichd3_baseline(json.loads(case.read_text()))
    for policy in ("nice-ta260", "ehf-2018"):
        baseline = json.loads(expected_path(case.stem, policy, "standard-2").read_text())[
            "baseline"
        ]
        assert (
            baseline["recorded_days"],
            baseline["headache_days"],
            baseline["migraine_days"],
        ) == (
            recorded,
            headache,
            migraine,
        )
        per_28 = baseline["per_28"]["headache_days"]
        # truncated, never rounded (spec §11.7)
        assert per_28 == (None if recorded < 20 else int(headache * 280 / recorded) / 10)
