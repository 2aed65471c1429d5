"""Diary API latency under load (issue 10): 32 clients, production settings, loopback.

    .venv/bin/python -m bench.latency --out latency.json [--quick] [--runs N]

A fresh PostgreSQL database gets a demo clinic of 200 patients, each with a
patient login (the generated diaries end a week ago). gunicorn serves cephalog
with its production settings (CEPHALOG_DEV=false: DEBUG off, manifest static
files, secure cookies, SSL redirect, persistent connections) on 127.0.0.1; the
requests arrive as through the TLS proxy of docs/production.md
(`X-Forwarded-Proto: https`), so no setting is relaxed for the benchmark. The
patients log in (a few through the login page), then `wrk` (Debian's package; the
requests are made by bench/latency.lua) keeps 32 connections busy:

- save: `PUT /api/me/diary/{date}` of a random day of the last six (first a
  create, later updates), session cookie and CSRF header as the API asks;
- read: `GET /api/me/diary` (the latest 28 days, flags and reasons);
- mixed: the two alternately.

Each run is bounded in time (`-d`) and count (each wrk thread stops after its
share of MAX_REQUESTS). After every run the database is checked: one audit
row per successful request, one new diary day per 201, one kept revision per
200, the versions moved on by one per save; at the end the whole audit chain
verifies. A run that does not add up raises.

Without wrk the area prints how to install it and records no figure.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, Figure, Suite, setup_django, write_figures

PATIENTS = 200
#: Patients who log in through the login page (the others get their sessions directly).
LOGIN_PAGE = 6
CLIENTS = 32
#: wrk threads: the load generator shares the server's 2 cores, so as few as will do.
WRK_THREADS = 2
#: Days a save picks from: yesterday and the five before (inside the 7-day backfill window
#: even if the run crosses midnight).
SAVE_DAYS = 6
#: The count bound of one run (the time bound is the run's duration).
MAX_REQUESTS = 40_000
SCENARIOS = ("save", "read", "mixed")
#: Served by the same process in the same run (bench/server.py): the yardsticks of issue 19.1.
BASELINES = ("base_read", "base_write", "bare")
TITLES = {
    "save": "diary save (PUT /api/me/diary/{date})",
    "read": "diary read (GET /api/me/diary, 28 days)",
    "mixed": "diary save and read alternately",
    "base_read": "baseline: one-row read behind the middleware (GET /bench/read)",
    "base_write": "baseline: one-row insert behind the middleware (POST /bench/write)",
    "bare": "baseline: one-row read, no middleware (GET /bench/bare)",
}
#: Goals of issue 19.1 (throughput ratios measured in the same run and server).
READ_VS_BASELINE_GOAL = 0.7
SAVE_VS_BASELINE_GOAL = 0.6
STACK_COST_GOAL = 2.0
P99_GOAL_MS = 50.0
BASELINE_TABLE = "bench_baseline"  # bench/server_urls.py
RATE_GOAL = 1000.0

#: gunicorn for 2 cores (docs/production.md): 3 processes of 3 threads. A request also
#: waits for PostgreSQL (its queries, the commit's WAL flush), so more requests than cores
#: in flight keep both busy; 6 sync workers (no keep-alive) did worse, 4x2 and 2x4 about
#: the same.
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "3"))
GUNICORN_THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "3"))
GUNICORN_CLASS = os.environ.get("BENCH_GUNICORN_CLASS", "gthread")

WRK_MISSING = (
    "wrk is not installed: the latency figures are skipped. Install it with "
    "`sudo apt-get install -y wrk` (Debian/Ubuntu) and run the benchmark again."
)


@dataclass
class Login:
    username: str
    sessionid: str
    csrftoken: str


@dataclass
class WrkResult:
    requests: int
    unanswered: int  # sent when the run ended: the server may still have done them
    seconds: float
    statuses: Counter[int]
    errors: dict[str, int]
    latency_ms: dict[str, float]
    capped: bool

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


# --- the clinic ----------------------------------------------------------------------------


def make_clinic(patients: int) -> tuple[list[str], list[str], str]:
    """The demo clinic with `patients` patients, each with a login; (usernames, save dates,
    password). The generated diaries end 7 days ago, so the save dates start empty."""
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from cephalog.accounts.models import User
    from cephalog.core.time import patient_today
    from cephalog.demo.load import DEMO_PASSWORD, load_demo
    from cephalog.patients.models import Patient

    today = dt.date.today()
    result = load_demo(n_patients=patients, seed=10, today=today - dt.timedelta(days=7))
    password_hash = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        for i, patient in enumerate(
            Patient.objects.filter(clinic=result.clinic, user__isnull=True).order_by("mrn")
        ):
            user = User.objects.create(username=f"bench-patient-{i:03d}", password=password_hash)
            patient.user = user
            patient.save(update_fields=["user"])
    usernames = list(
        Patient.objects.filter(clinic=result.clinic)
        .order_by("mrn")
        .values_list("user__username", flat=True)
    )
    local_today = patient_today(Patient.objects.filter(clinic=result.clinic).first())  # type: ignore[arg-type]
    dates = [(local_today - dt.timedelta(days=d)).isoformat() for d in range(1, SAVE_DAYS + 1)]
    return [u for u in usernames if u], dates, DEMO_PASSWORD


def bench_patient_ids() -> list[Any]:
    from cephalog.patients.models import Patient

    return list(Patient.objects.filter(user__isnull=False).values_list("pk", flat=True))


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(port: int, static_root: Path) -> dict[str, str]:
    """The production configuration of docs/production.md, on loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEPHALOG_TESTING")}
    env.update(
        {
            "CEPHALOG_DEV": "false",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
            "SITE_URL": f"https://127.0.0.1:{port}",
            "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "600"),
            # wrk stands in for the TLS proxy on loopback (X-Forwarded-Proto: https)
            "CEPHALOG_TRUSTED_PROXIES": "127.0.0.1",
            "STATIC_ROOT": str(static_root),
            "EMAIL_BACKEND": "locmem",
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")]
            ),
            # cephalog's settings with the baseline views added (bench/server.py)
            "DJANGO_SETTINGS_MODULE": "bench.server_settings",
        }
    )
    cache = shared_cache_url()
    if cache:
        env["CACHE_URL"] = cache
    return env


