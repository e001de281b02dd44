"""A helper process that builds some of a rebuild's projections on the machine's other core.

    rebuild_many(status, commitment_ledger, timeline) on PostgreSQL
      this process ── reads, decodes, applies ──▶ status, commitment_ledger
      helper process ── reads, decodes, applies ──▶ timeline
      (each with its own runner: own pages, own transactions, own compare-and-set)

Python runs one thread at a time, so threads cannot share a rebuild's CPU work; a second
process can. Measured on a quiet two-core machine (200k events, pages of 10k): status here
and the two others in the helper, or status and the commitment ledger here and the
timeline there, both lift the rebuild from ~30.6k to ~35.5k events/s (the first leaves the
helper last by ~1 s, the second this process); with pages of 20k the second is best
(~39.5k/s against ~37k/s). Nothing decoded crosses between the two (shipping events
costs more than decoding them again): the helper reads the same log with its own copy of the
application's mapper (the application's class, its transcodings, its environment; no key
is needed to decode, sealed fields stay sealed) and applies its projections exactly as
the runner here would, to the versions being built. Exactly-once holds as for any two
runners; if the helper fails, the projections it was building are simply caught up here
(`finish`), and a poison event fails here too.

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

from eventsourcing.application import Application
from eventsourcing.utils import Environment

from projections.engine import make_engine
from projections.runner import Projection, ReadSideError, Runner, Target, collector_paused
from projections.wiring import ReadSide

SPLIT = 2
"""How many of the targets (the first ones) are built here; the helper builds the rest."""
SHAREABLE = frozenset({"status", "commitment_ledger", "timeline"})
"""The projections a helper may build (plain classes, made again without arguments)."""
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


def shared_out(
    read_side: ReadSide, targets: list[Target], end: int, page_size: int
) -> tuple[list[Target], str | None]:
    """Which targets to build here, and the helper's spec for the others (or None).

    A helper is worth it on PostgreSQL (SQLite has one writer at a time), for a long log,
    with more than `SPLIT` projections whose classes a fresh process can make again. The first
    `SPLIT` stay here (status, the largest, and the commitment ledger), the others (the
    timeline) go to the helper.
    """
    engine = read_side.engine
    if engine.dialect.name != "postgresql" or len(targets) <= SPLIT or end < MIN_EVENTS:
        return targets, None
    there = [t for t in targets[SPLIT:] if _shareable(t.projection)]
    here = [t for t in targets if t not in there]  # e.g. the audit ledger stays here
    if not there:
        return targets, None
    url = engine.url.render_as_string(hide_password=False)
    return here, spec_for(read_side.app, url, there, page_size)


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


def spec_for(app: Application[Any], url: str, targets: list[Target], page_size: int) -> str:
    """What the helper needs, as one JSON document (sent on its stdin, never logged)."""
    return json.dumps(
        {
            "app": class_path(app),
            "name": app.name,
            "env": dict(app.env),
            "url": url,
            "page_size": page_size,
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
        targets = []
        for projection_class, suffix in spec["targets"]:
            projection: Projection = load_class(projection_class)()
            targets.append(Target(projection, suffix))
        runner = Runner(reader, engine, int(spec["page_size"]))  # type: ignore[arg-type]
        with collector_paused():
            return runner.catch_up(targets)
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
