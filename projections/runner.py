"""The one catch-up runner that every projection (status, ledgers, timeline, audit) uses.

    notification log ──select_notifications(pos, page)──▶ [Item(notification, event)]
          │                                                   │ one transaction per page:
          │                                                   │  1. CAS the position row
          │                                                   │  2. projection.apply(conn, page)
          ▼                                                   ▼
    trustpath_projection_positions (name, suffix, version, position, updated_at, live)

A projection is any object with the `Projection` protocol: a stable `name`, a code
`version` (bump it and the read side rebuilds the projection beside the live one), whether
it needs decoded domain events, `define` (its SQLAlchemy Core tables, every name carrying
the suffix so that a new version is built beside the live one), and `apply` (fold one page
into its tables, inside the runner's transaction).

Speed (a rebuild is a catch-up from 0 in big pages): each page is read and decoded once
for every target, the next page by a helper thread while this one is applied; on
PostgreSQL a big page is applied to the targets side by side, one thread and one
transaction each, so that one target's rows are built while the server writes another's.

A target may also be one part of a version built by parts (projections/parts.py): the
runner then reads only that part's events, up to a stop, and moves that part's own
position row; everything else below holds for it alike.

Exactly once: the runner first moves the position with a compare-and-set
(`UPDATE ... SET position = new WHERE position = old`), which also takes the row's lock,
then applies the page, then commits. A racing runner's CAS matches no row (after waiting
for the first to commit) and its transaction is rolled back: a duplicate page changes
nothing. An exception while applying rolls back the position with the views; the runner
raises `ProjectionFailedError` and the next catch-up retries the same page: a poison
event is never skipped. For live projections a failed page is then applied event by
event, so the events before the poison one are applied and the failure names its position
(a failure that passes on this second try is reported all the same; a version being built
keeps all-or-nothing pages and names the page's first position). Every failure is recorded
(projections/failures.py) for `projections status` and `/health/ready`.

    ReadSideError
    ├── ProjectionFailedError     applying a page failed; nothing of it was written
    ├── PositionConflictError     another runner moved the position first (retried inside)
    ├── ProjectionNotFoundError   no projection of that name
    ├── ProjectionNotReadyError   the projection has no live version yet
    ├── PositionBeyondLogError    a position past the end of the notification log
    ├── ReadSideTimeoutError      a read-your-writes wait did not see the position in time
    └── ReadSideUnavailableError  the database does not answer (an outage): nothing was
                                  applied, the next catch-up resumes where this one stopped
"""

from __future__ import annotations

import bisect
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple, Protocol, runtime_checkable

import psycopg
import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.persistence import InterfaceError, Notification, OperationalError
from sqlalchemy.engine import Connection, Engine

from projections import failures
from projections.parts import Part, select_part

POSITIONS = "trustpath_projection_positions"
PARTS = "trustpath_projection_parts"
DEFAULT_PAGE_SIZE = 2000
SIDE_BY_SIDE_MIN = 1000
"""Pages of at least this many events are applied to several targets in parallel threads."""

STORE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
"""What the library, SQLAlchemy and psycopg raise when the database cannot be reached, went
away mid-way or refused for lack of resources: the read side waits and tries again."""