def shared_cache_url() -> str:
    """Redis on this machine (its database BENCH_REDIS_DB, 14) when it answers: production
    runs several gunicorn processes, which share their cache (docs/adr/0005), so the
    benchmark does too. BENCH_CACHE_URL overrides it ("" for the per-process cache)."""
    if "BENCH_CACHE_URL" in os.environ:
        return os.environ["BENCH_CACHE_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return f"redis://127.0.0.1:6379/{os.environ.get('BENCH_REDIS_DB', '14')}"
    except OSError:
        pass
    return ""


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--no-input", "-v", "0"],
        env=env,
        check=True,
        timeout=600,
    )


@contextmanager
def gunicorn(port: int, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "bench.server:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(GUNICORN_WORKERS),
        "--worker-class",
        GUNICORN_CLASS,
        "--threads",
        str(GUNICORN_THREADS),
        "--keep-alive",
        "30",
        "--backlog",
        "256",
        "--preload",  # the app (and its views, see cephalog/wsgi.py) loaded once, then forked
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(port, process, log)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            status, _, _ = http_request(port, "GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 60 s: {log.read_text()[-2000:]}")


def http_request(
    port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
) -> tuple[int, list[tuple[str, str]], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            method,
            path,
            body=body or None,
            headers={"X-Forwarded-Proto": "https", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read().decode()
    finally:
        conn.close()


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    cookies = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            cookies[key.strip()] = rest.split(";", 1)[0]
    return cookies


def log_in(port: int, username: str, password: str) -> Login:
    """The login page, as a browser: its CSRF cookie and token, then the form."""
    status, headers, page = http_request(port, "GET", "/accounts/login/")
    if status != 200:
        raise RuntimeError(f"login page answered {status}")
    csrf = _cookies(headers)["csrftoken"]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise RuntimeError("no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)}
    )
    status, headers, _ = http_request(
        port,
        "POST",
        "/accounts/login/",
        form,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"https://127.0.0.1:{port}/accounts/login/",
            "Origin": f"https://127.0.0.1:{port}",
        },
    )
    cookies = _cookies(headers)
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"login of {username} answered {status}")
    return Login(username, cookies["sessionid"], cookies.get("csrftoken", csrf))


def log_in_directly(username: str) -> Login:
    """A session made as the login view makes it (django.contrib.auth.login, the login
    signals: audit row, login time), without the password hash: Argon2 takes about half
    a second of CPU per login here, so only a few patients log in through the page."""
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.test import Client
    from django.utils.crypto import get_random_string

    from cephalog.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    csrf = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)  # as the cookie holds it
    return Login(username, client.cookies["sessionid"].value, csrf)


