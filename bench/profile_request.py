"""Where one diary API request spends its time, in process (issue 19.1).

    .venv/bin/python -m bench.profile_request [--requests 300] [--top 30] [--sql] [--cpu]

A fresh PostgreSQL database (bench.harness) with 20 demo patients; one patient logged in
as the latency benchmark logs in; the production settings of bench/latency.py (DEBUG
off, persistent connections, the shared cache when Redis answers). Prints the queries
of one request of each kind (read, save, the one-row baselines) and a cProfile of
`--requests` of each, sorted by cumulative time. Not a figure: a tool to find the
costs before changing anything (docs/performance.md).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATIENTS = 20


def _environment() -> None:
    from bench.latency import shared_cache_url

    os.environ.update(
        {
            "CEPHALOG_DEV": "false",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "testserver",
            "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "600"),
            "EMAIL_BACKEND": "locmem",
            "CEPHALOG_TRUSTED_PROXIES": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "bench.server_settings",
            "SECRET_KEY": "bench-" + os.urandom(24).hex(),
        }
    )
    cache = shared_cache_url()
    if cache:
        os.environ["CACHE_URL"] = cache


def _requests(client: Any, csrf: str, date: str) -> dict[str, Any]:
    https = {"secure": True, "HTTP_X_FORWARDED_PROTO": "https"}
    body = (
        '{"headache_hours": 3.5, "peak_intensity": "moderate", "unilateral": true, '
        '"pulsating": true, "nausea": false, "photophobia": true}'
    )
    write = {
        **https,
        "content_type": "application/json",
        "HTTP_X_CSRFTOKEN": csrf,
        "HTTP_REFERER": "https://testserver/",
    }
    return {
        "read": lambda: client.get("/api/me/diary", **https),
        "save": lambda: client.put(f"/api/me/diary/{date}", body, **write),
        "base_read": lambda: client.get("/bench/read", **https),
        "base_write": lambda: client.post("/bench/write", "{}", **write),
    }


def _backend_pid(connection: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sql", action="store_true", help="print each kind's queries")
    parser.add_argument("--only", default="", help="comma-separated kinds")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (tottime...)")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="profile CPU time (time.process_time), not wall time: a wait for PostgreSQL "
        "or Redis then costs only what the process spends on it",
    )
    parser.add_argument("--dump", type=Path, help="also write each kind's pstats here")
    args = parser.parse_args()
    _environment()
    from bench.harness import setup_django

    setup_django("postgres", production=True)
    from bench.latency import cpu_seconds, log_in_directly, make_baseline_table, make_clinic
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    usernames, dates, _ = make_clinic(PATIENTS)
    make_baseline_table()
    login = log_in_directly(usernames[0])
    client = Client()
    client.cookies["sessionid"] = login.sessionid
    client.cookies["csrftoken"] = login.csrftoken
    kinds = _requests(client, login.csrftoken, dates[0])
    only = [k for k in args.only.split(",") if k] or list(kinds)
    for name in only:
        send = kinds[name]
        for _ in range(20):  # warm: connection, caches, first-use imports
            response = send()
            assert response.status_code in (200, 201), (name, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            send()
        print(f"\n=== {name}: {len(queries)} queries")
        if args.sql:
            for q in queries.captured_queries:
                print(f"  {q['time']}s  {q['sql'][:300]}")
        profile = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        started = time.perf_counter()
        cpu = time.process_time()
        profile.enable()
        for _ in range(args.requests):
            send()
        profile.disable()
        wall = (time.perf_counter() - started) / args.requests * 1000
        cpu_ms = (time.process_time() - cpu) / args.requests * 1000
        print(f"  {wall:.2f} ms wall, {cpu_ms:.2f} ms CPU per request (profiled)")
        backend = _backend_pid(connection)
        started = time.perf_counter()
        cpu, pg = time.process_time(), cpu_seconds([backend])
        for _ in range(args.requests):
            send()
        wall = (time.perf_counter() - started) / args.requests * 1000
        cpu_ms = (time.process_time() - cpu) / args.requests * 1000
        pg_ms = (cpu_seconds([backend]) - pg) / args.requests * 1000
        print(
            f"  {wall:.2f} ms wall, {cpu_ms:.2f} ms CPU per request (not profiled), "
            f"PostgreSQL backend {pg_ms:.2f} ms"
        )
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            profile.dump_stats(args.dump / f"{name}.pstats")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
