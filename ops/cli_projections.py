"""`trustpath projections status|rebuild|follow`, `trustpath timeline`, `trustpath export`.

Also the terminal views of the three projections (status, ledger, timeline) that
`trustpath demo` ends with. Every command exits non-zero with a one-line reason on bad
input: unknown engagement or projection, malformed time, position beyond the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from domain.config import Settings, build_app
from ops.terminal import console, err_console, failing_cleanly_on
from projections.engine import make_engine
from projections.errors import ReadSideError
from projections.read_side import ReadSide
from projections.wiring import attach

if TYPE_CHECKING:
    from ops.demo import DemoRun

reads_cleanly = failing_cleanly_on(ReadSideError, ValueError)


@contextmanager
def opened(in_process: bool = True, build: bool = True) -> Iterator[ReadSide]:
    """The configured application with its read side attached; everything closed after."""
    settings = Settings.from_environ()
    app = build_app(settings, say=lambda m: err_console.print(m))
    engine = make_engine(settings.database_url)
    try:
        read_side = attach(app, engine, in_process=in_process, rebuild_outdated=build)
        try:
            yield read_side
        finally:
            read_side.close()
    finally:
        app.close()
        engine.dispose()


def play_demo() -> DemoRun:
    """Play the demo engagement into the configured store, the read side following it
    command by command, and print its status, ledger and timeline from the projections."""
    from ops.demo import play

    with opened() as read_side:
        with console.status("playing the demo engagement..."):
            run = play(read_side.app)  # type: ignore[arg-type]
        print_status(read_side, run.engagement_id, console)
        print_ledger(read_side, run.engagement_id, console)
        print_timeline(read_side, run.engagement_id, console)
    return run


def parse_engagement(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise ReadSideError(f"no engagement {text!r} (an engagement id is a UUID)") from None


def parse_time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ReadSideError(f"malformed time {text!r} (use e.g. 2026-03-01T12:00)") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


# -- projections group ------------------------------------------------------------------


@click.group()
def projections() -> None:
    """The read side: status, rebuild, follow."""


@projections.command("status")
@reads_cleanly
def status_command() -> None:
    """Each projection's position, its lag in events and seconds, and any failing one."""
    with opened(in_process=False, build=False) as read_side:
        table = Table(title=f"projections (log at {read_side.max_position()})")
        for column in ("projection", "version", "suffix", "state", "position", "lag", "lag s"):
            table.add_column(column)
        for row in read_side.lag():
            table.add_row(*(str(v) for v in row))
        console.print(table)
        _print_failures(read_side)


def _print_failures(read_side: ReadSide) -> None:
    """The projections stuck on an event, if any (also on /health/ready)."""
    failing = read_side.failures()
    if not failing:
        return
    table = Table(title="failing projections (stuck until the cause is fixed)")
    for column in ("projection", "suffix", "fails at", "error", "since"):
        table.add_column(column)
    for f in failing:
        since = f.failed_at.isoformat(timespec="seconds")
        table.add_row(f.name, f.suffix, str(f.position), f.error, since)
    console.print(table)


@projections.command("rebuild")
@click.argument("name", required=False)
@reads_cleanly
def rebuild_command(name: str | None) -> None:
    """Build NAME (default: all) beside the live version, then switch to it."""
    from projections.rebuild import rebuild_many

    with opened(in_process=False, build=False) as read_side:
        names = [name] if name else list(read_side.projections)
        for each in names:
            read_side.projection(each)
        with _bar() as bar:
            task = bar.add_task(", ".join(names), total=max(read_side.max_position(), 1))
            built = rebuild_many(read_side, names, lambda at, _end: bar.update(task, completed=at))
            bar.update(task, completed=bar.tasks[0].total)
        for target in built:
            console.print(f"{target.projection.name}: live version {target.suffix}")


