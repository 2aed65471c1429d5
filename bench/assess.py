"""`cephalog assess` on a two-year case, timed as a whole process (issue 10 part 5).

The case: the generated patient with the longest diary (two years, with
injections), written in the case format; the command runs without Django.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import ROOT, Suite, write_figures

TODAY = dt.date(2026, 11, 1)


def two_year_case() -> dict[str, object]:
    from cephalog.demo.generate import generate_cohort
    from cephalog.domain.importing import day_to_case

    cohort = generate_cohort(40, seed=7, today=TODAY, years=2.0)
    patient = max(range(40), key=lambda p: len(cohort.diary_days(p)))
    days = cohort.diary_days(patient)
    injections = cohort.sessions.date[cohort.session_rows(patient)].astype(object).tolist()
    return {
        "format": "cephalog.case/1",
        "assessed_on": TODAY.isoformat(),
        "patient": {"birth_date": "1980-03-04", "sex": "female"},
        "injections": [{"date": d.isoformat(), "units": 155, "sites": 31} for d in injections],
        "diary": [day_to_case(day) for day in days.values()],
    }


def run(suite: Suite) -> None:
    case = two_year_case()
    folder = Path(tempfile.mkdtemp(prefix="cephalog-assess-"))
    path = folder / "two-year.json"
    path.write_text(json.dumps(case))
    command = [str(ROOT / ".venv" / "bin" / "cephalog"), "assess", str(path)]
    first, last = case["diary"][0]["date"], case["diary"][-1]["date"]  # type: ignore[index]

    def once() -> None:
        done = subprocess.run(command, capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.decode()[-500:])
        json.loads(done.stdout)

    suite.time(
        "assess.two_year_case",
        "`cephalog assess`, two-year case, whole process",
        once,
        runs=suite.size(15, 3),
        goal=0.3,
        note=f"{len(case['diary'])} diary days {first}..{last}, "  # type: ignore[arg-type]
        f"{len(case['injections'])} injections, policy us-label",  # type: ignore[arg-type]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    suite = Suite(quick=args.quick, area="assess")
    run(suite)
    write_figures(suite, args.out)


if __name__ == "__main__":
    main()
