"""`make faults`: SIGKILL PostgreSQL repeatedly under diary and treatment-session write load.

Starts its own PostgreSQL cluster (scripts/livesite.py: under /tmp, on a free port,
never the shared server), serves cephalog with gunicorn against it (persistent
connections, CONN_MAX_AGE=60), and drives writes from threads on loopback:

- patients PUT diary days through the API (each 2xx answer is remembered with
  the version and hours it acknowledged);
- a nurse records injection sites on open treatment sessions through the session
  page, alternating a full PREEMPT set (31 sites) and a partial one (15 sites).

Meanwhile the postmaster and every backend are SIGKILLed, left down for a moment
and started again (crash recovery), KILLS times. Afterwards it proves:

- every acknowledged diary write exists (as the current day or as a kept revision
  with the same version and hours);
- every session holds exactly one whole site set (0, 15 or 31 sites, never part
  of one) and the last acknowledged set or a later attempt;
- the app answered 503 with Retry-After while the database was down, no other 5xx,
  and served again by itself after each restart; the audit chain is intact.

    FAULTS_KILLS=10  FAULTS_SEED=1

CI runs a short one (FAULTS_KILLS=1, .ci/run) after the test suites: a drill, not a test,
so it is not in `make test`.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from livesite import Postgres, Site, live_site, run_django, throwaway_postgres

SESSIONS_SETUP = """
from cephalog.accounts.models import User
from cephalog.patients.models import Patient
from cephalog.treatment import actions
from cephalog.domain import dosing
from tests.personas import make_patient
physician = User.objects.get(username="dr-house")
clinic = physician.memberships.get().clinic
# An injector with no training or no previous sessions works under a supervisor (17.4).
from tests.treatment.helpers import supervisor_for
out = []
for i in range({count}):
    patient = make_patient(clinic, f"FLT-{{i}}", "Fault", f"Drill{{i}}", None)
    session = actions.start_session(
        patient=patient, by=physician, injector=physician, infection_at_sites=False,
        red_flags_since_last=False, pregnant=False, precheck_reason="fault drill",
        supervisor=supervisor_for(patient, physician),
    )
    out.append([str(patient.pk), session.pk])
print(json.dumps({{"sessions": out, "sites": [s.code for s in dosing.PREEMPT_155.fixed_sites]}}))
"""

VERIFY = """
import json
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision
from cephalog.treatment.models import SessionSite
from cephalog.audit.actions import verify_chain
days = {}
for e in DiaryEntry.objects.select_related("patient__user"):
    days[f"{e.patient.user.username}|{e.date}|{e.version}"] = float(e.headache_hours)
for r in DiaryEntryRevision.objects.select_related("patient__user"):
    days[f"{r.patient.user.username}|{r.date}|{r.version}"] = float(r.snapshot["headache_hours"])
sites = {}
for s in SessionSite.objects.all():
    sites.setdefault(s.session_id, []).append(s.code)
