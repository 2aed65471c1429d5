"""Clinician page speed and the patient diary page's weight (issue 10, part 4b).

    python -m bench.pages --database postgres|sqlite [--quick] [--runs N] [--out FILE]

Loads the demo clinic (`cephalog.demo.load.load_demo`, as `cephalog demo
--patients 1000` does) with 1,000 patients (quick: 100), each with up to two
years of diary, sessions and history, then requests the clinician's pages in
process with Django's test Client, logged in as the demo physician after the
second factor, DEBUG off, one persistent database connection:

- the patient list as a clinician first sees it (page 1: 50 of 1,000 patients,
  with their diary compliance; the list pages by 50 and searches by name/MRN);
- the chart of the patient with the longest diary (two full years);
- the session page while recording today's PREEMPT session, for the patient
  with the longest diary among those due a session: a vial opened and the 31
  fixed sites ticked.

Each page is warmed up, then requested in `runs` rounds of 50 (quick: 10)
requests. The p50 figure's samples are every request's time; the p95 figure's
samples are each round's p95 (the goal, <= 100 ms, is on their median). Query
counts are in the notes. Server time here is the time from the request entering
Django's handler (all middleware: session, auth, MFA, audit, CSP) to the
response, which is what a WSGI server adds its own overhead to.

Then the weight of the patient's diary pages on first load, counted as
transferred in production (gzip copies of CSS and JS from whitenoise, the HTML
uncompressed; tests/perf/weight.py): goal <= 100 KB in all, <= 30 KB of JS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
import warnings
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.harness import Figure, Suite, setup_django, write_figures

#: The issue's goal for each clinician page, server time at p95.
P95_GOAL_MS = 100.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _count_queries(fn: Callable[[], Any]) -> int:
    from django.db import connection

    count = 0

    def counting(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        fn()
    return count


def load_clinic(patients: int) -> dict[str, Any]:
    """The demo clinic with `patients` generated patients; the pages' patients and session."""
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from cephalog.accounts.models import User
    from cephalog.demo.load import load_demo
    from cephalog.domain import dosing
    from cephalog.patients.models import Patient
    from cephalog.treatment import actions

    started = time.perf_counter()
    result = load_demo(n_patients=patients, seed=1, today=timezone.localdate())
    seconds = time.perf_counter() - started
    print(
        f"  demo clinic: {result.patients:,} patients, {result.diary_entries:,} diary days, "
        f"{result.sessions:,} sessions in {seconds:.0f} s",
        flush=True,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the statistics autovacuum would gather after the load
    physician = User.objects.get(username="physician")
    by_diary = list(
        Patient.objects.filter(clinic=result.clinic)
        .annotate(days=Count("diary_entries"))
        .order_by("-days", "mrn")[:100]
    )
    chart = by_diary[0]
    now = timezone.now()
    for candidate in by_diary:
        try:
            session = actions.start_session(
                patient=candidate,
                by=physician,
                injector=physician,
                infection_at_sites=False,
                red_flags_since_last=False,
                pregnant=False,
                precheck_reason="Eligibility confirmed by the headache physician (benchmark).",
            )
        except actions.SessionError:
            continue  # not due (12-week rule) or a hard stop: the next longest diary
        break
    else:
        raise RuntimeError("no patient of the demo clinic may start a session today")
    actions.add_vial(
        session=session,
        by=physician,
        lot="C1234AB",
        expiry=now.date() + dt.timedelta(days=200),
        size_units=200,
        diluent_ml=Decimal("4.0"),
        reconstituted_at=now - dt.timedelta(minutes=20),
    )
    actions.record_sites(
        session=session,
        by=physician,
        sites=[
            dosing.RecordedSite(s.code, dosing.SiteStatus.DONE, dosing.UNITS_PER_SITE)
            for s in dosing.FIXED_SITES
        ],
    )
    return {
        "result": result,
        "load_seconds": seconds,
        "physician": physician,
        "chart": chart,
        "chart_days": getattr(chart, "days", 0),
        "session": session,
        "session_days": next(getattr(p, "days", 0) for p in by_diary if p.pk == session.patient_id),
    }


def time_page(
    suite: Suite, client: Any, url: str, key: str, title: str, *, note: str = ""
) -> tuple[Figure, Figure]:
    """p50 (every request) and p95 (per round) of `url`, with its query count in the notes."""
    requests = suite.size(50, 10)
    rounds = suite.runs

    def get() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")

    for _ in range(3):
        get()
    queries = _count_queries(get)
    times: list[float] = []
    cpu: list[float] = []
    round_p95: list[float] = []
    load = os.getloadavg()[0]
    for _ in range(rounds):
        this_round = []
        for _ in range(requests):
            started, cpu_started = time.perf_counter(), time.process_time()
            get()
            this_round.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        times += this_round
        round_p95.append(_percentile(this_round, 0.95))
    load = max(load, os.getloadavg()[0])
    notes = (
        f"{queries} queries per request; {rounds} rounds of {requests} requests; "
        f"CPU of this process per request p50 {statistics.median(cpu):.1f} ms, "
        f"p95 {_percentile(cpu, 0.95):.1f} ms; load average up to {load:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    if note:
        notes += f"; {note}"
    p50 = suite.add(Figure(f"{key}_p50", f"{title}, p50", "ms", times, "lower", None, notes))
    p95 = suite.add(
        Figure(
            f"{key}_p95",
            f"{title}, p95",
            "ms",
            round_p95,
            "lower",
            P95_GOAL_MS,
            f"{notes}; samples are each round's p95 (over all requests: "
            f"{_percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms, "
            f"mean {statistics.fmean(times):.1f} ms)",
        )
    )
    return p50, p95


def weigh_diary_pages(suite: Suite) -> None:
    """First-load weight of the demo patient's diary pages (tests/perf/weight.py)."""
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone
    from tests.perf.weight import KB, page_weight
    from tests.personas import login_client

    from cephalog.accounts.models import User

    client = login_client(Client(), User.objects.get(username="patient"))
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    for name, url in (
        ("home", reverse("diary-home")),
        ("calendar", reverse("diary-calendar")),
        ("day", reverse("diary-day", args=[yesterday])),
    ):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        weight = page_weight(response.content, url)
        files = ", ".join(
            f"{a.url.rsplit('/', 1)[-1] or a.url} {a.transferred / KB:.1f}" for a in weight.assets
        )
        suite.add(
            Figure(
                f"pages.diary_{name}_weight",
                f"Patient diary {name} page, first load as transferred",
                "KB",
                [weight.total() / KB],
                "lower",
                100,
                f"gzip CSS/JS as whitenoise serves them, HTML uncompressed; "
                f"{weight.total(raw=True) / KB:.1f} KB uncompressed; {files}",
            )
        )
        suite.add(
            Figure(
                f"pages.diary_{name}_js",
                f"Patient diary {name} page, JavaScript as transferred",
                "KB",
                [weight.total(kind="js") / KB],
                "lower",
                30,
                f"{weight.total(kind='js', raw=True) / KB:.1f} KB uncompressed "
                "(htmx 2 and diary.js, both deferred)",
            )
        )


def run(suite: Suite) -> None:
    from django.apps import apps

    if not apps.ready:
        setup_django("postgres", production=True)
    # Development static files come from the finders (no STATIC_ROOT): not worth a warning here.
    warnings.filterwarnings("ignore", message="No directory at")
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from tests.personas import login_client

    vendor = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(connection.vendor, "?")
    patients = suite.size(1000, 100)
    clinic = load_clinic(patients)
    suite.add(
        Figure(
            "pages.load_demo",
            f"Loading the demo clinic, {patients:,} patients with up to two years of diary ({vendor})",
            "s",
            [clinic["load_seconds"]],
            "lower",
            None,
            f"{clinic['result'].diary_entries:,} diary days, {clinic['result'].sessions:,} "
            "sessions; cephalog.demo.load.load_demo",
        )
    )
    client = login_client(Client(), clinic["physician"])
    chart, session = clinic["chart"], clinic["session"]

    time_page(
        suite,
        client,
        reverse("patient-list"),
        "pages.patient_list",
        f"Patient list, page 1 of {patients:,} patients ({vendor})",
        note="50 rows with 7- and 28-day diary compliance and the last entry",
    )
    time_page(
        suite,
        client,
        reverse("patient-chart", args=[chart.pk]),
        "pages.chart",
        f"Patient chart ({vendor})",
        note=f"{clinic['chart_days']} diary days, {chart.sessions.count()} sessions",
    )
    time_page(
        suite,
        client,
        reverse("session-detail", args=[session.patient_id, session.pk]),
        "pages.session",
        f"Session page, recording a PREEMPT session ({vendor})",
        note=(
            f"{clinic['session_days']} diary days, "
            f"{session.patient.sessions.count() - 1} earlier sessions; a vial, 31 sites ticked"
        ),
    )
    weigh_diary_pages(suite)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_django(args.database, production=True)
    suite = Suite(quick=args.quick, runs=args.runs, area="pages")
    run(suite)
    if args.out:
        write_figures(suite, args.out)


if __name__ == "__main__":
    main()
