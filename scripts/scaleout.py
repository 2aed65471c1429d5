"""`make scaleout`: cephalog on several processes and clusters of this machine, checked.

Everything on loopback, started here and stopped here (nothing is left running):

1. **PostgreSQL primary + streaming replica**: two clusters under /tmp on their own
   ports; the replica made by `pg_basebackup -R` streams from the primary.
2. **Two gunicorn app servers behind HAProxy** (Debian's package) health-checking
   `/healthz`; Redis (127.0.0.1:6379, database SCALEOUT_REDIS_DB, default 13; a private
   redis-server when none answers there) is the shared cache (`CACHE_URL`), and the app
   has `DATABASE_REPLICA_URL` set (cephalog.ops.db_router).
3. Checks through the balancer:
   - a session holds across both servers (answers carry HAProxy's `X-Served-By`);
   - the login throttle and the MFA throttle count failures made on either server;
   - the cohort page, its CSV and the FHIR bulk export read the replica: with the
     replica's replay paused, a patient added on the primary is not in them (and the
     page says "as of" the replay time); resumed, it appears;
   - under diary write load one app server is SIGKILLed: no acknowledged write is
     lost, and after the health check takes it out every answer comes from the other;
   - **failover** (the runbook of docs/scaling.md): under write load the primary is
     shut down, the replica promoted, the app servers restarted one by one with
     `DATABASE_URL` switched to it; writes carry on, every acknowledged write (before
     and after) is on the new primary and the audit chain verifies.
4. **The registry cohort table on Dask distributed** (cephalog.analytics.distributed):
   the demo generator's cohort at 11M and 44M diary-days written as Parquet
   partitions of day codes; summary merged from partitions on a LocalCluster of 1 and
   2 worker processes, timed, and checked equal to the single-process table.

    .venv/bin/python scripts/scaleout.py     (SCALEOUT_SIZES=11,44 SCALEOUT_SKIP_DASK=1)

Writes test-artifacts/scaleout/report.json and prints it; exits 1 on any problem.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from livesite import (  # noqa: E402
    SETUP,
    TOTP_KEY,
    Postgres,
    Site,
    free_port,
    run_django,
    site_env,
)

BIN = Path(sys.executable).parent
OUT = ROOT / "test-artifacts" / "scaleout"
REDIS_DB = int(os.environ.get("SCALEOUT_REDIS_DB", "13"))
APP_WORKERS, APP_THREADS = 2, 4
WRITERS = 4  # threads, two per patient
ROUNDS = 5  # timed rounds of the Dask figures

# --- the pieces -------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def ensure_debian_package(command: str, package: str) -> str:
    found = shutil.which(command) or (
        f"/usr/sbin/{command}" if Path(f"/usr/sbin/{command}").exists() else None
    )
    if found:
        return found
    log(f"installing Debian's {package}")
    if os.geteuid() != 0:
        raise SystemExit(f"{command} is missing: run `sudo apt-get install -y {package}`")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which(command) or f"/usr/sbin/{command}"
    if not Path(found).exists():
        raise SystemExit(f"{package} installed but {command} not found")
    return found


class Cluster(Postgres):
    """A throwaway cluster (scripts/livesite.py) that can also be a streaming replica."""

    def psql(self, sql: str, database: str = "cephalog") -> str:
        done = self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
            "-AtXc", sql,
        )  # fmt: skip
        return done.stdout.strip()

    def replicate(self, primary: Cluster) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(self.data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        self.start()

    def promote(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "promote")

    def shutdown(self) -> None:
        """A clean (fast) shutdown: the WAL up to it is sent to the replica first."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)


