"""The production worker class (cephalog.ops.gunicorn_worker): a process whose threads
are all busy leaves new connections to the others, and a kept-alive connection is closed
after CEPHALOG_KEEPALIVE_REQUESTS requests. Real gunicorn processes on loopback."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORKER = "cephalog.ops.gunicorn_worker.BalancedThreadWorker"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _gunicorn(worker_class: str, *, workers: int, keepalive_requests: int = 100) -> Iterator[int]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")]),
        "CEPHALOG_KEEPALIVE_REQUESTS": str(keepalive_requests),
    }
    command = [
        sys.executable, "-m", "gunicorn", "gunicorn_pid_app:app",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "1",
        "--worker-class", worker_class, "--keep-alive", "30",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        pids: set[str] = set()
        deadline = time.monotonic() + 30
        while len(pids) < workers:  # every worker up and answering
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"gunicorn did not start: {server.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                pids.add(_get(port, "/"))
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _get(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().read().decode()
    finally:
        connection.close()


def _busy_worker_trials(port: int, trials: int) -> list[tuple[str, str, float]]:
    """Each trial: one worker busy with a slow request on its only thread, then a new
    connection asks for a quick answer: (slow pid, quick pid, quick seconds)."""
    out = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for _ in range(trials):
            slow = pool.submit(_get, port, "/?sleep=0.6")
            time.sleep(0.2)  # the slow request is being served
            started = time.monotonic()
            quick = _get(port, "/")
            seconds = time.monotonic() - started
            out.append((slow.result(), quick, seconds))
    return out


def test_a_busy_worker_leaves_new_connections_to_a_free_one() -> None:
    with _gunicorn(WORKER, workers=2) as port:
        trials = _busy_worker_trials(port, 6)
    for slow_pid, quick_pid, seconds in trials:
        assert quick_pid != slow_pid, trials
        assert seconds < 0.3, trials  # not queued behind the slow request


@pytest.mark.skipif(os.environ.get("CEPHALOG_SLOW") != "1", reason="set CEPHALOG_SLOW=1")
def test_gthread_alone_queues_new_connections_behind_a_busy_thread() -> None:
    """Why the class exists: gunicorn's gthread worker accepts while busy, so some quick
    requests wait for a slow one on the same process (the assertion above fails)."""
    with _gunicorn("gthread", workers=2) as port:
        trials = _busy_worker_trials(port, 6)
    assert any(quick == slow for slow, quick, _ in trials), trials


def test_a_kept_alive_connection_is_closed_after_its_requests() -> None:
    with _gunicorn(WORKER, workers=1, keepalive_requests=3) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        answers = []
        for _ in range(3):
            connection.request("GET", "/")
            response = connection.getresponse()
            response.read()
            answers.append(response.getheader("Connection"))
        connection.close()
    assert answers[:2] == ["keep-alive", "keep-alive"]
    assert answers[2] == "close"
