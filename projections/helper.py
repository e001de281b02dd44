"""Helper processes that fold their part of a rebuild on the machine's other cores.

    rebuild_many(status, commitment_ledger, timeline) on PostgreSQL, a long log
      this process    ── reads, decodes, applies part 1/2 ──▶ every target
      helper process  ── reads, decodes, applies part 2/2 ──▶ every target
      (each part its own runner: own pages, own transactions, own compare-and-set)

Python runs one thread at a time, so threads cannot share a rebuild's CPU work; a second
process can. The log is cut by aggregate (projections/parts.py): each process reads and
decodes only the events of its share of the engagements, and folds them into every
projection being built. Nothing decoded crosses between processes: the helper reads with
its own copy of the application's mapper (the application's class, its transcodings, its
environment; no key is needed to decode, sealed fields stay sealed) and applies the
projections exactly as the runner here would. If a helper fails, the part it was folding is
simply folded here, from where the helper left it (`rebuild.merge`), and a poison event
fails here too.

Measured on a two-core machine (ops/bench/rebuild.py, 202k events, against the bare read
of the log): one projection per process, each reading and decoding the whole log, reached
0.40; by parts, each share filtered by PostgreSQL, 0.575 (1M events in 21 s). Filtering in
Python instead (each process reading every row, decoding only its share) made the read and
decode of a share take about 30% longer than with the query's filter.

    python -m projections.helper      reads one JSON spec on stdin, writes one JSON line
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import IO, Any

from eventsourcing.utils import Environment

from projections.engine import make_engine
from projections.errors import ReadSideError
from projections.pages import collector_paused
from projections.parts import Part
from projections.protocol import Projection, Target
from projections.read_side import ReadSide
from projections.runner import Runner

PARTS = 2
"""How many parts a rebuild is cut into: this process folds the first, a helper each other
(one per core of the two-core machines trustpath is measured on)."""
SHAREABLE = frozenset({"status", "commitment_ledger", "timeline"})
"""The projections that may be built by parts: each folds every engagement on its own, and
a helper can make them again (plain classes, no arguments)."""
MIN_EVENTS = 50_000
"""Below this many events a helper process costs more (start-up, imports) than it saves."""


def class_path(obj: object) -> str:
    kind = type(obj)
    return f"{kind.__module__}:{kind.__qualname__}"


def load_class(path: str) -> Any:
    module, _, name = path.partition(":")
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


def by_parts(read_side: ReadSide, projections: list[Projection], end: int) -> list[Projection]:
    """Which of `projections` to build by parts (none: build them all here, whole).

    Parts are worth it on PostgreSQL (SQLite has one writer at a time), for a long log, for
    the projections that fold each engagement on their own and that a fresh process can
    make again; the others (the audit ledger) are built here, whole.
    """
    if read_side.engine.dialect.name != "postgresql" or end < MIN_EVENTS:
        return []
    return [p for p in projections if _shareable(p)]


def _shareable(projection: Projection) -> bool:
    """Whether the helper may build this projection: one of ours, remade exactly.

    The audit ledger is not (its checkpoint signer is configured by its factory).
    """
    return projection.name in SHAREABLE and _remakeable(projection)


def _remakeable(projection: Projection) -> bool:
    """Whether a fresh process can make this projection again: same class, no arguments."""
    try:
        found = load_class(class_path(projection))
        same = found is type(projection)
        return same and not any(
            p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            for p in inspect.signature(found).parameters.values()
        )
    except (ImportError, AttributeError, TypeError, ValueError):
        return False


def spec_for(
    read_side: ReadSide, targets: list[Target], part: Part, stop: int, page_size: int
) -> str:
    """What a helper needs to fold `part` of `targets` up to `stop`, as one JSON document
    (sent on its stdin, never logged: the database URL may carry a password)."""
    app = read_side.app
    return json.dumps(
        {
            "app": class_path(app),
            "name": app.name,
            "env": dict(app.env),
            "url": read_side.engine.url.render_as_string(hide_password=False),
            "page_size": page_size,
            "part": [part.index, part.count],
            "stop": stop,
            "targets": [[class_path(t.projection), t.suffix] for t in targets],
        }
    )


@dataclass
class Helper:
    """A running helper process."""

    process: subprocess.Popen[str]
    output: IO[str]
    """Where the helper writes its answer (a file, so that no pipe can fill up)."""

    @classmethod
    def start(cls, spec: str) -> Helper:
        output = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by wait() or stop()
        process = subprocess.Popen(
            [sys.executable, "-m", "projections.helper"],
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdin is not None
        process.stdin.write(spec)
        process.stdin.close()
        process.stdin = None
        return cls(process, output)

    def stop(self) -> None:
        """Stop the helper (its open transaction is rolled back by the server)."""
        self.process.kill()
        self.process.wait()
        self.output.close()

    def wait(self) -> str | None:
        """Wait for the helper; None when it finished, else why it did not (one line)."""
        code = self.process.wait()
        self.output.seek(0)
        lines = self.output.read().strip().splitlines()
        self.output.close()
        last = lines[-1] if lines else ""
        answer = json.loads(last) if last.startswith("{") else {"error": last[:200]}
        if code == 0 and "read" in answer:
            return None
        return str(answer.get("error") or f"exit code {code}")


class _Reader:
    """The parts of the application a runner uses: its recorder and its mapper."""

    def __init__(self, app_class: Any, name: str, env: dict[str, str]) -> None:
        shell: Any = object.__new__(app_class)
        shell.env = Environment(name, env)
        shell.factory = shell.construct_factory(shell.env)
        self.mapper = shell.construct_mapper()
        self.recorder = shell.construct_recorder()
        self._factory = shell.factory

    def close(self) -> None:
        self._factory.close()


def run(spec: dict[str, Any]) -> int:
    """Catch the spec's targets up with the log; returns the number of events read."""
    reader = _Reader(load_class(spec["app"]), spec["name"], spec["env"])
    engine = make_engine(spec["url"])
    try:
        part = Part(*spec["part"])
        targets = []
        for projection_class, suffix in spec["targets"]:
            projection: Projection = load_class(projection_class)()
            targets.append(Target(projection, suffix, part))
        runner = Runner(reader, engine, int(spec["page_size"]))  # type: ignore[arg-type]
        with collector_paused():
            return runner.catch_up(targets, stop=int(spec["stop"]))
    finally:
        engine.dispose()
        reader.close()


def main() -> int:
    try:
        read = run(json.loads(sys.stdin.read()))
    except ReadSideError as error:
        print(json.dumps({"error": str(error)}))
        return 1
    except Exception as error:  # reported in one line, never with the data
        print(json.dumps({"error": f"helper failed: {type(error).__name__}"}))
        return 1
    print(json.dumps({"read": read}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