chain = verify_chain()
print(json.dumps({"days": days, "sites": sites, "audit_ok": chain.ok, "audit_rows": chain.rows}))
"""

FULL, PARTIAL = "full", "partial"


@dataclass(frozen=True)
class Attempt:
    """One POST of a site set: when it was sent and when its answer (or failure) came,
    on one counter shared by all writers, the set it sent, and whether it was acknowledged."""

    sent: int
    done: int
    variant: str
    acked: bool


def may_hold(attempts: list[Attempt]) -> set[str]:
    """The site sets a session may hold after `attempts` from concurrent writers.

    An acknowledged attempt A committed before its answer, so what the session holds came
    from A or from an attempt that may have committed after A: one still in flight when A
    was sent (its answer, or its failure, came after that). Every acknowledged attempt
    says so; the session must satisfy all of them. Without an acknowledgement anything
    attempted, or nothing, may be there (None: not checked)."""
    allowed: set[str] | None = None
    for a in attempts:
        if a.acked:
            later = {x.variant for x in attempts if x is not a and x.done > a.sent}
            allowed = ({a.variant} | later) if allowed is None else allowed & ({a.variant} | later)
    return allowed if allowed is not None else {FULL, PARTIAL, "none"}


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    unavailable_without_retry_after: int = 0
    transport_errors: int = 0
    diary_acks: list[tuple[str, str, int, float]] = field(default_factory=list)
    session_attempts: dict[int, list[Attempt]] = field(default_factory=dict)
    seq: int = 0

    def note(self, response: requests.Response | None) -> None:
        with self.lock:
            if response is None:
                self.transport_errors += 1
                return
            self.statuses[response.status_code] += 1
            if response.status_code == 503 and not response.headers.get("Retry-After"):
                self.unavailable_without_retry_after += 1

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq


def _send(http: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response | None:
    try:
        return http.request(method, url, timeout=20, allow_redirects=False, **kwargs)
    except requests.RequestException:
        return None


def diary_writer(
    site: Site,
    http: requests.Session,
    username: str,
    stop: threading.Event,
    tally: Tally,
    seed: int,
) -> None:
    rng = random.Random(seed)
    today = time.strftime("%Y-%m-%d")
    import datetime as dt

    dates = [(dt.date.fromisoformat(today) - dt.timedelta(days=n)).isoformat() for n in range(1, 7)]
    while not stop.is_set():
        date = rng.choice(dates)
        hours = rng.randrange(1, 96) / 4
        response = _send(
            http,
            "PUT",
            f"{site.url}/api/me/diary/{date}",
            data=json.dumps(
                {"headache_hours": hours, "peak_intensity": "moderate", "nausea": True}
            ),
            headers={"Content-Type": "application/json"},
        )
        tally.note(response)
        if response is not None and response.status_code in (200, 201):
            body = response.json()
            with tally.lock:
                tally.diary_acks.append(
                    (username, date, int(body["version"]), float(body["headache_hours"]))
                )
        time.sleep(0.01)


def session_writer(
    site: Site,
    http: requests.Session,
    sessions: list[list[Any]],
    sites: list[str],
    stop: threading.Event,
    tally: Tally,
    seed: int,
) -> None:
    rng = random.Random(seed)
    token = http.headers["X-CSRFToken"]
    while not stop.is_set():
        patient_id, session_id = rng.choice(sessions)
        variant = rng.choice([FULL, PARTIAL])
        chosen = sites if variant == FULL else sites[:15]
        data = {"csrfmiddlewaretoken": token, **{f"site-{code}": "on" for code in chosen}}
        sent = tally.next_seq()
        response = _send(
            http,
            "POST",
            f"{site.url}/clinic/patients/{patient_id}/sessions/{session_id}/record/",
            data=data,
        )
        tally.note(response)
        acked = response is not None and response.status_code == 302
        attempt = Attempt(sent=sent, done=tally.next_seq(), variant=variant, acked=acked)
        with tally.lock:
            tally.session_attempts.setdefault(session_id, []).append(attempt)
        time.sleep(0.01)


def _session_acks(tally: Tally) -> int:
    with tally.lock:
        return sum(a.acked for attempts in tally.session_attempts.values() for a in attempts)


def killer(
    pg: Postgres, site: Site, kills: int, rng: random.Random, log: list[dict[str, float]]
) -> None:
    for _ in range(kills):
        time.sleep(rng.uniform(1.0, 2.5))
        killed_at = time.monotonic()
        pg.kill()
        # While it is down, the app must say so: 503 with Retry-After.
        down = requests.get(f"{site.url}/healthz", timeout=20)
        time.sleep(rng.uniform(0.5, 1.5))
        pg.start()
        restarted_at = time.monotonic()
        # Recovery by itself: poll until the app serves again (no restart of the app).
        while True:
            try:
                if requests.get(f"{site.url}/healthz", timeout=20).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.05)
        log.append(
            {
                "down_status": down.status_code,
                "down_retry_after": float(down.headers.get("Retry-After") or 0),
                "recovered_seconds": time.monotonic() - restarted_at,
                "outage_seconds": time.monotonic() - killed_at,
            }
        )


def verify(
    site: Site, tally: Tally, kills_log: list[dict[str, float]], sites: list[str]
) -> dict[str, Any]:
    state = json.loads(run_django(site.env, VERIFY))
    problems: list[str] = []
    for username, date, version, hours in tally.diary_acks:
        stored = state["days"].get(f"{username}|{date}|{version}")
        if stored is None:
            problems.append(f"lost: {username} {date} version {version}")
        elif abs(stored - hours) > 1e-9:
            problems.append(f"changed: {username} {date} version {version}: {stored} != {hours}")
    whole = {len(sites): FULL, 15: PARTIAL, 0: "none"}
    for session_id, attempts in tally.session_attempts.items():
        codes = state["sites"].get(str(session_id), [])
        variant = whole.get(len(codes))
        expected_codes = sites if variant == FULL else sites[:15] if variant == PARTIAL else []
        if variant is None or sorted(codes) != sorted(expected_codes):
            problems.append(f"half-written session {session_id}: {len(codes)} sites")
            continue
        allowed = may_hold(attempts)
        if variant not in allowed:
            last = max((a for a in attempts if a.acked), key=lambda a: a.sent)
            problems.append(
                f"lost: session {session_id} holds {variant}, acknowledged {last.variant}"
            )
    if not state["audit_ok"]:
        problems.append("the audit chain is broken")
    for n, k in enumerate(kills_log, 1):
        if k["down_status"] != 503 or not k["down_retry_after"]:
            problems.append(
                f"kill {n}: answered {k['down_status']} while down, not 503 with Retry-After"
            )
    server_errors = {s: c for s, c in tally.statuses.items() if s >= 500 and s != 503}
    if server_errors:
        problems.append(f"server errors other than 503: {server_errors}")
    if tally.unavailable_without_retry_after:
        problems.append(f"{tally.unavailable_without_retry_after} 503 answers without Retry-After")
    return {
        "problems": problems,
        "diary_writes_acknowledged": len(tally.diary_acks),
        "session_writes_acknowledged": sum(
            a.acked for v in tally.session_attempts.values() for a in v
        ),
        "sessions_checked": len(tally.session_attempts),
        "audit_rows": state["audit_rows"],
    }


def run(
    *, kills: int = 10, seed: int = 1, writers: int = 2, session_count: int = 6
) -> dict[str, Any]:
    rng = random.Random(seed)
    started = time.monotonic()
    with throwaway_postgres() as pg:
        persistent = {"CONN_MAX_AGE": "60"}  # production's setting: stale connections must heal
        with live_site(database_url=pg.url, workers=2, threads=4, extra_env=persistent) as site:
            setup = json.loads(
                run_django(site.env, "import json\n" + SESSIONS_SETUP.format(count=session_count))
            )
            tally = Tally()
            stop = threading.Event()
            threads = []
            for i in range(writers):
                for persona, username in (("patient", "ada"), ("other_patient", "brook")):
                    threads.append(
                        threading.Thread(
                            target=diary_writer,
                            args=(site, site.login(persona), username, stop, tally, seed * 100 + i),
                            daemon=True,
                        )
                    )
            for i in range(writers):
                threads.append(
                    threading.Thread(
                        target=session_writer,
                        args=(
                            site,
                            site.login("nurse"),
                            setup["sessions"],
                            setup["sites"],
                            stop,
                            tally,
                            seed * 1000 + i,
                        ),
                        daemon=True,
                    )
                )
            for t in threads:
                t.start()
            kills_log: list[dict[str, float]] = []
            killer(pg, site, kills, rng, kills_log)
            # A calm second after the last recovery, and then until both kinds of write
            # have been acknowledged since it (the service is back for both; on a slow
            # machine a short run might otherwise end before any session was recorded).
            time.sleep(1.0)
            since = (len(tally.diary_acks), _session_acks(tally))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (
                len(tally.diary_acks) == since[0] or _session_acks(tally) == since[1]
            ):
                time.sleep(0.2)
            stop.set()
            for t in threads:
                t.join(timeout=30)
            figures = verify(site, tally, kills_log, setup["sites"])
    figures.update(
        {
            "kills": len(kills_log),
            "requests": sum(tally.statuses.values()) + tally.transport_errors,
            "statuses": dict(sorted(tally.statuses.items())),
            "transport_errors": tally.transport_errors,
            "answered_503": tally.statuses.get(503, 0),
            "max_recovery_seconds": max((k["recovered_seconds"] for k in kills_log), default=0.0),
            "seconds": time.monotonic() - started,
        }
    )
    return figures


def main() -> int:
    kills = int(os.environ.get("FAULTS_KILLS", "10"))
    seed = int(os.environ.get("FAULTS_SEED", str(int(time.time()) % 100000)))
    figures = run(kills=kills, seed=seed)
    print(
        f"faults (seed {seed}): {figures['kills']} SIGKILLs of PostgreSQL survived in "
        f"{figures['seconds']:.0f} s; {figures['requests']} requests, "
        f"{figures['answered_503']} answered 503 while down, statuses {figures['statuses']}, "
        f"{figures['transport_errors']} connection errors; "
        f"{figures['diary_writes_acknowledged']} acknowledged diary writes and "
        f"{figures['session_writes_acknowledged']} acknowledged site records over "
        f"{figures['sessions_checked']} sessions verified; audit chain of "
        f"{figures['audit_rows']} rows intact; recovered within "
        f"{figures['max_recovery_seconds']:.1f} s of each restart"
    )
    # A run that never saw the database down, or wrote nothing, proved nothing.
    vacuous = [
        name
        for name in ("answered_503", "diary_writes_acknowledged", "session_writes_acknowledged")
        if not figures[name]
    ]
    problems = figures["problems"] + [f"{name} is 0: the drill proved nothing" for name in vacuous]
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
