"""`cephalog assess` (spec preamble, sections 1 and 10): output, exit status, bad input."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cephalog.assess_cli import main
from cephalog.domain.assess import assess
from cephalog.domain.case import parse_case

from ._helpers import block, case_doc, merge

B_START = dt.date(2026, 1, 4)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    days = merge(block(B_START, recorded=26, migraine_days=12, headache_days=7))
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case_doc(days.values(), assessed_on="2026-01-31")))
    return path


def test_it_prints_the_assessment_with_keys_in_spec_order(
    capsys: pytest.CaptureFixture[str], case_file: Path
) -> None:
    status, out, err = run(capsys, str(case_file), "--ruleset", "standard-1")
    assert (status, err) == (0, "")
    result = json.loads(out)
    assert list(result) == [
        "format",
        "ruleset",
        "policy",
        "assessed_on",
        "baseline",
        "chronic_migraine",
        "medication_overuse",
        "eligibility",
        "cycles",
        "continuation",
        "next_injection",
    ]
    assert result["format"] == "cephalog.assessment/1"
    assert result["ruleset"] == "standard-1"
    assert result["policy"] == "us-label"
    assert result["assessed_on"] == "2026-01-31"
    assert result["baseline"]["per_28"]["headache_days"] == 20.5
    assert out.startswith('{\n  "format"')  # indent 2


def test_it_uses_standard_2_by_default_and_names_the_day_definition(
    capsys: pytest.CaptureFixture[str], case_file: Path
) -> None:
    status, out, err = run(capsys, str(case_file))
    assert (status, err) == (0, "")
    result = json.loads(out)
    assert list(result)[:5] == ["format", "ruleset", "policy", "day_definition", "assessed_on"]
    assert (result["ruleset"], result["policy"], result["day_definition"]) == (
        "standard-2",
        "us-label",
        "label",
    )
    # 19 headache days of 26 recorded: 20.4615... per 28, printed truncated (11.7).
    assert result["baseline"]["per_28"]["headache_days"] == 20.4
    assert result["next_injection"] == {"due": None, "earliest": None, "flags": []}
    assert result["continuation"]["recommendation"] == "not_started"
    nice = json.loads(run(capsys, str(case_file), "--policy", "nice-ta260")[1])
    assert nice["day_definition"] == "ichd3"


def test_it_refuses_an_unknown_ruleset(capsys: pytest.CaptureFixture[str], case_file: Path) -> None:
    status, out, err = run(capsys, str(case_file), "--ruleset", "standard-3")
    assert (status, out) == (2, "")
    assert err == (
        "--ruleset: unknown ruleset 'standard-3'; choose one of standard-1, standard-2\n"
    )


def test_it_adds_days_on_request(capsys: pytest.CaptureFixture[str], case_file: Path) -> None:
    status, out, _ = run(
        capsys, str(case_file), "--days", "--policy", "nice-ta260", "--ruleset", "standard-1"
    )
    result = json.loads(out)
    assert status == 0
    assert result["policy"] == "nice-ta260"
    assert list(result)[-1] == "days"
    assert len(result["days"]) == 28
    assert result["days"][0] == {
        "date": "2026-01-04",
        "recorded": True,
        "headache_day": True,
        "migraine_day": True,
        "moderate_severe_day": True,
        "acute_medication_classes": [],
        "reasons": ["migraine: 3 pain features + nausea"],
    }
    assert result["days"][-1] == {
        "date": "2026-01-31",
        "recorded": False,
        "headache_day": None,
        "migraine_day": None,
        "moderate_severe_day": None,
        "acute_medication_classes": [],
        "reasons": [],
    }


def test_it_reads_stdin(
    capsys: pytest.CaptureFixture[str], case_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(case_file.read_bytes())))
    status, out, _ = run(capsys, "-")
    assert status == 0
    assert json.loads(out)["assessed_on"] == "2026-01-31"


@pytest.mark.parametrize("policy", ["us-label", "us-payer", "nice-ta260", "ehf-2018"])
def test_it_accepts_the_four_policies(
    capsys: pytest.CaptureFixture[str], case_file: Path, policy: str
) -> None:
    status, out, _ = run(capsys, str(case_file), f"--policy={policy}")
    assert (status, json.loads(out)["policy"]) == (0, policy)


def test_it_refuses_an_unknown_policy(capsys: pytest.CaptureFixture[str], case_file: Path) -> None:
    status, out, err = run(capsys, str(case_file), "--policy", "nice")
    assert (status, out) == (2, "")
    assert err == (
        "--policy: unknown policy 'nice'; choose one of us-label, us-payer, nice-ta260, ehf-2018\n"
    )


def test_it_refuses_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    status, out, err = run(capsys, str(missing))
    assert (status, out) == (2, "")
    assert err == f"{missing}: cannot read the case file: No such file or directory\n"


def test_it_refuses_missing_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys)
    assert (status, out) == (2, "")
    assert "usage: cephalog assess" in err
    assert "the following arguments are required: CASE.json" in err


def test_it_prints_every_problem_of_a_bad_case(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc: dict[str, Any] = case_doc(
        [],
        format="cephalog.case/9",
        diary=[
            {"date": "2026-01-01", "headache_hours": 30, "peak_intensity": "mild"},
            {"date": "2026-01-01", "headache_hours": 2},
        ],
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    status, out, err = run(capsys, str(path))
    assert (status, out) == (2, "")
    assert err.splitlines() == [
        'format: must be "cephalog.case/1", got "cephalog.case/9"',
        "diary[0].headache_hours: must be between 0 and 24, got 30",
        "diary[1].peak_intensity: required when headache_hours > 0",
        "diary[1].date: duplicate date 2026-01-01, also at diary[0]",
    ]


def test_it_refuses_malformed_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{")
    status, out, err = run(capsys, str(path))
    assert (status, out) == (2, "")
    assert err.startswith("$: malformed JSON: ")
    assert len(err.splitlines()) == 1


def test_it_matches_the_library(capsys: pytest.CaptureFixture[str], case_file: Path) -> None:
    for ruleset in ("standard-1", "standard-2"):
        _, out, _ = run(
            capsys, str(case_file), "--policy", "ehf-2018", "--days", "--ruleset", ruleset
        )
        case = parse_case(json.loads(case_file.read_text()))
        expected = assess(case, "ehf-2018", include_days=True, ruleset=ruleset)
        assert json.loads(out) == expected.to_dict()


def test_it_runs_without_django(case_file: Path) -> None:
    code = (
        "import sys; from cephalog.assess_cli import main; status = main(sys.argv[1:]); "
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "sys.exit(status)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(case_file)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["format"] == "cephalog.assessment/1"