class Redis:
    """127.0.0.1:6379 when it answers (database REDIS_DB, flushed before and after), else
    a private redis-server on a free port."""

    def __init__(self) -> None:
        import redis

        self.process: subprocess.Popen[bytes] | None = None
        self.port = 6379
        try:
            redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
        except redis.RedisError:
            server = ensure_debian_package("redis-server", "redis-server")
            self.port = free_port()
            self.process = subprocess.Popen(
                [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no"],
                stdout=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            deadline = time.monotonic() + 10
            while True:
                try:
                    redis.Redis(host="127.0.0.1", port=self.port).ping()
                    break
                except redis.RedisError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        self.client = redis.Redis(host="127.0.0.1", port=self.port, db=REDIS_DB)
        self.client.flushdb()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{REDIS_DB}"

    def stop(self) -> None:
        with suppress(Exception):
            self.client.flushdb()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@dataclass
class AppServer:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"), "cephalog.wsgi:application",
                    f"--bind=127.0.0.1:{self.port}", f"--workers={APP_WORKERS}",
                    f"--threads={APP_THREADS}", "--timeout=60", "--graceful-timeout=5",
                    "--log-level=warning",
                ],
                env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).ok:
                    return
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within 60 s")

    def kill(self) -> None:
        """SIGKILL the master and its workers (a crashed machine, not a shutdown)."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


HAPROXY_CONFIG = """
global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
frontend cephalog
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    default-server inter 250ms fall 2 rise 2
    http-response set-header X-Served-By %s
{servers}
"""


@contextmanager
def haproxy(port: int, servers: list[AppServer], work: Path) -> Iterator[subprocess.Popen[bytes]]:
    binary = ensure_debian_package("haproxy", "haproxy")
    config = work / "haproxy.cfg"
    config.write_text(
        HAPROXY_CONFIG.format(
            port=port,
            servers="\n".join(f"    server {s.name} 127.0.0.1:{s.port} check" for s in servers),
        )
    )
    subprocess.run([binary, "-c", "-q", "-f", str(config)], check=True)
    with (work / "haproxy.log").open("wb") as out:
        process = subprocess.Popen(
            [binary, "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("HAProxy did not answer within 20 s")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- load -------------------------------------------------------------------------------------


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: list[tuple[float, int, str]] = field(default_factory=list)  # (t, status, server)
    acks: list[tuple[str, str, int, float]] = field(default_factory=list)
    transport_errors: list[float] = field(default_factory=list)


def writer(
    url: str, http: requests.Session, username: str, stop: threading.Event, tally: Tally, seed: int
) -> None:
    rng = random.Random(seed)
    today = dt.date.today()
    dates = [(today - dt.timedelta(days=n)).isoformat() for n in range(1, 7)]
    while not stop.is_set():
        date = rng.choice(dates)
        hours = rng.randrange(1, 96) / 4
        try:
            answer = http.put(
                f"{url}/api/me/diary/{date}",
                data=json.dumps({"headache_hours": hours, "peak_intensity": "moderate"}),
                headers={"Content-Type": "application/json"},
                timeout=30,
            )
        except requests.RequestException:
            with tally.lock:
                tally.transport_errors.append(time.monotonic())
            continue
        with tally.lock:
            tally.answers.append(
                (time.monotonic(), answer.status_code, answer.headers.get("X-Served-By", ""))
            )
            if answer.status_code in (200, 201):
                body = answer.json()
                tally.acks.append(
                    (username, date, int(body["version"]), float(body["headache_hours"]))
                )
        if answer.status_code >= 500:
            time.sleep(0.1)


@contextmanager
def write_load(url: str, sessions: list[tuple[str, requests.Session]]) -> Iterator[Tally]:
    tally = Tally()
    stop = threading.Event()
    threads = [
        threading.Thread(target=writer, args=(url, http, name, stop, tally, i), daemon=True)
        for i, (name, http) in enumerate(sessions)
    ]
    for t in threads:
        t.start()
    try:
        yield tally
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)


VERIFY = """
import json
import logging
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision
from cephalog.audit.actions import verify_chain
days = {}
for e in DiaryEntry.objects.select_related("patient__user"):
    days[f"{e.patient.user.username}|{e.date}|{e.version}"] = float(e.headache_hours)
for r in DiaryEntryRevision.objects.select_related("patient__user"):
    days[f"{r.patient.user.username}|{r.date}|{r.version}"] = float(r.snapshot["headache_hours"])