# --- measuring -----------------------------------------------------------------------------


def run_wrk(
    port: int, sessions: Path, scenario: str, dates: list[str], seconds: float, max_requests: int
) -> WrkResult:
    cap = -(-max_requests // WRK_THREADS)
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{CLIENTS}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(Path(__file__).with_name("latency.lua")),
        f"http://127.0.0.1:{port}",
        "--",
        str(sessions),
        scenario,
        ",".join(dates),
        str(cap),
        str(WRK_THREADS),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({done.returncode}): {done.stdout[-1000:]}{done.stderr[-1000:]}"
        )
    data = json.loads(line.removeprefix("WRK_JSON "))
    statuses: Counter[int] = Counter()
    for part in data["statuses"]:
        for status, n in part.items():
            statuses[int(status)] += n
    return WrkResult(
        requests=data["requests"],
        unanswered=data["unanswered"],
        seconds=data["duration_us"] / 1e6,
        statuses=statuses,
        errors=data["errors"],
        latency_ms={k: v / 1000 for k, v in data["latency_us"].items()},
        capped=data["requests"] >= cap * WRK_THREADS,
    )


def db_counts(patient_ids: list[Any], dates: list[str]) -> dict[str, int]:
    from django.db import connection
    from django.db.models import Sum

    from cephalog.audit.models import AuditEvent
    from cephalog.diary.models import DiaryEntry, DiaryEntryRevision

    days = DiaryEntry.objects.filter(patient_id__in=patient_ids, date__in=dates)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BASELINE_TABLE}")
        baseline_rows = cursor.fetchone()[0]
    return {
        "baseline_rows": baseline_rows,
        "audit": AuditEvent.objects.count(),
        "days": days.count(),
        "versions": days.aggregate(v=Sum("version"))["v"] or 0,
        "revisions": DiaryEntryRevision.objects.filter(
            patient_id__in=patient_ids, date__in=dates
        ).count(),
    }


def spooled_reads() -> int:
    """Bytes of reads' audit rows the server has spooled and not yet appended (its spool
    shares this process's settings: docs/adr/0013-read-audit-spool.md)."""
    from django.conf import settings

    directory = getattr(settings, "AUDIT_READ_SPOOL", "")
    if not directory or not Path(directory).is_dir():
        return 0
    return sum(path.stat().st_size for path in Path(directory).glob("reads-*.jsonl"))


def settled_counts(patient_ids: list[Any], dates: list[str]) -> dict[str, int]:
    """The counts once the server has finished what wrk left in flight at its deadline,
    and has appended every read it spooled."""
    counts = db_counts(patient_ids, dates)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.3)
        again = db_counts(patient_ids, dates)
        if again == counts and not spooled_reads():
            return counts
        counts = again
    raise RuntimeError("the server was still writing 30 s after the run")