def _log_to_stderr() -> None:
    """trustpath's own log lines (not the drivers' chatter) on stderr, with the time."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    ours = logging.getLogger("trustpath")
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False


def _bar() -> Progress:
    return Progress(
        "[bold]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


@projections.command("follow")
@click.option("--poll", default=1.0, show_default=True, help="Poll interval, seconds.")
@reads_cleanly
def follow_command(poll: float) -> None:
    """Keep the projections caught up, as a separate process, until interrupted.

    Rides out database outages: a lost database is logged on stderr, the follower
    reconnects with a growing pause, logs that it is back and catches up.
    """
    from projections.follow import follow

    _log_to_stderr()
    with opened(in_process=False) as read_side:
        stop = threading.Event()
        console.print(f"following the log from {read_side.reached()} (Ctrl-C to stop)")
        try:
            follow(read_side, stop, poll_s=poll, report=lambda e: err_console.print(str(e)))
        except KeyboardInterrupt:
            stop.set()


# -- timeline, as of --------------------------------------------------------------------


@click.command("timeline")
@click.argument("engagement")
@click.option("--as-of", "as_of_time", help="A past time, e.g. 2026-03-01T12:00 (UTC).")
@click.option("--position", type=int, help="A past position of the notification log.")
@reads_cleanly
def timeline_command(engagement: str, as_of_time: str | None, position: int | None) -> None:
    """The trust timeline of ENGAGEMENT, now or as of a past time or position."""
    from projections.asof import Moment, as_of

    eid = parse_engagement(engagement)
    moment = Moment(position, parse_time(as_of_time) if as_of_time else None)
    with (
        opened(in_process=False, build=False) as live,
        as_of(live.app, live.engine, eid, moment) as read_side,
    ):
        print_status(read_side, eid)
        print_timeline(read_side, eid)


# -- export -----------------------------------------------------------------------------


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv")
@click.option("--to", "directory", type=click.Path(path_type=Path), required=True)
@click.option("--recipient", default="report readers", show_default=True)
@click.option("--basis", default="pseudonymised aggregates (domain/README.md: report reader)")
@click.option("--by", "principal", default="practice-admin", show_default=True)
@reads_cleanly
def export_command(fmt: str, directory: Path, recipient: str, basis: str, principal: str) -> None:
    """Write the projections, pseudonymised, for report readers (with a manifest)."""
    from projections.export import export, record_disclosure

    with opened() as read_side:
        # the derivation root, not the current master key: pseudonyms survive a rotation
        key = read_side.app.vault.derivation_root.as_text().encode()  # type: ignore[attr-defined]
        exported = export(read_side, directory, fmt, key)
        at = record_disclosure(read_side, exported, principal, recipient, basis)
    for f in exported.manifest["files"]:
        console.print(f"{f['file']:<24} {f['rows']:>7} rows  sha256 {f['sha256'][:16]}…")
    console.print(f"as of position {exported.position}; disclosure recorded at {at}")


# -- terminal views ---------------------------------------------------------------------


def names_of(read_side: ReadSide, eid: UUID) -> dict[str, str]:
    from projections.status import get_status

    found = get_status(read_side, eid)
    return {p["protagonist_id"]: p["name"] for p in (found or {}).get("protagonists", [])}


def print_status(read_side: ReadSide, eid: UUID, out: Console = console) -> None:
    from projections.status import get_status

    s = get_status(read_side, eid)
    if s is None:
        raise ReadSideError(f"no engagement {eid}")
    out.print(f"[bold]{s['title']}[/bold] ({s['organisation']}) phase [bold]{s['phase']}[/bold]")
    table = Table(title="status (from the projection)")
    for column in ("protagonist", "coach", "individual sessions", "intention"):
        table.add_column(column)
    for p in s["protagonists"]:
        shared = (
            "shared" if p["intention_shared"] else "declared" if p["intention_declared"] else "-"
        )
        table.add_row(p["name"], p["coach_name"], str(p["individual_sessions"]), shared)
    out.print(table)
    per = ", ".join(f"{c} {n}" for c, n in s["relationship_sessions_per_challenge"].items())
    out.print(
        f"relationship sessions {s['relationship_sessions']}"
        + (f" ({per})" if per else "")
        + f"; setbacks "
        f"{s['presence_setbacks']}; gate {'open' if s['gate_open'] else 'closed'}; "
        f"minimums {'met' if s['minimums_met'] else 'not met'}; next: {s['next_step']}"
    )


def print_ledger(read_side: ReadSide, eid: UUID, out: Console = console) -> None:
    from projections.commitment_ledger import get_ledger

    names = names_of(read_side, eid)
    ledger = get_ledger(read_side, eid)
    table = Table(title="commitment ledger")
    for column in ("challenge", "owner(s)", "what", "due", "state", "history"):
        table.add_column(column)
    for c in ledger["commitments"]:
        owners = " + ".join(names.get(o, o) for o in c["owners"])
        state = c["state"] + (" (overdue)" if c["overdue"] else "")
        history = " → ".join(line["line"] for line in c["history"])
        table.add_row(c["challenge"], owners, c["what"], c["due_on"], state, history)
    out.print(table)
    rates = Table(title="who keeps their word")
    for column in ("protagonist", "made", "honoured", "broken", "honour rate", "on time"):
        rates.add_column(column)
    for pid, r in ledger["per_protagonist"].items():
        cells = [r["made"], r["honoured"], r["broken"], _pct(r["honour_rate"])]
        rates.add_row(names.get(pid, pid), *map(str, cells), _pct(r["on_time_rate"]))
    out.print(rates)


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def print_timeline(read_side: ReadSide, eid: UUID, out: Console = console) -> None:
    from projections.timeline import get_timeline

    names = names_of(read_side, eid)
    table = Table(title="trust timeline (score toward the other, 0-10)")
    for column in ("when", "protagonist", "toward", "challenge", "score", "moved", "around it"):
        table.add_column(column)
    for a in get_timeline(read_side, eid)["assessments"]:
        moved = "" if a["moved"] is None else f"{a['moved']:+d}"
        who, toward = names.get(a["protagonist_id"], "?"), names.get(a["toward_id"], "?")
        cells = (a["occurred_at"][:10], who, toward, a["challenge"], str(a["score"]), moved)
        table.add_row(*cells, around(a["milestones"]))
    out.print(table)


SHORT = {
    "individual_session": "individual",
    "relationship_session": "relationship",
    "presence_setback": "setback",
    "intention_declared": "intention",
    "intention_revised": "intention",
    "intention_shared": "shared",
}


def around(milestones: list[dict[str, Any]]) -> str:
    """What happened since the previous assessment, counted by kind."""
    counts: dict[str, int] = {}
    for m in milestones:
        kind = SHORT.get(m["kind"], m["kind"].removeprefix("commitment_"))
        counts[kind] = counts.get(kind, 0) + 1
    return " ".join(f"{kind} x{n}" if n > 1 else kind for kind, n in counts.items())


def register(main: click.Group) -> None:
    """Add this module's commands to the `trustpath` group."""
    for command in (projections, timeline_command, export_command):
        main.add_command(command)
