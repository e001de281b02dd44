"""The one catch-up runner that every projection (status, ledgers, timeline, audit) uses.

    notification log ──select_notifications(pos, page)──▶ [Item(notification, event)]
          │                                                   │ one transaction per page:
          │                                                   │  1. CAS the position row
          │                                                   │  2. projection.apply(conn, page)
          ▼                                                   ▼
    trustpath_projection_positions (name, suffix, version, position, updated_at, live)

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

What a projection is (`Projection`, `Item`, `Target`): projections/protocol.py; the
position rows: projections/positions.py; a page of the log: projections/pages.py; the
errors (`ReadSideError` and its kinds): projections/errors.py.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from eventsourcing.application import Application
from sqlalchemy.engine import Connection, Engine

from projections import failures
from projections.errors import (
    STORE_ERRORS,
    PositionConflictError,
    ProjectionFailedError,
    unavailable,
)
from projections.pages import Page, fetch_page
from projections.parts import Part
from projections.positions import now, parts, positions, read_positions
from projections.protocol import Item, Target

DEFAULT_PAGE_SIZE = 2000
SIDE_BY_SIDE_MIN = 1000
"""Pages of at least this many events are applied to several targets in parallel threads."""
Progress = Callable[[int], None]


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
                page = page or fetch_page(self.app, self.page_size, start, stop, decode, part)
                if page.end <= start:
                    break
                ahead = None
                if len(page.notifications) == self.page_size:
                    ahead = (
                        page.end,
                        pool.submit(
                            fetch_page, self.app, self.page_size, page.end, stop, decode, part
                        ),
                    )
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