def check_run(
    scenario: str, result: WrkResult, before: dict[str, int], after: dict[str, int]
) -> None:
    """Every answered request left its audit row; every save is in the database.

    Requests in flight when wrk stopped (`unanswered`) may or may not have been
    done: each count must lie between the answered requests and that plus those.
    """
    problems = []
    failed = {s: n for s, n in result.statuses.items() if not 200 <= s < 300}
    if failed:
        problems.append(f"answers other than 2xx: {failed}")
    socket_errors = {k: v for k, v in result.errors.items() if k != "status" and v}
    if socket_errors:
        problems.append(f"socket errors: {socket_errors}")
    slack = result.unanswered

    def between(what: str, delta: int, answered: int) -> None:
        if not answered <= delta <= answered + slack:
            problems.append(f"{delta} {what} for {answered} answers (+{slack} unanswered)")

    if scenario in BASELINES:  # no audit rows; the insert's rows are all there
        between("audit rows", after["audit"] - before["audit"], 0)
        if scenario == "base_write":
            between("baseline rows", after["baseline_rows"] - before["baseline_rows"], result.ok)
    else:
        between("audit rows", after["audit"] - before["audit"], result.ok)
    if scenario in ("save", "mixed"):
        # Reads answer 200 as well: in the mixed run only the creates are told apart.
        created, updated = result.statuses[201], result.statuses[200]
        between("new days", after["days"] - before["days"], created)
        if scenario == "save":
            between("kept revisions", after["revisions"] - before["revisions"], updated)
            between("version steps", after["versions"] - before["versions"], created + updated)
    if problems:
        raise RuntimeError(f"{scenario}: the run does not add up: " + "; ".join(problems))


def cpu_seconds(pids: list[int]) -> float:
    """User+system CPU of these processes and their live threads (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def server_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [master, *(int(p) for p in children.read_text().split())]


def database_pids() -> list[int]:
    """The PostgreSQL backends serving this benchmark's database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def machine_busy_seconds() -> float:
    """CPU seconds spent by everything on the machine so far (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class Cpu:
    """CPU seconds of one scenario's runs: the server, its database backends, wrk, the rest."""

    server: float = 0.0
    database: float = 0.0
    wrk: float = 0.0
    machine: float = 0.0

    def note(self, requests: int, seconds: float) -> str:
        others = max(0.0, self.machine - self.server - self.database - self.wrk)
        ms = 1000 / requests
        return (
            f"CPU per request: server {self.server * ms:.2f} ms, PostgreSQL "
            f"{self.database * ms:.2f} ms, wrk {self.wrk * ms:.2f} ms; other processes "
            f"used {others / seconds:.2f} of the {os.cpu_count()} cores meanwhile"
        )


# --- the area ------------------------------------------------------------------------------


