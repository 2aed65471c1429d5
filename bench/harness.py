"""The benchmark harness behind `make bench` (figures, not tests).

Each area is a module in `bench/` with `run(suite: Suite) -> None`. `bench/run.py`
runs every area in its own process (a fresh database each, peak RSS per area),
collects the figures and writes the report: a JSON file and the Markdown in
`docs/performance.md`.

A figure is measured several times; the report gives the median and the spread
(min-max). Every headline figure has a goal and, where the issue asks for one, a
ratio to a naive reference implementation run side by side in the same process.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import resource
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "µs": 1e-6}


@dataclass
class Figure:
    """One measured quantity: its samples, goal and how to read it."""

    key: str  # "analytics.numpy_11m", unique in the report
    title: str  # "Cohort table, 11M diary-days, in memory (NumPy)"
    unit: str  # "s", "ms", "rows/s", "req/s", "KB", "MB", "x"
    samples: list[float]
    better: str = "lower"  # "lower" or "higher"
    goal: float | None = None  # met when the median is <= goal (lower) or >= goal (higher)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        return self.median <= self.goal if self.better == "lower" else self.median >= self.goal

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "median": self.median,
            "low": self.low,
            "high": self.high,
            "met": self.met,
        }


@dataclass
class Suite:
    """What an area module gets: sizes, repetitions, and where figures go."""

    quick: bool = False
    runs: int = 5
    figures: list[Figure] = field(default_factory=list)
    area: str = ""

    def size(self, full: int, quick: int) -> int:
        """`full` for the report, `quick` for `make bench QUICK=1` (a smoke run)."""
        return quick if self.quick else full

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        _print(figure)
        return figure

    def time(
        self,
        key: str,
        title: str,
        fn: Callable[[], Any],
        *,
        runs: int | None = None,
        warmup: int = 1,
        goal: float | None = None,
        unit: str = "s",
        note: str = "",
        setup: Callable[[], Any] | None = None,
    ) -> Figure:
        """Time `fn` `runs` times after `warmup` untimed calls (`setup` before each call)."""
        seconds = self._seconds(fn, runs or self.runs, warmup, setup)
        samples = [t / TIME_UNITS[unit] for t in seconds]
        return self.add(Figure(key, title, unit, samples, "lower", goal, note))

    def rate(
        self,
        key: str,
        title: str,
        fn: Callable[[], Any],
        count: int,
        *,
        unit: str = "rows/s",
        runs: int | None = None,
        warmup: int = 0,
        goal: float | None = None,
        note: str = "",
        setup: Callable[[], Any] | None = None,
    ) -> Figure:
        """Throughput: `count` items per call of `fn`, `runs` times."""
        seconds = self._seconds(fn, runs or self.runs, warmup, setup)
        return self.add(
            Figure(key, title, unit, [count / t for t in seconds], "higher", goal, note)
        )

    @staticmethod
    def _seconds(
        fn: Callable[[], Any], runs: int, warmup: int, setup: Callable[[], Any] | None
    ) -> list[float]:
        """Wall seconds of `runs` calls of `fn` after `warmup` untimed ones (`setup` before each)."""
        seconds = []
        for i in range(warmup + runs):
            if setup is not None:
                setup()
            gc.collect()
            started = time.perf_counter()
            fn()
            if i >= warmup:
                seconds.append(time.perf_counter() - started)
        return seconds

    def ratio(
        self,
        key: str,
        title: str,
        ours: Figure,
        reference: Figure,
        *,
        goal: float | None = None,
        note: str = "",
    ) -> Figure:
        """How many times better `ours` is than `reference` (both lower- or higher-is-better)."""
        if ours.better != reference.better:
            raise ValueError(f"{ours.key} and {reference.key} are not comparable")
        if ours.better == "lower":
            samples = [reference.median / s for s in ours.samples]
        else:
            samples = [s / reference.median for s in ours.samples]
        return self.add(Figure(key, title, "x", samples, "higher", goal, note))


def _print(f: Figure) -> None:
    met = {None: "", True: "  goal met", False: "  GOAL MISSED"}[f.met]
    goal = (
        f" (goal {'<=' if f.better == 'lower' else '>='} {fmt(f.goal)} {f.unit})"
        if f.goal is not None
        else ""
    )
    print(
        f"  {f.title}: {fmt(f.median)} {f.unit} [{fmt(f.low)}-{fmt(f.high)}, n={len(f.samples)}]"
        f"{goal}{met}",
        flush=True,
    )


def fmt(value: float | None) -> str:
    if value is None:
        return ""
    magnitude = abs(value)
    if magnitude >= 100_000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- databases ------------------------------------------------------------------------------

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def setup_django(database: str = "postgres", *, production: bool = False) -> str:
    """Point Django at a fresh database (`postgres` or `sqlite`), migrate, return its URL.

    PostgreSQL: a new database `cephalog_bench_<id>` on BENCH_PG_URL's server,
    dropped when the process exits. SQLite: a new file in a temporary folder.
    `production=True` turns DEBUG off and keeps connections open (CONN_MAX_AGE).
    """
    import tempfile

    data_dir = tempfile.mkdtemp(prefix="cephalog-bench-")
    os.environ["CEPHALOG_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cephalog.settings")
    os.environ["DEBUG"] = "0"
    if production:
        os.environ.setdefault("CONN_MAX_AGE", "600")
    if database == "postgres":
        url = create_pg_database()
    elif database == "sqlite":
        url = f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}"
    else:
        raise ValueError(database)
    os.environ["DATABASE_URL"] = url
    for path in (str(ROOT / "src"), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return url


def create_pg_database() -> str:
    """A fresh, empty PostgreSQL database, dropped at exit; its URL."""
    import psycopg

    name = f"cephalog_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    # a benchmark stopped with SIGTERM (timeout, kill) still drops its database
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def write_figures(suite: Suite, path: Path) -> None:
    path.write_text(json.dumps([f.as_dict() for f in suite.figures], indent=1))
