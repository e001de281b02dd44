"""`trustpath projections status|rebuild|follow`, `trustpath timeline`, `trustpath export`.

The views they print are in `projection_views.py`. Every command exits non-zero with a
one-line reason on bad input: unknown engagement or projection, malformed time, position
beyond the log, a disclosure the audit trail would refuse.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from ops.config import Settings, build_app
from ops.projection_views import print_ledger, print_status, print_timeline
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
    from projections.export import check_disclosure, export, record_disclosure

    check_disclosure(principal, recipient, basis)  # refused before anything leaves
    with opened() as read_side:
        # the derivation root, not the current master key: pseudonyms survive a rotation
        key = read_side.app.vault.derivation_root.as_text().encode()  # type: ignore[attr-defined]
        exported = export(read_side, directory, fmt, key)
        at = record_disclosure(read_side, exported, principal, recipient, basis)
    for f in exported.manifest["files"]:
        console.print(f"{f['file']:<24} {f['rows']:>7} rows  sha256 {f['sha256'][:16]}…")
    console.print(f"as of position {exported.position}; disclosure recorded at {at}")


def register(main: click.Group) -> None:
    """Add this module's commands to the `trustpath` group."""
    for command in (projections, timeline_command, export_command):
        main.add_command(command)