def run(suite: Suite) -> None:
    if shutil.which("wrk") is None:
        print(f"  {WRK_MISSING}", flush=True)
        return
    # The server's secret, so the sessions made here (log_in_directly) are valid there.
    os.environ["SECRET_KEY"] = "bench-" + os.urandom(24).hex()
    setup_django("postgres", production=True)
    started = time.perf_counter()
    usernames, dates, password = make_clinic(suite.size(PATIENTS, 64))
    patient_ids = bench_patient_ids()
    make_baseline_table()
    print(
        f"  clinic of {len(usernames)} patients in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    work = Path(tempfile.mkdtemp(prefix="cephalog-latency-"))
    port = free_port()
    env = server_env(port, work / "static")
    collectstatic(env)
    seconds = suite.size(10, 3)
    runs = suite.runs if not suite.quick else 1
    with gunicorn(port, env, work / "gunicorn.log") as server:
        with ThreadPoolExecutor(max_workers=2) as pool:
            logins = list(pool.map(lambda u: log_in(port, u, password), usernames[:LOGIN_PAGE]))
        logins += [log_in_directly(u) for u in usernames[LOGIN_PAGE:]]
        sessions = work / "sessions.txt"
        sessions.write_text("".join(f"{x.sessionid} {x.csrftoken}\n" for x in logins))
        config = (
            f"gunicorn {GUNICORN_CLASS} {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads, "
            f"PostgreSQL, CONN_MAX_AGE={env['CONN_MAX_AGE']}; wrk {WRK_THREADS} threads, "
            f"{CLIENTS} connections, {len(logins)} patients logged in; {os.cpu_count()} cores "
            "shared by server, database and wrk; cache "
            + (
                "Redis (sessions and the session's user read from it)"
                if env.get("CACHE_URL")
                else "per process"
            )
        )
        print(f"  {config}", flush=True)
        scenarios = (*SCENARIOS, *BASELINES)
        for scenario in scenarios:
            run_wrk(port, sessions, scenario, dates, 2, MAX_REQUESTS)  # warm-up
        results: dict[str, list[WrkResult]] = {s: [] for s in scenarios}
        cpu = {s: Cpu() for s in scenarios}
        machine_ms: dict[str, list[float]] = {s: [] for s in scenarios}  # per round
        # Round after round of every scenario: the diary and its baselines see the same
        # machine load (this machine is shared), and each round gives one ratio.
        for _ in range(runs):
            for scenario in scenarios:
                before = settled_counts(patient_ids, dates)
                spids, dpids = server_pids(server.pid), database_pids()
                s0, d0, m0 = cpu_seconds(spids), cpu_seconds(dpids), machine_busy_seconds()
                w0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                result = run_wrk(port, sessions, scenario, dates, seconds, MAX_REQUESTS)
                w1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[scenario].server += cpu_seconds(spids) - s0
                cpu[scenario].database += cpu_seconds(dpids) - d0
                busy = machine_busy_seconds() - m0
                cpu[scenario].machine += busy
                machine_ms[scenario].append(busy * 1000 / max(1, result.requests))
                cpu[scenario].wrk += w1.ru_utime + w1.ru_stime - w0.ru_utime - w0.ru_stime
                after = settled_counts(patient_ids, dates)
                check_run(scenario, result, before, after)
                results[scenario].append(result)
        for scenario in scenarios:
            add_figures(suite, scenario, results[scenario], cpu[scenario], config)
        add_ratios(suite, results, cpu)
        add_cpu_ratios(suite, machine_ms)
    from cephalog.audit.actions import verify_chain

    verdict = verify_chain()
    if not verdict.ok:
        raise RuntimeError(f"audit chain broken at row {verdict.first_bad_id}: {verdict.problem}")
    print(f"  audit chain verified: {verdict.rows} rows", flush=True)


def add_figures(
    suite: Suite, scenario: str, results: list[WrkResult], cpu: Cpu, config: str
) -> None:
    total = sum(r.requests for r in results)
    seconds = sum(r.seconds for r in results)
    statuses = sum((r.statuses for r in results), Counter())
    checked = (
        f"{total} requests in {len(results)} runs of {seconds / len(results):.0f} s "
        f"(answers {dict(sorted(statuses.items()))}), each with its audit row"
        + (", every save in the database" if scenario != "read" else "")
    )
    capped = (
        " Some runs hit the count bound: the rate is a lower bound."
        if any(r.capped for r in results)
        else ""
    )
    note = f"{config}. {checked}. {cpu.note(total, seconds)}.{capped}"
    title = TITLES[scenario]
    for pct in ("p50", "p90", "p99"):
        suite.add(
            Figure(
                f"latency.{scenario}_{pct}",
                f"{title}: {pct} latency, {CLIENTS} clients",
                "ms",
                [r.latency_ms[pct] for r in results],
                "lower",
                P99_GOAL_MS if pct == "p99" else None,
                note if pct == "p99" else "",
            )
        )
    suite.add(
        Figure(
            f"latency.{scenario}_rate",
            f"{title}: throughput, {CLIENTS} clients",
            "req/s",
            [r.rate for r in results],
            "higher",
            RATE_GOAL,
            note,
        )
    )


def add_ratios(suite: Suite, results: dict[str, list[WrkResult]], cpu: dict[str, Cpu]) -> None:
    """Throughput ratios of issue 19.1, one sample per round (same run, same server)."""

    def per_round(ours: str, reference: str) -> list[float]:
        return [a.rate / b.rate for a, b in zip(results[ours], results[reference], strict=True)]

    def cpu_ms(scenario: str) -> str:
        total = sum(r.requests for r in results[scenario])
        c = cpu[scenario]
        return f"{(c.server + c.database) * 1000 / total:.2f} ms"

    suite.add(
        Figure(
            "latency.read_vs_baseline",
            "Diary read vs a one-row read behind the same middleware (throughput ratio)",
            "x",
            per_round("read", "base_read"),
            "higher",
            READ_VS_BASELINE_GOAL,
            f"each sample one round: the two measured one after the other, same server. "
            f"Server+PostgreSQL CPU per request: read {cpu_ms('read')}, baseline "
            f"{cpu_ms('base_read')}",
        )
    )
    suite.add(
        Figure(
            "latency.save_vs_baseline",
            "Diary save vs a one-row insert behind the same middleware (throughput ratio)",
            "x",
            per_round("save", "base_write"),
            "higher",
            SAVE_VS_BASELINE_GOAL,
            f"each sample one round. Server+PostgreSQL CPU per request: save {cpu_ms('save')}, "
            f"baseline {cpu_ms('base_write')}",
        )
    )
    suite.add(
        Figure(
            "latency.stack_cost",
            "Middleware stack cost: a bare one-row read vs the same behind the middleware "
            "(throughput ratio)",
            "x",
            per_round("bare", "base_read"),
            "lower",
            STACK_COST_GOAL,
            f"each sample one round. Server+PostgreSQL CPU per request: bare {cpu_ms('bare')}, "
            f"behind the middleware {cpu_ms('base_read')}",
        )
    )


def add_cpu_ratios(suite: Suite, machine_ms: dict[str, list[float]]) -> None:
    """The same ratios from the whole machine's CPU per request (server, PostgreSQL, Redis,
    wrk, the kernel), one sample per round: what the throughput ratios would be with the
    cores always busy. gunicorn leaves each kept-alive connection with the process that
    accepted it, so a round's throughput also depends on how wrk's connections fell over
    the processes (bench/notes.md, fifth round); these do not. Not the issue's figures:
    no goal, for reading the throughput ratios."""

    def per_round(ours: str, reference: str) -> list[float]:
        return [b / a for a, b in zip(machine_ms[ours], machine_ms[reference], strict=True)]

    for name, title, ours, reference in (
        ("read_vs_baseline", "Diary read vs a one-row read", "read", "base_read"),
        ("save_vs_baseline", "Diary save vs a one-row insert", "save", "base_write"),
        ("stack_cost", "Middleware stack cost: a bare one-row read vs the same", "bare",
         "base_read"),
    ):  # fmt: skip
        suite.add(
            Figure(
                f"latency.{name}_cpu",
                f"{title} (ratio of the machine's CPU per request)",
                "x",
                per_round(ours, reference),
                "lower" if name == "stack_cost" else "higher",
                None,
                "each sample one round: all processes' CPU time over the round's requests",
            )
        )


def make_baseline_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        cursor.execute(
            f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, n bigint NOT NULL)"
        )
        cursor.execute(f"INSERT INTO {BASELINE_TABLE} (n) VALUES (0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    suite = Suite(quick=args.quick, runs=args.runs, area="latency")
    run(suite)
    if args.out:
        write_figures(suite, args.out)


if __name__ == "__main__":
    main()
