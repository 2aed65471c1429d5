"""`make bench`: run every benchmark area, each in its own process, and write the report.

    .venv/bin/python -m bench.run [--quick] [--only analytics,imports,...] [--runs N]

Areas (modules in bench/, each `python -m bench.<area> --out FILE`):

- analytics  cohort table over 11M and 44M diary-days vs the ORM loop, pandas, Polars, SQL
- imports    bulk diary CSV import into PostgreSQL (COPY) and SQLite vs per-row saves
- latency    diary API save/read at 32 clients (gunicorn, PostgreSQL, production settings)
- pages      clinician pages' server time, query counts, the patient diary page's weight
- assess     `cephalog assess` on a two-year case, whole process

The full run writes docs/performance.md and docs/performance.json (machine,
date, commit, every figure with median, spread, goal and whether it is met).
`--quick` runs small sizes as a smoke test and writes to test-artifacts/bench/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import ROOT, fmt

AREAS: dict[str, list[list[str]]] = {
    "assess": [[]],
    "analytics": [[]],
    "imports": [["--database", "postgres"], ["--database", "sqlite"]],
    "pages": [["--database", "postgres"]],
    "latency": [[]],
}


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass

    def output(*command: str) -> str:
        try:
            return subprocess.run(
                command, capture_output=True, text=True, check=False, cwd=ROOT
            ).stdout.strip()
        except OSError:
            return ""

    commit = output("git", "rev-parse", "--short", "HEAD")
    dirty = bool(output("git", "status", "--porcelain", "--untracked-files=no"))
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "postgresql": output("psql", "--version").removeprefix("psql (PostgreSQL) "),
        "os": platform.platform(),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def run_area(area: str, extra: list[str], quick: bool, runs: int | None, out: Path) -> dict:
    command = [sys.executable, "-m", f"bench.{area}", "--out", str(out), *extra]
    if quick:
        command.append("--quick")
    if runs:
        command += ["--runs", str(runs)]
    label = " ".join([area, *extra])
    print(f"\n== {label}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    figures = json.loads(out.read_text()) if out.exists() else []
    status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
    print(f"== {label}: {status} in {seconds:.0f} s", flush=True)
    return {"area": label, "status": status, "seconds": seconds, "figures": figures}


def markdown(info: dict[str, Any], results: list[dict[str, Any]]) -> str:
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand. What each figure",
        "measures and how is in the area's module in `bench/`; the goals are issue 10's.",
        "Medians of several runs; the spread is min-max. Ratios divide the reference's",
        "median by ours (times faster, or times more throughput).",
        "",
        "## Machine",
        "",
        *[f"- {key.replace('_', ' ')}: {value}" for key, value in info.items()],
        "",
    ]
    missed = []
    for result in results:
        lines += [
            f"## {result['area']}",
            "",
            f"{result['status']}, {result['seconds']:.0f} s.",
            "",
            "| Figure | Median | Spread | n | Goal | Met |",
            "|---|---:|---:|---:|---:|:---:|",
        ]
        notes = []
        for f in result["figures"]:
            goal = ""
            if f["goal"] is not None:
                goal = f"{'≤' if f['better'] == 'lower' else '≥'} {fmt(f['goal'])} {f['unit']}"
            met = {None: "", True: "yes", False: "**no**"}[f["met"]]
            if f["met"] is False:
                missed.append(f)
            lines.append(
                f"| {f['title']} | {fmt(f['median'])} {f['unit']} | "
                f"{fmt(f['low'])}–{fmt(f['high'])} | {len(f['samples'])} | {goal} | {met} |"
            )
            if f.get("note"):
                notes.append(f"- {f['title']}: {f['note']}")
        lines += ["", *notes, ""] if notes else [""]
    notes_file = ROOT / "bench" / "notes.md"
    if notes_file.exists():
        lines += [notes_file.read_text().rstrip(), ""]
    lines += ["## Goals missed", ""]
    if missed:
        for f in missed:
            lines.append(
                f"- {f['title']}: {fmt(f['median'])} {f['unit']} against "
                f"{'≤' if f['better'] == 'lower' else '≥'} {fmt(f['goal'])} {f['unit']}"
            )
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def keep_other_areas(previous: Path, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`--only`: the areas not re-run keep their figures from the previous report, marked
    with its date and commit, so the report stays whole."""
    if not previous.exists():
        return results
    old = json.loads(previous.read_text())
    when = f"{old['machine'].get('date', '?')}, commit {old['machine'].get('commit', '?')}"
    rerun = {r["area"] for r in results}
    merged = []
    for area in AREAS:
        fresh = [r for r in results if r["area"].split(" ")[0] == area]
        kept = [
            # a status marked already (kept from an earlier run) keeps its first mark
            {
                **r,
                "status": r["status"]
                if "not re-run" in r["status"]
                else f"{r['status']} (not re-run: from the run of {when})",
            }
            for r in old["results"]
            if r["area"].split(" ")[0] == area and r["area"] not in rerun
        ]
        merged += fresh or kept
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, report elsewhere")
    parser.add_argument("--only", default="", help="comma-separated areas")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure")
    args = parser.parse_args()
    areas = [a for a in AREAS if not args.only or a in args.only.split(",")]
    unknown = set(filter(None, args.only.split(","))) - set(AREAS)
    if unknown:
        parser.error(f"unknown areas: {', '.join(sorted(unknown))}")
    out_dir = ROOT / "test-artifacts" / "bench" if args.quick else ROOT / "docs"
    work = ROOT / "test-artifacts" / "bench" / "areas"
    work.mkdir(parents=True, exist_ok=True)
    info = machine()
    results = []
    for area in areas:
        for extra in AREAS[area]:
            out = work / f"{'-'.join([area, *[e for e in extra if not e.startswith('-')]])}.json"
            out.unlink(missing_ok=True)
            results.append(run_area(area, extra, args.quick, args.runs, out))
    info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.only and not args.quick:
        results = keep_other_areas(out_dir / "performance.json", results)
    name = "performance"
    (out_dir / f"{name}.json").write_text(
        json.dumps({"machine": info, "results": results}, indent=1) + "\n"
    )
    (out_dir / f"{name}.md").write_text(markdown(info, results))
    print(f"\nReport: {out_dir / (name + '.md')}")
    failed = [r["area"] for r in results if not r["status"].startswith("ok")]
    if failed:
        print(f"Areas that failed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
