"""Helpers shared by trustpath's benchmarks: timing, stores to run on, output.

    rate(step, count, ...)      ops/s of `step` called `count` times: warm-up, repeats, median
    interleaved_rates(steps, n) ops/s of several steps run round-robin in small chunks, so
                                that the shared machine's noise hits them alike
    temp_sqlite(dir, name)      the URL of a fresh SQLite file under a directory
    throwaway_postgres()        a private PostgreSQL server for the run (ops.pgserver),
                                yielding a `PostgresServer` that hands out fresh databases
    Result / print_json         one flat dict of figures; `--json` prints it as one object

Measurements are wall-clock (`time.perf_counter`) on a shared 2-core machine: take the
median of several repetitions after a warm-up, and compare figures measured in the same
run, never across runs.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops import pgserver

Step = Callable[[int], object]
"""One operation of a benchmark; receives its running index (0, 1, 2, ...)."""


@dataclass
class Timing:
    """Rates of one measured operation: the median and every repetition (ops/s)."""

    median: float
    runs: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"median": round(self.median, 1), "runs": [round(r, 1) for r in self.runs]}


class Counter:
    """A running index shared by warm-up and repetitions, so no operation repeats an id."""

    def __init__(self) -> None:
        self.next = 0

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def timed_run(step: Step, count: int, counter: Counter) -> float:
    """Operations per second of `count` consecutive calls of `step`."""
    start = time.perf_counter()
    for _ in range(count):
        step(counter.take())
    return count / (time.perf_counter() - start)


def interleaved_rates(
    steps: list[tuple[Step, Counter]], count: int, chunk: int = 25
) -> list[float]:
    """Ops/s of each step over `count` calls, run round-robin in chunks of `chunk` calls.

    A burst of load from another process then slows every step alike, instead of
    whichever one happened to be running: ratios between the steps stay meaningful.
    """
    spent = [0.0] * len(steps)
    done = 0
    while done < count:
        size = min(chunk, count - done)
        for index, (step, counter) in enumerate(steps):
            spent[index] += size / timed_run(step, size, counter)
        done += size
    return [count / seconds for seconds in spent]


def rate(
    step: Step, count: int, *, repeats: int = 5, warmup: int = 0, counter: Counter | None = None
) -> Timing:
    """The median rate of `repeats` runs of `count` calls, after `warmup` untimed calls."""
    counter = counter or Counter()
    for _ in range(warmup):
        step(counter.take())
    runs = [timed_run(step, count, counter) for _ in range(repeats)]
    return Timing(statistics.median(runs), runs)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def temp_sqlite(directory: Path, name: str) -> str:
    """A `sqlite:///` URL of a new file under `directory` (which the caller removes)."""
    return f"sqlite:///{directory / f'{name}-{uuid.uuid4().hex[:8]}.db'}"


@contextmanager
def temp_directory(prefix: str = "trustpath-bench-") -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as name:
        yield Path(name)


@dataclass
class PostgresServer:
    """A throwaway server started for this run; `database()` gives a fresh, empty one."""

    url: str
    created: list[str] = field(default_factory=list)

    def database(self, name: str) -> str:
        full = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        self.created.append(full)
        return pgserver.create_database(self.url, full)


@contextmanager
def throwaway_postgres(say: Callable[[str], None] | None = None) -> Iterator[PostgresServer]:
    """Start a private PostgreSQL server (durability off, 127.0.0.1), stop it at the end."""
    directory = Path(tempfile.mkdtemp(prefix="trustpath-bench-pg-"))
    if say:
        say("starting a throwaway PostgreSQL server ...")
    try:
        yield PostgresServer(pgserver.start(directory))
    finally:
        pgserver.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


def say_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def print_json(figures: dict[str, Any]) -> None:
    print(json.dumps(figures, indent=2, sort_keys=False))
