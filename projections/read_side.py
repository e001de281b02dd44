"""The read side's handle: what queries, the API and the commands' read-your-writes use.

A `ReadSide` holds one application's projections on one SQLAlchemy engine and their
`Runner`: it resolves a projection's live version (`view(name)`: a connection and the live
suffix, read in one transaction), catches the live versions up (`catch_up`, after every
command when attached in-process), waits for a position (`wait_for`: read-your-writes) and
tells how far behind each version is (`lag`, `failures`).

It knows the runner and the position rows, nothing else: which projections exist is the
catalogue's business (projections/catalogue.py), when a version is built or switched live is
the rebuild's (projections/rebuild.py), and `attach` (projections/wiring.py) puts the three
together.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from eventsourcing.application import Application
from sqlalchemy.engine import Connection, Engine

from projections.engine import schema_lock
from projections.errors import (
    STORE_ERRORS,
    PositionBeyondLogError,
    ProjectionNotFoundError,
    ProjectionNotReadyError,
    ReadSideError,
    ReadSideTimeoutError,
    unavailable,
)
from projections.failures import Failure, failures_metadata
from projections.failures import current as current_failures
from projections.positions import now, parts, positions, positions_metadata
from projections.protocol import Projection, Target
from projections.runner import DEFAULT_PAGE_SIZE, Runner

log = logging.getLogger("trustpath.projections")
DEFAULT_WAIT_S = 5.0


class ReadSide:
    """The projections of one application, on one SQLAlchemy engine."""

    def __init__(
        self,
        app: Application[Any],
        engine: Engine,
        projections: Sequence[Projection],
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self.app = app
        self.engine = engine
        self.projections = {p.name: p for p in projections}
        self.runner = Runner(app, engine, page_size)
        self.last_error: ReadSideError | None = None
        self._defined: dict[tuple[str, str], sa.MetaData] = {}
        self._lock = threading.RLock()
        self._in_process = False

    # -- tables -------------------------------------------------------------------------

    def projection(self, name: str) -> Projection:
        try:
            return self.projections[name]
        except KeyError:
            known = ", ".join(sorted(self.projections))
            raise ProjectionNotFoundError(f"no projection {name!r} (known: {known})") from None

    def metadata(self, target: Target) -> sa.MetaData:
        """The tables of one built version (declared once per process)."""
        with self._lock:
            if target.key not in self._defined:
                metadata = sa.MetaData()
                target.projection.define(metadata, target.suffix)
                self._defined[target.key] = metadata
            return self._defined[target.key]

    def create_positions_table(self) -> None:
        with schema_lock(self.engine, "read side"):
            positions_metadata.create_all(self.engine)
            failures_metadata.create_all(self.engine)

    # -- targets ------------------------------------------------------------------------

    def rows(self, conn: Connection | None = None) -> list[Any]:
        query = sa.select(positions).order_by(positions.c.name, positions.c.suffix)
        if conn is not None:
            return list(conn.execute(query))
        with self.engine.connect() as own:
            return list(own.execute(query))

    def part_rows(self) -> list[Any]:
        """The position rows of the parts of versions being built by parts."""
        query = sa.select(parts).order_by(parts.c.name, parts.c.suffix, parts.c.part)
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def live_targets(self) -> list[Target]:
        return [
            Target(self.projections[r.name], r.suffix)
            for r in self.rows()
            if r.live and r.name in self.projections
        ]

    def live_suffix(self, conn: Connection, name: str) -> str:
        self.projection(name)
        suffix = conn.execute(
            sa.select(positions.c.suffix).where(positions.c.name == name, positions.c.live)
        ).scalar()
        if suffix is None:
            raise ProjectionNotReadyError(f"projection {name!r} has no live version yet")
        return str(suffix)

    def outdated(self) -> list[str]:
        """Projections without a live version of their current code version."""
        live = {(r.name, r.version) for r in self.rows() if r.live}
        return [n for n, p in self.projections.items() if (n, p.version) not in live]

    # -- running ------------------------------------------------------------------------

    def catch_up(self) -> int:
        """Bring every live projection up to the end of the log (raises on failure)."""
        with self._lock:
            try:
                try:
                    read = self.runner.catch_up(self.live_targets(), isolate=True)
                except STORE_ERRORS as error:
                    raise unavailable(error) from error
            except ReadSideError as error:
                self.last_error = error
                raise
            self.last_error = None
            return read

    def catch_up_quietly(self, _position: int = 0) -> None:
        """Catch up, reporting a failure instead of raising (the next call retries)."""
        try:
            self.catch_up()
        except ReadSideError as error:
            log.error("read side: %s", error)

    def attach_in_process(self) -> None:
        """Catch up after every command, before the command returns."""
        if not self._in_process:
            self.app.on_saved.append(self.catch_up_quietly)  # type: ignore[attr-defined]
            self._in_process = True

    def detach(self) -> None:
        if self._in_process:
            self.app.on_saved.remove(self.catch_up_quietly)  # type: ignore[attr-defined]
            self._in_process = False

    # -- reading ------------------------------------------------------------------------

    @contextmanager
    def view(self, name: str) -> Iterator[tuple[Connection, str]]:
        """A connection and the live suffix of projection `name`, read in one transaction."""
        with self.engine.connect() as conn, conn.begin():
            yield conn, self.live_suffix(conn, name)

    def max_position(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def reached(self) -> int:
        """The position every live projection has reached."""
        rows = [r for r in self.rows() if r.live and r.name in self.projections]
        if len(rows) < len(self.projections):
            return 0
        return min(int(r.position) for r in rows)

    def wait_for(self, position: int, timeout: float = DEFAULT_WAIT_S) -> int:
        """Return once every projection reached `position`; raise if it does not in time."""
        if position > self.max_position():
            raise PositionBeyondLogError(
                f"position {position} is beyond the end of the log ({self.max_position()})"
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._in_process:
                self.catch_up_quietly()
            reached = self.reached()
            if reached >= position:
                return reached
            if time.monotonic() >= deadline:
                raise ReadSideTimeoutError(self._timeout_message(position, reached, timeout))
            time.sleep(0.01)

    def _timeout_message(self, position: int, reached: int, timeout: float) -> str:
        reason = f"; last error: {self.last_error}" if self.last_error else ""
        return f"projections reached {reached}, not {position}, within {timeout:g}s{reason}"

    def lag(self) -> list[tuple[Any, ...]]:
        """(name, version, suffix, state, position, lag in events, lag in seconds) per row.

        Lag in events is the distance in positions (PostgreSQL's sequence may leave gaps, so
        it is an upper bound); lag in seconds is the age of the oldest event not yet applied.
        A version being built by parts (projections/parts.py) has a row per part.
        """
        end = self.max_position()
        out: list[tuple[Any, ...]] = []
        for r in self.rows():
            state = "live" if r.live else "retired" if r.retired else "building"
            if state == "retired":
                out.append((r.name, r.version, r.suffix, state, r.position, "-", "-"))
                continue
            behind = max(end - int(r.position), 0)
            out.append((r.name, r.version, r.suffix, state, r.position, behind, self._age(r)))
        for r in self.part_rows():
            state = f"building part {r.part + 1}/{r.parts}"
            behind = max(end - int(r.position), 0)
            out.append((r.name, r.version, r.suffix, state, r.position, behind, self._age(r)))
        return out

    def failures(self) -> list[Failure]:
        """The projections stuck on an event: name, position, short reason (no content)."""
        with self.engine.connect() as conn:
            return current_failures(conn, positions)

    def _age(self, row: Any) -> float:
        pending = self.app.recorder.select_notifications(
            int(row.position), 1, inclusive_of_start=False
        )
        if not pending:
            return 0.0
        event: Any = self.app.mapper.to_domain_event(pending[0])
        age: float = (now() - event.timestamp).total_seconds()
        return round(max(age, 0.0), 3)

    def close(self) -> None:
        self.detach()