positions_metadata = sa.MetaData()
positions = sa.Table(
    POSITIONS,
    positions_metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("suffix", sa.String(32), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("live", sa.Boolean, nullable=False),
    sa.Column("retired", sa.Boolean, nullable=False, default=False),
)
"""One row per built version: the live one, one being built, retired ones kept for readers."""
parts = sa.Table(
    PARTS,
    positions_metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("suffix", sa.String(32), primary_key=True),
    sa.Column("part", sa.Integer, primary_key=True),
    sa.Column("parts", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
"""One row per part of a version being built by parts (projections/parts.py); the version
itself has no row in `positions` until its parts are merged."""


class ReadSideError(Exception):
    """Something on the read side went wrong; the message says what."""


class ProjectionFailedError(ReadSideError):
    """Applying a page failed; the view and its position are as they were before it."""

    def __init__(self, message: str, *, position: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.position = position
        """The first position of what failed (the failing event's, once isolated)."""
        self.reason = reason or message
        """The cause's type and short message, without event data (projections.failures)."""


class PositionConflictError(ReadSideError):
    """Another runner advanced this projection first; the page was not applied twice."""


class ProjectionNotFoundError(ReadSideError):
    """No projection has that name."""


class ProjectionNotReadyError(ReadSideError):
    """The projection has no live version yet (it is being built)."""


class PositionBeyondLogError(ReadSideError):
    """A position was asked for that is past the end of the notification log."""


class ReadSideTimeoutError(ReadSideError):
    """The projections did not reach the asked position before the timeout."""


class ReadSideUnavailableError(ReadSideError):
    """The database does not answer; the read side catches up once it does."""


def unavailable(error: Exception) -> ReadSideUnavailableError:
    """The read side's error for a store error (its first line, no internals)."""
    first = (str(error).strip().splitlines() or [""])[0][:200]
    return ReadSideUnavailableError(
        f"the database does not answer ({type(error).__name__}: {first})"
    )


class Item(NamedTuple):
    """One stored event as a projection receives it (a tuple: cheap to make by the million)."""

    notification: Notification
    event: Any
    """The decoded domain event, or None for projections with `needs_events = False`."""


@runtime_checkable
class Projection(Protocol):
    """A read model built from the notification log."""

    name: str
    version: int
    needs_events: bool

    def define(self, metadata: sa.MetaData, suffix: str) -> None:
        """Declare this projection's tables for one built version (names carry `suffix`)."""

    def apply(self, conn: Connection, page: Sequence[Item]) -> None:
        """Fold one page of items into the tables of the version being applied.

        The runner sets `conn.info["suffix"]` to that version's suffix and
        `conn.info["from"]` to the position the page starts after (the position this
        transaction moved from, under the position row's lock).
        """


@dataclass(frozen=True)
class Target:
    """One built version of a projection: the projection and its table suffix."""

    projection: Projection
    suffix: str
    part: Part | None = None
    """Set while a version is built by parts: this target folds that part of the log."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.projection.name, self.suffix)

    @property
    def position_key(self) -> tuple[str, str, int]:
        """Which position row this target moves (a part's own row, or the version's)."""
        return (self.projection.name, self.suffix, -1 if self.part is None else self.part.index)


Progress = Callable[[int], None]


@dataclass(frozen=True)
class Page:
    """One page of the log: decoded items (or why decoding failed); bare items on demand."""

    notifications: Sequence[Notification]
    decoded: list[Item] | None
    error: ProjectionFailedError | None
    end: int
    """The position the page moves its targets to: its last event's, or, for a part's
    last page (shorter than a page), the stop: nothing of the part is left before it."""

    @cached_property
    def bare(self) -> list[Item]:
        return [Item(n, None) for n in self.notifications]

    def items_for(self, projection: Projection) -> list[Item]:
        if not projection.needs_events:
            return self.bare
        if self.decoded is None:
            raise self.error or ProjectionFailedError("page was not decoded")
        return self.decoded


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector's automatic runs (reference counting goes on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def now() -> datetime:
    return datetime.now(UTC)


def read_positions(conn: Connection, targets: Iterable[Target]) -> dict[tuple[str, str, int], int]:
    """Current position of each target (0 when it has no row yet)."""
    targets = list(targets)
    rows = conn.execute(sa.select(positions.c.name, positions.c.suffix, positions.c.position))
    found = {(r.name, r.suffix, -1): int(r.position) for r in rows}
    if any(t.part is not None for t in targets):
        rows = conn.execute(sa.select(parts.c.name, parts.c.suffix, parts.c.part, parts.c.position))
        found.update({(r.name, r.suffix, int(r.part)): int(r.position) for r in rows})
    return {t.position_key: found.get(t.position_key, 0) for t in targets}


def insert_position(conn: Connection, target: Target, live: bool, position: int = 0) -> None:
    """Start tracking a built version of a projection (a new one: at position 0)."""
    conn.execute(
        positions.insert().values(
            name=target.projection.name,
            suffix=target.suffix,
            version=target.projection.version,
            position=position,
            updated_at=now(),
            live=live,
            retired=False,
        )
    )


class Runner:
    """Catches targets up with the notification log, page by page, exactly once."""

    def __init__(
        self, app: Application[Any], engine: Engine, page_size: int = DEFAULT_PAGE_SIZE
    ) -> None:
        self.app = app
        self.engine = engine
        self.page_size = page_size

    def catch_up(
        self,
        targets: Sequence[Target],
        stop: int | None = None,
        progress: Progress | None = None,
        *,
        isolate: bool = False,
    ) -> int:
        """Apply every page after each target's position (up to `stop`); returns events read.

        With `isolate` (live projections), a failed page is applied again event by event up
        to the failing event, so that the failure names it (see the module docstring); a
        version being built keeps all-or-nothing pages.

        While a full page is being applied, the next one is read and decoded by a helper
        thread (the database works meanwhile, so the two overlap); it is used only if every
        target then stands where that page begins. On PostgreSQL a big page is applied to
        the targets side by side (one transaction each, in threads): one target's rows are
        built while the server writes another's.
        """
        read, failures = 0, []
        targets = list(targets)
        part = _one_part(targets, stop)
        decode = any(t.projection.needs_events for t in targets)
        with (
            ThreadPoolExecutor(1, thread_name_prefix="prefetch") as pool,
            ThreadPoolExecutor(max(len(targets), 1), thread_name_prefix="apply") as appliers,
        ):
            ahead: tuple[int, Future[Page]] | None = None
            while targets:
                with self.engine.connect() as conn:
                    at = read_positions(conn, targets)
                start = min(at.values())
                if stop is not None and start >= stop:
                    break
                page = ahead[1].result() if ahead and ahead[0] == start else None
                page = page or self.fetch(start, stop, decode, part)
                if page.end <= start:
                    break
                ahead = None
                if len(page.notifications) == self.page_size:
                    ahead = (page.end, pool.submit(self.fetch, page.end, stop, decode, part))
                side_by_side = appliers if self._side_by_side(targets, page) else None
                applied = self._apply_page(targets, at, page, side_by_side, isolate)
                for target, failed in applied:
                    failures.append(failed)
                    targets.remove(target)
                read += len(page.notifications)
                if progress is not None:
                    progress(page.end)
        if failures:
            raise failures[0]
        return read

    def _side_by_side(self, targets: Sequence[Target], page: Page) -> bool:
        """Whether to apply this page to the targets in parallel threads.

        Only on PostgreSQL (SQLite has one writer at a time) and only for big pages (a
        command's few events are applied faster in one thread than handed to several).
        """
        big = len(page.notifications) >= SIDE_BY_SIDE_MIN
        return big and len(targets) > 1 and self.engine.dialect.name == "postgresql"

    def fetch(self, start: int, stop: int | None, decode: bool, part: Part | None = None) -> Page:
        """The page after `start`, decoded if asked (a decoding failure is kept, not raised).

        For a part (read up to a stop), only that part's events; its last page moves to the stop.
        """
        if part is None or stop is None:
            notifications = self.app.recorder.select_notifications(
                start, self.page_size, stop=stop, inclusive_of_start=False
            )
            end = notifications[-1].id if notifications else start
        else:
            notifications = select_part(self.app.recorder, start, self.page_size, stop, part)
            end = notifications[-1].id if len(notifications) == self.page_size else stop
        if not decode:
            return Page(notifications, None, None, end)
        try:
            return Page(notifications, self._decoded(notifications), None, end)
        except ProjectionFailedError as error:
            return Page(notifications, None, error, end)

    def _apply_page(
        self,
        targets: Sequence[Target],
        at: dict[tuple[str, str, int], int],
        page: Page,
        pool: ThreadPoolExecutor | None = None,
        isolate: bool = False,
    ) -> list[tuple[Target, ProjectionFailedError]]:
        """Apply the page to every target; a failing target is reported, the others go on."""
        ids = [n.id for n in page.notifications]
        work = []
        for target in targets:
            if at[target.position_key] < page.end:
                work.append((target, bisect.bisect_right(ids, at[target.position_key])))

        def one(target: Target, start: int) -> ProjectionFailedError | None:
            items: list[Item] = []
            try:
                items = page.items_for(target.projection)[start:] if start < len(ids) else []
                self.apply(target, at[target.position_key], items, page.end)
            except PositionConflictError:
                pass  # another runner applied it; the next round re-reads positions
            except ProjectionFailedError as error:
                if isolate and target.part is None and len(items) > 1:
                    return self._isolate(target, at[target.position_key], items) or error
                return error
            return None

        if pool is None:
            outcomes = [one(target, start) for target, start in work]
        else:
            futures = [pool.submit(one, target, start) for target, start in work]
            outcomes = [future.result() for future in futures]
        failed = [
            (target, error)
            for (target, _), error in zip(work, outcomes, strict=True)
            if error is not None
        ]
        for target, error in failed:
            name, suffix = target.key
            failures.record(self.engine, name, suffix, error.position, error.reason)
        return failed

    def _isolate(
        self, target: Target, expected: int, items: Sequence[Item]
    ) -> ProjectionFailedError | None:
        """Apply a failed page event by event: those before the failing one are applied,
        and the failure names that event's position. None if no event fails this time (a
        passing failure, e.g. a lost connection): the page's first failure is reported."""
        for item in items:
            try:
                self.apply(target, expected, [item])
            except PositionConflictError:
                return None  # another runner moved on; the next round re-reads positions
            except ProjectionFailedError as error:
                return error
            expected = item.notification.id
        return None

    def _decoded(self, notifications: Sequence[Notification]) -> list[Item]:
        to_event = self.app.mapper.to_domain_event
        items = []
        for n in notifications:
            try:
                items.append(Item(n, to_event(n)))
            except Exception as error:
                raise ProjectionFailedError(
                    f"cannot decode event at position {n.id} ({n.topic}): "
                    f"{type(error).__name__}; nothing applied",
                    position=n.id,
                    reason=failures.reason(error),
                ) from error
        return items

    def apply(
        self, target: Target, expected: int, items: Sequence[Item], end: int | None = None
    ) -> None:
        """Apply one page to one target: CAS the position, fold, commit — or change nothing.

        The position moves to `end` (by default the last item's); a part's last page may
        carry no item at all and still move its part to the stop.
        """
        last = items[-1].notification.id if end is None else end
        name = target.projection.name
        try:
            with self.engine.begin() as conn:
                self._compare_and_set(conn, target, expected, last)
                if not items:
                    return
                conn.info["suffix"], conn.info["from"] = target.suffix, expected
                conn.info["part"] = target.part
                try:
                    target.projection.apply(conn, items)
                finally:
                    conn.info.pop("suffix", None)
                    conn.info.pop("from", None)
                    conn.info.pop("part", None)
        except PositionConflictError:
            raise
        except STORE_ERRORS as error:
            raise unavailable(error) from error
        except Exception as error:
            first = items[0].notification.id if items else expected
            raise ProjectionFailedError(
                f"projection {name!r} failed on positions {first}..{last} "
                f"({type(error).__name__}); nothing applied, will retry",
                position=first,
                reason=failures.reason(error),
            ) from error

    def _compare_and_set(self, conn: Connection, target: Target, expected: int, new: int) -> None:
        name, suffix = target.key
        if target.part is None:
            query = positions.update().where(positions.c.position == expected)
            row = positions.c
        else:
            query = parts.update().where(parts.c.position == expected)
            query = query.where(parts.c.part == target.part.index)
            row = parts.c
        moved = conn.execute(
            query.where(row.name == name)
            .where(row.suffix == suffix)
            .values(position=new, updated_at=now())
        )
        if moved.rowcount != 1:
            where = f"{name}/{suffix}" + ("" if target.part is None else f" part {target.part}")
            raise PositionConflictError(f"{where} is no longer at {expected}")


def _one_part(targets: Sequence[Target], stop: int | None) -> Part | None:
    """The part every target folds (None: the whole log); parts are read up to a stop."""
    found = {t.part for t in targets}
    if len(found) > 1:
        raise ValueError("one catch-up folds one part of the log (or all of it)")
    part = found.pop() if found else None
    if part is not None and stop is None:
        raise ValueError("a part is folded up to a stop")
    return part
