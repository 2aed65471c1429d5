"""`make run` is alive (issue 17.8): `cephalog devserver` runs the web server, the task
worker and the sweeps, so the demo's red-flag alert and its patients' reminders are
emailed (to the console) without anyone starting anything else."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reminders_go_out_now() -> bool:
    """The session reminder goes out in the patient's daytime (09:00-20:00 London):
    this hour in UTC is close enough to decide whether to expect it."""
    return 9 <= time.gmtime().tm_hour < 19


def test_make_run_sends_the_demos_alert_and_reminders(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "CEPHALOG_TESTING": "false",
        "CEPHALOG_DEV": "1",
        "CEPHALOG_DATA_DIR": str(tmp_path),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "EMAIL_BACKEND": "console",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    # `make run` on a fresh machine: its own SQLite in the data directory, whatever
    # database the suite itself runs on (CI's PostgreSQL run sets DATABASE_URL).
    env.pop("DATABASE_URL", None)
    env.pop("DATABASE_REPLICA_URL", None)
    cli = [sys.executable, "-m", "cephalog.cli"]
    # `make run` migrates first: a copy of an empty database the migrations made, as the
    # suite's own was (tests/conftest.py migrated_sqlite), instead of a migrate of its own.
    shutil.copyfile(migrated_sqlite, tmp_path / "cephalog.sqlite3")
    subprocess.run(
        [*cli, "demo", "--patients", "8", "--seed", "1"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    out = tmp_path / "devserver.out"
    with out.open("w") as sink:
        server = subprocess.Popen(
            [*cli, "devserver", f"127.0.0.1:{port}", "--sweep-every", "1", "--noreload"],
            env=env,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            healthy = False
            daytime = _reminders_go_out_now()
            while time.monotonic() < deadline:
                text = out.read_text()
                if not healthy:
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                        healthy = True
                    except OSError:
                        pass
                # Outside the patient's daytime no reminder is due: waiting for one
                # would only run the clock to the deadline.
                daytime = _reminders_go_out_now()
                reminded = "Subject: Reminder" in text or not daytime
                if healthy and "Subject: RED FLAG" in text and reminded:
                    break
                time.sleep(0.5)
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=20)
    text = out.read_text()
    assert healthy, text[-2000:]
    assert "Subject: RED FLAG safety alert" in text, text[-2000:]
    # The session reminder of the patient due this week goes out through the worker,
    # in the patient's daytime (the hour the wait above last looked at).
    if daytime:
        assert "Subject: Reminder: your treatment session" in text, text[-2000:]
