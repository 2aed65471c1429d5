"""A throwaway cephalog site for the fuzz and fault scripts: its own data folder (and,
for the fault script, its own PostgreSQL cluster), the test personas, a gunicorn server
on a free loopback port, and logged-in HTTP sessions for each persona.

Never touches the developer's database or a shared PostgreSQL server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

#: persona -> username (tests/personas.py); anonymous has none.
LOGINS = {
    "anonymous": None,
    "patient": "ada",
    "other_patient": "brook",
    "nurse": "nurse-joy",
    "physician": "dr-house",
    "clinic_admin": "admin-ann",
    "other_clinic_physician": "dr-other",
}


class Postgres:
    """A throwaway PostgreSQL cluster under /tmp on its own port (never the shared server).

    Run as root, the server runs as the `postgres` user, as Debian's packages expect.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cephalog-pg-"))
        self.data = self.dir / "data"
        self.bin = self._bin()
        _become_subreaper()

    @staticmethod
    def _bin() -> Path:
        found = shutil.which("initdb")
        if found:
            return Path(found).resolve().parent
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not versions:
            raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
        return versions[-1].parent

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/cephalog"

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "cephalog")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=60 -c recovery_init_sync_method=syncfs"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def postmaster_pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend: a crash, not a shutdown."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        children = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        for target in [pid, *map(int, children)]:
            with suppress(ProcessLookupError):
                os.kill(target, signal.SIGKILL)
        for target in [pid, *map(int, children)]:
            _reap(target)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def _reap(pid: int, seconds: float = 10) -> None:
    """Wait until a killed process is gone, zombie included: a restarted postmaster
    refuses to start while the old one's pid still exists."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # ours when we are the subreaper
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    raise RuntimeError(f"process {pid} did not go away after SIGKILL")


def _become_subreaper() -> None:
    """Adopt the orphaned postmaster (pg_ctl detaches it) so we can reap it at once."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


@contextmanager
def throwaway_postgres() -> Iterator[Postgres]:
    cluster = Postgres()
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def site_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "CEPHALOG_DATA_DIR": str(data_dir),
        "CEPHALOG_DEV": "true",
        "CEPHALOG_TESTING": "false",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "locmem",
        "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run_django(env: dict[str, str], code: str) -> str:
    """Run Python with Django set up against the site's database; returns its stdout."""
    prelude = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'cephalog.settings'); django.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return result.stdout


#: The TOTP key given to every staff login of the throwaway site (tests only).
TOTP_KEY = "3132333435363738393031323334353637383930"

SETUP = """
TOTP_KEY = "__TOTP_KEY__"
import datetime as dt
from tests.personas import make_cast
from cephalog.diary.actions import save_day
from cephalog.core.time import patient_today
cast = make_cast()
today = patient_today(cast.patient)
for ago in range(5):
    save_day(patient=cast.patient, by=cast.patient_user, today=today, data={
        "date": (today - dt.timedelta(days=ago)).isoformat(), "headache_hours": ago,
        "peak_intensity": "moderate"} if ago else {"date": today.isoformat(), "headache_hours": 0})
# Staff pass a TOTP second factor: give each a device with a known key (see Site.login).
from django_otp.plugins.otp_totp.models import TOTPDevice
for user in (cast.physician, cast.nurse, cast.clinic_admin, cast.other_physician):
    TOTPDevice.objects.create(user=user, name="fuzz", confirmed=True, key=TOTP_KEY)
print(cast.patient.pk, cast.other_patient.pk, cast.other_clinic_patient.pk)
""".replace("__TOTP_KEY__", TOTP_KEY)


@dataclass
class Site:
    url: str
    env: dict[str, str]
    patient_ids: list[str]
    process: subprocess.Popen[bytes]
    log: Path
    sessions: dict[str, requests.Session] = field(default_factory=dict)

    def login(self, persona: str) -> requests.Session:
        """A requests session logged in as `persona`, with the CSRF header set.

        Staff sign in once per site: a TOTP code is accepted once (django-otp refuses it
        again within its 30-second window, as it should), so a second login of the same
        person within a window would fail. Later calls share the first login's cookies
        (a new requests.Session each: they are not shared between threads)."""
        if persona in self.sessions:
            http = requests.Session()
            http.cookies.update(self.sessions[persona].cookies)
            http.headers["X-CSRFToken"] = self.sessions[persona].headers["X-CSRFToken"]
            return http
        http = requests.Session()
        http.get(f"{self.url}/accounts/login/", timeout=30)
        token = http.cookies.get("csrftoken", "")
        username = LOGINS[persona]
        if username:
            answer = http.post(
                f"{self.url}/accounts/login/",
                data={
                    "username": username,
                    "password": "correct horse battery staple",
                    "csrfmiddlewaretoken": token,
                },
                allow_redirects=False,
                timeout=30,
            )
            if answer.status_code != 302:
                raise RuntimeError(f"could not log in as {persona}: {answer.status_code}")
            if persona not in ("patient", "other_patient"):
                self._second_factor(http, persona)
        http.headers["X-CSRFToken"] = http.cookies.get("csrftoken", token)
        if username and persona not in ("patient", "other_patient"):
            self.sessions[persona] = http
        return http

    def _second_factor(self, http: requests.Session, persona: str) -> None:
        """Staff enter the code of their authenticator (the site's known test key)."""
        from django_otp.oath import totp

        code = str(totp(bytes.fromhex(TOTP_KEY))).zfill(6)
        answer = http.post(
            f"{self.url}/accounts/mfa/",
            data={"token": code, "csrfmiddlewaretoken": http.cookies.get("csrftoken", "")},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"{persona}: second factor refused ({answer.status_code})")

    def cookie_header(self, http: requests.Session) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


@contextmanager
def live_site(
    *,
    database_url: str | None = None,
    workers: int = 2,
    threads: int = 1,
    keep: bool = False,
    extra_env: dict[str, str] | None = None,
    gunicorn_args: tuple[str, ...] = (),
    migrated: Path | None = None,
) -> Iterator[Site]:
    """Migrate a fresh database, add the personas, serve it with gunicorn; stop afterwards.

    `migrated`: an empty SQLite database already at the latest migrations (the test
    suite's, tests/conftest.py migrated_sqlite) to copy in instead of migrating again."""
    data_dir = Path(tempfile.mkdtemp(prefix="cephalog-live-"))
    env = {**site_env(data_dir, database_url), **(extra_env or {})}
    if migrated is not None and database_url is None:
        shutil.copyfile(migrated, data_dir / "cephalog.sqlite3")
    else:
        subprocess.run(
            [str(BIN / "cephalog"), "migrate", "--no-input", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
    ids = run_django(env, SETUP).split()
    port = free_port()
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "cephalog.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
                f"--threads={threads}",
                "--timeout=60",
                # The fuzzer sends very long query strings: let them reach the app (a
                # production proxy has its own limit) rather than gunicorn's own 414 page.
                "--limit-request-line=0",
                "--graceful-timeout=5",
                "--log-level=warning",
                *gunicorn_args,
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    site = Site(f"http://127.0.0.1:{port}", env, ids, process, log)
    try:
        wait_for(f"{site.url}/accounts/login/")
        yield site
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