chain = verify_chain()
print(json.dumps({"days": days, "audit_ok": chain.ok, "audit_rows": chain.rows}))
"""


def lost_writes(env: dict[str, str], acks: list[tuple[str, str, int, float]]) -> list[str]:
    state = json.loads(run_django(env, VERIFY).strip().splitlines()[-1])
    problems = []
    for username, date, version, hours in acks:
        stored = state["days"].get(f"{username}|{date}|{version}")
        if stored is None or abs(stored - hours) > 1e-9:
            problems.append(f"acknowledged write missing: {username} {date} v{version}")
    if not state["audit_ok"]:
        problems.append("the audit chain does not verify")
    return problems


# --- the checks -------------------------------------------------------------------------------


def served_by(http: requests.Session, url: str, n: int = 12) -> Counter[str]:
    seen: Counter[str] = Counter()
    for _ in range(n):
        answer = http.get(url, timeout=30)
        seen[
            answer.headers.get("X-Served-By", "?") if answer.ok else f"HTTP {answer.status_code}"
        ] += 1
    return seen


def check_session(site: Site, problems: list[str]) -> dict[str, Any]:
    http = site.login("patient")
    seen = served_by(http, f"{site.url}/api/me/diary")
    if set(seen) != {"app-a", "app-b"}:
        problems.append(f"one session across both servers: answers {dict(seen)}")
    return {"diary_reads_by_server": dict(seen)}


def _login_form(url: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    http.get(f"{url}/accounts/login/", timeout=30)
    return http, http.cookies.get("csrftoken", "")


def check_login_throttle(site: Site, problems: list[str]) -> dict[str, Any]:
    http, token = _login_form(site.url)
    servers, statuses = [], []
    for attempt in range(6):
        password = "correct horse battery staple" if attempt == 5 else f"wrong-{attempt}"
        answer = http.post(
            f"{site.url}/accounts/login/",
            data={"username": "nurse-joy", "password": password, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=30,
        )
        servers.append(answer.headers.get("X-Served-By", "?"))
        statuses.append(answer.status_code)
    if set(servers[:5]) != {"app-a", "app-b"}:
        problems.append(f"login failures not spread over both servers: {servers}")
    if statuses[5] != 429:
        problems.append(
            f"6th login after 5 failures on two servers answered {statuses[5]}, not 429"
        )
    return {"login_statuses": statuses, "login_servers": servers}


def check_mfa_throttle(site: Site, problems: list[str]) -> dict[str, Any]:
    from django_otp.oath import totp

    http, token = _login_form(site.url)
    answer = http.post(
        f"{site.url}/accounts/login/",
        data={"username": "admin-ann", "password": "correct horse battery staple",
              "csrfmiddlewaretoken": token},
        allow_redirects=False, timeout=30,
    )  # fmt: skip
    if answer.status_code != 302:
        problems.append(f"admin password login answered {answer.status_code}")
        return {}
    good = str(totp(bytes.fromhex(TOTP_KEY))).zfill(6)
    bad = f"{(int(good) + 500_000) % 1_000_000:06d}"
    servers, statuses = [], []
    for code in (bad, bad, bad, good):
        answer = http.post(
            f"{site.url}/accounts/mfa/",
            data={"token": code, "csrfmiddlewaretoken": http.cookies.get("csrftoken", "")},
            allow_redirects=False,
            timeout=30,
        )
        servers.append(answer.headers.get("X-Served-By", "?"))
        statuses.append(answer.status_code)
    if set(servers[:3]) != {"app-a", "app-b"}:
        problems.append(f"MFA failures not spread over both servers: {servers}")
    if statuses[3] == 302:
        problems.append("the right code was accepted right after 3 wrong ones on two servers")
    # django-otp doubles the wait after each failure (1, 2, 4 s): once it has passed, the
    # right code is accepted, so the refusal above was the shared throttle, not the code.
    time.sleep(5)
    good = str(totp(bytes.fromhex(TOTP_KEY))).zfill(6)
    later = http.post(
        f"{site.url}/accounts/mfa/",
        data={"token": good, "csrfmiddlewaretoken": http.cookies.get("csrftoken", "")},
        allow_redirects=False,
        timeout=30,
    )
    statuses.append(later.status_code)
    if later.status_code != 302:
        problems.append(f"the right code after the throttle's wait answered {later.status_code}")
    return {"mfa_statuses": statuses, "mfa_servers": servers}


PATIENT_COUNT = """
from cephalog.accounts.models import User
from cephalog.patients.models import Patient
clinic = User.objects.get(username="admin-ann").memberships.get().clinic
print(Patient.objects.filter(clinic=clinic).count())
"""

ADD_PATIENT = """
from cephalog.accounts.models import User
from tests.personas import make_patient
clinic = User.objects.get(username="dr-house").memberships.get().clinic
make_patient(clinic, "REPLICA-1", "Replica", "Lag", None)
print("ok")
"""

BULK_EXPORT = """
import json
import logging
from cephalog.accounts.models import User
from cephalog.interop import bulk
from cephalog.interop.models import BulkExport
admin = User.objects.get(username="admin-ann")
clinic = admin.memberships.get().clinic
export = bulk.start_bulk_export(clinic=clinic, by=admin)
result = bulk.run_bulk_export(export.pk)
print(json.dumps({"result": result, "counts": BulkExport.objects.get(pk=export.pk).counts}))
"""


def cohort_patients(http: requests.Session, url: str) -> tuple[int, str]:
    answer = http.get(f"{url}/clinic/cohort.csv", timeout=60)
    answer.raise_for_status()
    lines = answer.text.splitlines()
    baseline = next(line.split(",") for line in lines[1:] if line.startswith("0,"))
    return int(baseline[1]), answer.headers.get("X-Data-As-Of", "")


def check_replica_reads(
    site: Site, primary: Cluster, replica: Cluster, problems: list[str]
) -> dict[str, Any]:
    http = site.login("physician")
    page = http.get(f"{site.url}/clinic/cohort/", timeout=60)
    if page.status_code != 200 or "Figures as of" not in page.text:
        problems.append(f"cohort page from the replica: {page.status_code}, no 'as of' line")
    before, stamp_before = cohort_patients(http, site.url)
    if not stamp_before:
        problems.append("the cohort CSV has no X-Data-As-Of header")
    replica.psql("SELECT pg_wal_replay_pause()")
    try:
        run_django(site.env, ADD_PATIENT)
        on_primary = int(run_django(site.env, PATIENT_COUNT).strip().splitlines()[-1])
        time.sleep(1.0)
        paused, stamp_paused = cohort_patients(http, site.url)
        export = json.loads(run_django(site.env, BULK_EXPORT).strip().splitlines()[-1])
        exported = int(export["counts"].get("Patient", -1))
        if paused != before:
            problems.append(
                f"cohort CSV saw the primary while replay was paused ({before}->{paused})"
            )
        if exported != on_primary - 1:
            problems.append(
                f"bulk export with replay paused wrote {exported} patients, primary has {on_primary}"
            )
    finally:
        replica.psql("SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 20
    after, stamp_after = paused, stamp_paused
    while time.monotonic() < deadline and after == paused:
        time.sleep(0.3)
        after, stamp_after = cohort_patients(http, site.url)
    if after != before + 1:
        problems.append(f"the replica did not catch up: {before} -> {after}")
    if not stamp_after or stamp_after <= stamp_before:
        problems.append(f"as-of did not move on: {stamp_before} -> {stamp_after}")
    lag = primary.psql(
        "SELECT coalesce(max(extract(epoch FROM replay_lag)), 0) FROM pg_stat_replication"
    )
    return {
        "cohort_patients_before_paused_after": [before, paused, after],
        "patients_on_primary_while_paused": on_primary,
        "bulk_export_patients_while_paused": exported,
        "as_of_before_paused_after": [stamp_before, stamp_paused, stamp_after],
        "replay_lag_seconds": float(lag or 0),
    }


def check_kill_under_load(
    site: Site, writers: list[tuple[str, requests.Session]], victim: AppServer, problems: list[str]
) -> dict[str, Any]:
    with write_load(site.url, writers) as tally:
        time.sleep(3)
        killed = time.monotonic()
        victim.kill()
        time.sleep(6)
    late = [a for a in tally.answers if a[0] > killed + 2.0]
    failed = [a for a in tally.answers if not 200 <= a[1] < 300]
    if not late or any(a[2] != "app-b" or not 200 <= a[1] < 300 for a in late):
        problems.append(
            f"after the kill (+2 s): {Counter((a[1], a[2]) for a in late)}, not all 2xx from app-b"
        )
    problems.extend(lost_writes(site.env, tally.acks))
    return {
        "writes_acknowledged": len(tally.acks),
        "answers_by_server": dict(Counter(a[2] for a in tally.answers)),
        "failed_answers": dict(Counter(a[1] for a in failed)),
        "transport_errors": len(tally.transport_errors),
        "failed_after_kill_plus_2s": sum(1 for a in late if not 200 <= a[1] < 300),
        "writes_per_second": round(len(tally.acks) / 9, 1),
    }


def check_failover(
    site: Site,
    servers: list[AppServer],
    writers: list[tuple[str, requests.Session]],
    primary: Cluster,
    replica: Cluster,
    problems: list[str],
) -> dict[str, Any]:
    new_env = {**site.env, "DATABASE_URL": replica.url}
    new_env.pop("DATABASE_REPLICA_URL", None)
    steps: dict[str, float] = {}
    with write_load(site.url, writers) as tally:
        time.sleep(2)
        t0 = time.monotonic()
        primary.shutdown()
        steps["primary_stopped"] = time.monotonic() - t0
        replica.promote()
        steps["replica_promoted"] = time.monotonic() - t0
        for server in servers:  # one at a time: the balancer routes around the restarting one
            server.stop()
            server.env = new_env
            server.start()
        steps["app_servers_switched"] = time.monotonic() - t0
        switched = time.monotonic()
        time.sleep(4)
    late = [a for a in tally.answers if a[0] > switched + 0.5]
    if not late or any(not 200 <= a[1] < 300 for a in late):
        problems.append(f"after the switch: {Counter(a[1] for a in late)}")
    if {a[2] for a in late} != {"app-a", "app-b"}:
        problems.append(f"after the switch not served by both: {Counter(a[2] for a in late)}")
    if replica.psql("SELECT pg_is_in_recovery()") != "f":
        problems.append("the promoted replica is still in recovery")
    site.env = new_env
    ok_times = sorted(a[0] for a in tally.answers if 200 <= a[1] < 300)
    if len(ok_times) > 1:  # the longest stretch without an acknowledged write
        steps["write_outage"] = max(b - a for a, b in zip(ok_times, ok_times[1:], strict=False))
    return {
        "steps_seconds": {k: round(v, 1) for k, v in steps.items()},
        "writes_acknowledged": len(tally.acks),
        "answers": dict(Counter(a[1] for a in tally.answers)),
        "transport_errors": len(tally.transport_errors),
        "acks": tally.acks,
    }


# --- the distributed cohort table -------------------------------------------------------------


def dask_drill(sizes_m: list[int], work: Path, problems: list[str]) -> list[dict[str, Any]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cephalog.settings")
    os.environ.setdefault("CEPHALOG_DATA_DIR", str(work / "django"))
    import django

    django.setup()
    logging.getLogger("distributed").setLevel(logging.WARNING)
    import polars as pl
    from bench.analytics import TODAY, generate, inputs_of, patients_for
    from distributed import Client, LocalCluster
    from polars.testing import assert_frame_equal

    from cephalog.analytics import dense, distributed
    from cephalog.analytics.cohort import cohort_summary, to_frame, with_ruleset
    from cephalog.domain.rulesets import LEGACY

    results = []
    for size in sizes_m:
        started = time.perf_counter()
        x = inputs_of(generate(patients_for(size * 1_000_000)))
        codes = dense.encode(
            hours=x.hours, intensity=x.intensity, features=x.features,
            aura_minutes=x.aura, medicine=x.medicine,
        )  # fmt: skip
        ids = [f"P{i:07d}" for i in range(x.n_patients)]
        sp_, sy, strips = distributed.year_strips(x.patient, x.day, codes)
        root = work / f"parquet-{size}m"
        parts = 8
        folders = distributed.write_partitions(
            root,
            patient_ids=ids,
            strip_patient=sp_,
            strip_year=sy,
            strips=strips,
            session_patient=x.session_patient,
            session_day=x.session_day,
            parts=parts,
        )
        size_mb = sum(f.stat().st_size for d in folders for f in d.iterdir()) / 2**20
        label = f"{x.diary_days / 1e6:.1f}M diary-days, {x.n_patients:,} patients"
        log(
            f"dask: {label}, {len(folders)} partitions ({size_mb:.0f} MB) in {time.perf_counter() - started:.0f} s"
        )

        timings: dict[str, float] = {}
        t = time.perf_counter()
        grid = dense.DayGrid.from_years(x.n_patients, sp_, sy, strips)
        columns = dense.cohort_arrays(
            grid, x.session_patient, x.session_day, TODAY,
            definition=LEGACY.definition, truncate=LEGACY.ruleset.truncate,
        )  # fmt: skip
        table = with_ruleset(to_frame(columns, pl.Series("patient", ids, dtype=pl.String)), LEGACY)
        summary = cohort_summary(table)
        timings["single_process_in_memory"] = time.perf_counter() - t
        del grid, columns, x, codes
        # Both clusters at once, measured alternately: the machine is shared, so each
        # round's 1-worker and 2-worker runs see about the same load.
        with ExitStack() as clusters:
            clients: dict[int, Any] = {0: None}  # 0: in this process, Dask's synchronous scheduler
            for workers in (1, 2):
                cluster = clusters.enter_context(
                    LocalCluster(
                        n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=None, memory_limit=0, silence_logs=logging.WARNING,
                    )
                )  # fmt: skip
                clients[workers] = clusters.enter_context(Client(cluster))
            samples: dict[int, list[float]] = {0: [], 1: [], 2: []}
            for round_ in range(ROUNDS + 1):
                for workers, client in clients.items():
                    t = time.perf_counter()
                    merged = distributed.registry_summary(folders, TODAY, scheduler=client)
                    if round_:  # the first round warms the workers up
                        samples[workers].append(time.perf_counter() - t)
                    else:
                        try:
                            assert_frame_equal(
                                merged, summary, check_exact=False, rel_tol=1e-9, abs_tol=1e-9
                            )
                        except AssertionError as error:
                            problems.append(f"{label}, {workers} workers: summary differs: {error}")
            if size == sizes_m[0]:
                whole = distributed.registry_table(folders, TODAY, scheduler=clients[2])
                try:
                    assert_frame_equal(
                        whole.sort("patient", "cycle"), table.sort("patient", "cycle")
                    )
                except AssertionError as error:
                    problems.append(f"{label}: partitioned table differs: {error}")
        timings["single_process_from_parquet"] = statistics.median(samples[0])
        for workers in (1, 2):
            timings[f"dask_{workers}_workers"] = statistics.median(samples[workers])
        speedups = [a / b for a, b in zip(samples[1], samples[2], strict=True)]
        results.append(
            {
                "size": label,
                "partitions": len(folders),
                "parquet_mb": round(size_mb),
                "table_rows": table.height,
                "seconds": {k: round(v, 2) for k, v in timings.items()},
                "speedup_2_over_1_workers_median_of_rounds": round(statistics.median(speedups), 2),
                "rounds": ROUNDS,
                "load_after": " ".join(f"{v:.2f}" for v in os.getloadavg()),
            }
        )
        log(f"dask: {json.dumps(results[-1])}")
        del table, summary, strips
        shutil.rmtree(root, ignore_errors=True)
    return results


# --- the drill --------------------------------------------------------------------------------


def keep_logs(work: Path) -> None:
    """The servers' logs, kept in test-artifacts/scaleout/ (the work folder is removed)."""
    OUT.mkdir(parents=True, exist_ok=True)
    for path in work.glob("*.log"):
        shutil.copy(path, OUT / path.name)


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run() -> dict[str, Any]:
    report: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
    problems: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="cephalog-scaleout-"))
    started = time.monotonic()
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, True)
        stack.callback(keep_logs, work)
        primary, replica = Cluster(), Cluster()
        stack.callback(replica.stop)
        stack.callback(primary.stop)
        primary.init()
        replica.replicate(primary)
        log(f"PostgreSQL primary :{primary.port}, streaming replica :{replica.port}")
        redis_ = Redis()
        stack.callback(redis_.stop)
        log(f"Redis {redis_.url}")

        env = site_env(work / "data", primary.url)
        env.update(
            {
                "DATABASE_REPLICA_URL": replica.url,
                "CACHE_URL": redis_.url,
                "SECRET_KEY": secrets.token_urlsafe(50),
                "CONN_MAX_AGE": "60",
                "LOGIN_FAILURE_LIMIT": "5",
            }
        )
        subprocess.run(
            [str(BIN / "cephalog"), "migrate", "--no-input", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        ids = run_django(env, SETUP).split()
        lb_port, port_a, port_b = free_ports(3)
        servers = [
            AppServer("app-a", port_a, dict(env), work / "app-a.log"),
            AppServer("app-b", port_b, dict(env), work / "app-b.log"),
        ]
        for server in servers:
            stack.callback(server.stop)
            server.start()
        stack.enter_context(haproxy(lb_port, servers, work))
        site = Site(f"http://127.0.0.1:{lb_port}", env, ids, None, work / "app-a.log")  # type: ignore[arg-type]
        log(f"HAProxy :{lb_port} -> app-a :{port_a}, app-b :{port_b}")

        report["session"] = check_session(site, problems)
        report["login_throttle"] = check_login_throttle(site, problems)
        report["mfa_throttle"] = check_mfa_throttle(site, problems)
        log(f"shared session and throttles: {problems or 'ok'}")
        report["replica"] = check_replica_reads(site, primary, replica, problems)
        log(f"replica reads: {json.dumps(report['replica'])}")

        personas = [("patient", "ada"), ("other_patient", "brook")] * (WRITERS // 2)
        writers = [(username, site.login(persona)) for persona, username in personas]
        report["kill_app_server"] = check_kill_under_load(site, writers, servers[0], problems)
        log(f"kill under load: {json.dumps(report['kill_app_server'])}")
        servers[0].start()
        deadline = time.monotonic() + 20
        while "app-a" not in served_by(writers[0][1], f"{site.url}/api/me/diary", 4):
            if time.monotonic() > deadline:
                problems.append("app-a back up but not in the pool after 20 s")
                break
            time.sleep(0.3)

        failover = check_failover(site, servers, writers, primary, replica, problems)
        all_acks = failover.pop("acks")
        problems.extend(lost_writes(site.env, all_acks))
        report["failover"] = failover
        log(f"failover: {json.dumps(failover)}")

        if os.environ.get("SCALEOUT_SKIP_DASK") != "1":
            sizes = [int(s) for s in os.environ.get("SCALEOUT_SIZES", "11,44").split(",")]
            report["dask"] = dask_drill(sizes, work, problems)
    leftovers = subprocess.run(
        ["pgrep", "-f", str(work)], capture_output=True, text=True, check=False
    ).stdout.split()
    if leftovers:
        problems.append(f"processes left running: {leftovers}")
    report["seconds"] = round(time.monotonic() - started)
    report["load_after"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    report["problems"] = problems
    return report


def main() -> None:
    report = run()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    if report["problems"]:
        print("SCALEOUT FAILED:\n  " + "\n  ".join(report["problems"]))
        sys.exit(1)
    print("scaleout: every check passed")


if __name__ == "__main__":
    main()
