"""Where the benchmark server's processes spend the interpreter's time, under load.

    .venv/bin/python -m bench.profile_server [--seconds 10] [--top 40] [scenario ...]

Starts the server of `make bench ONLY=latency` (bench/latency.py: the same clinic,
gunicorn configuration, logins and wrk scenarios: read, save, mixed, base_read,
base_write, bare), and for each scenario samples every gunicorn process with py-spy
while wrk drives it. py-spy runs with `--gil`: only the thread holding the interpreter
lock is sampled, so a frame's share is its share of the Python CPU time of the
processes (waiting for PostgreSQL or Redis, or for the lock, is not counted). Prints,
per scenario, milliseconds per answered request spent in each function (inclusive and
self). Not a figure (py-spy adds its own load): a tool to see where a request's time
goes before changing it, as in the sixth round of bench/notes.md.

Needs py-spy on PATH (`pip install py-spy`; it reads other processes' memory, so it runs
as root or with ptrace allowed). Not a project dependency.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import latency
from bench.harness import setup_django

RATE = 200  # samples a second per process
FRAME = re.compile(r"(?P<name>.*?) \((?P<file>.*?):\d+\)")


def _short(frame: str) -> str:
    match = FRAME.fullmatch(frame)
    if match is None:
        return frame
    where = match["file"].split("site-packages/")[-1].split("/src/")[-1]
    return f"{match['name']} ({where})"


def tally(files: list[Path]) -> tuple[Counter[str], Counter[str], int]:
    """Samples per function from py-spy's raw output: inclusive, self, and in all."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for file in files:
        for line in file.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack:
                continue
            n = int(count)
            names = [_short(frame) for frame in stack.split(";")]
            total += n
            for name in set(names):
                inclusive[name] += n
            own[names[-1]] += n
    return inclusive, own, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["read", "base_read", "bare"])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    spy = shutil.which("py-spy")
    if spy is None:
        sys.exit("py-spy is not on PATH: pip install py-spy")
    if shutil.which("wrk") is None:
        sys.exit(latency.WRK_MISSING)
    unknown = set(args.scenarios) - set(latency.SCENARIOS) - set(latency.BASELINES)
    if unknown:
        sys.exit(f"unknown scenario: {', '.join(sorted(unknown))}")

    os.environ["SECRET_KEY"] = "bench-" + os.urandom(24).hex()
    setup_django("postgres", production=True)
    usernames, dates, password = latency.make_clinic(64)
    latency.make_baseline_table()
    work = Path(tempfile.mkdtemp(prefix="cephalog-profile-"))
    port = latency.free_port()
    env = latency.server_env(port, work / "static")
    latency.collectstatic(env)
    with latency.gunicorn(port, env, work / "gunicorn.log") as server:
        logins = [latency.log_in(port, usernames[0], password)]
        logins += [latency.log_in_directly(u) for u in usernames[1:]]
        sessions = work / "sessions.txt"
        sessions.write_text("".join(f"{x.sessionid} {x.csrftoken}\n" for x in logins))
        for scenario in args.scenarios:
            latency.run_wrk(port, sessions, scenario, dates, 2, latency.MAX_REQUESTS)  # warm-up
            pids = latency.server_pids(server.pid)
            files = [work / f"{scenario}.{pid}.txt" for pid in pids]
            samplers = [
                subprocess.Popen(
                    [spy, "record", "--pid", str(pid), "--format", "raw", "--gil"]
                    + ["--nonblocking", "--rate", str(RATE), "-d", str(args.seconds)]
                    + ["-o", str(file)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for pid, file in zip(pids, files, strict=True)
            ]
            result = latency.run_wrk(
                port, sessions, scenario, dates, args.seconds, latency.MAX_REQUESTS
            )
            for sampler in samplers:
                sampler.wait()
            inclusive, own, total = tally([f for f in files if f.exists()])
            per_request = 1000 / RATE / max(1, result.requests)
            print(
                f"\n== {scenario}: {result.rate:.0f} requests/s under py-spy, "
                f"{total * per_request:.3f} ms of interpreter time per request"
            )
            print("-- inclusive, ms per request")
            for name, n in inclusive.most_common(args.top):
                print(f"{n * per_request:8.3f}  {name}")
            print("-- self, ms per request")
            for name, n in own.most_common(args.top // 2):
                print(f"{n * per_request:8.3f}  {name}")


if __name__ == "__main__":
    main()
