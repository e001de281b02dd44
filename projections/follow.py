"""Following the log from a separate process (`trustpath projections follow`).

    loop: catch up ─▶ wait for a NOTIFY on the library's channel (PostgreSQL)
                      or for the poll interval (SQLite, and PostgreSQL as a safety net:
                      a lost notification cannot stall the follower)

A failure of a projection (a poison event) is reported and retried with a growing pause;
it never skips an event. A lost database (a restart, a network cut) ends the round: the
follower says so in its log, reconnects with a growing pause (RECONNECT_FIRST_S doubling up
to RECONNECT_MAX_S), opens a new LISTEN connection, says so, and catches up from where it
stood. `stop` ends the loop between rounds.

    round ──ReadSideUnavailableError / a lost LISTEN connection──▶ "database unreachable
      ▲                                                             (...); reconnecting in
      └──────── "database back: listening again" ◀── pause ──────── 0.5 s"
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from projections.errors import STORE_ERRORS, ReadSideError, ReadSideUnavailableError
from projections.ledger import start_ticking
from projections.read_side import ReadSide
from projections.rebuild import build_outdated

log = logging.getLogger("trustpath.projections")
POLL_S = 1.0
SQLITE_POLL_S = 0.05
MAX_BACKOFF_S = 30.0
RECONNECT_FIRST_S = 0.5
RECONNECT_MAX_S = 5.0
CONNECT_TIMEOUT_S = 2
LOST: tuple[type[Exception], ...] = (ReadSideUnavailableError, *STORE_ERRORS)

Report = Callable[[ReadSideError], None]


def _report(error: ReadSideError) -> None:
    log.error("read side: %s", error)


@contextmanager
def listening(read_side: ReadSide) -> Iterator[psycopg.Connection[Any] | None]:
    """A connection LISTENing on the library's channel (None on SQLite)."""
    recorder: Any = read_side.app.recorder
    if not isinstance(recorder, PostgresApplicationRecorder):
        yield None
        return
    url = read_side.engine.url.set(drivername="postgresql")
    conninfo = url.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(recorder.channel_name)))
        yield conn


def wait(conn: psycopg.Connection[Any] | None, stop: threading.Event, seconds: float) -> None:
    """Until a notification, `stop`, or `seconds` pass."""
    if conn is None:
        stop.wait(seconds)
        return
    for _ in conn.notifies(timeout=seconds, stop_after=1):
        pass
    if conn.closed or conn.broken:  # a restart may end the wait quietly
        raise psycopg.OperationalError("the LISTEN connection was lost")


def follow(
    read_side: ReadSide,
    stop: threading.Event,
    poll_s: float = POLL_S,
    report: Report = _report,
) -> None:
    """Keep every live projection caught up until `stop` is set, and sign the audit
    ledger's checkpoints when due (also on a quiet log: every 60 s while there is new data).
    """
    ticker = start_ticking(read_side.engine)
    try:
        _follow(read_side, stop, poll_s, report)
    finally:
        ticker.stop()


def _follow(read_side: ReadSide, stop: threading.Event, poll_s: float, report: Report) -> None:
    pause, lost = RECONNECT_FIRST_S, False
    while not stop.is_set():
        try:
            with listening(read_side) as conn:
                if lost:
                    log.warning("database back: listening again, catching up")
                    pause, lost = RECONNECT_FIRST_S, False
                _rounds(read_side, stop, conn, poll_s, report)
        except LOST as error:
            first = (str(error).strip().splitlines() or [""])[0]
            log.warning("database unreachable (%s); reconnecting in %.1f s", first, pause)
            lost = True
            stop.wait(pause)
            pause = min(pause * 2, RECONNECT_MAX_S)


def _rounds(
    read_side: ReadSide,
    stop: threading.Event,
    conn: psycopg.Connection[Any] | None,
    poll_s: float,
    report: Report,
) -> None:
    """Catch up, wait, again, until `stop`; raise when the database is lost."""
    base = poll_s if conn is not None else min(poll_s, SQLITE_POLL_S)
    pause = base
    while not stop.is_set():
        failures = build_outdated(read_side)
        try:
            read_side.catch_up()
        except ReadSideError as failed:
            failures.append(failed)
        for each in failures:
            if isinstance(each, ReadSideUnavailableError):
                raise each
            report(each)
        pause = min(pause * 2, MAX_BACKOFF_S) if failures else base
        wait(conn, stop, pause)
