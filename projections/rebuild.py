"""Rebuild: a new version of a projection beside the live one, then an atomic switch.

    live   v1_3f2a  ◀── readers, and the live runners keep it current
    build  v1_9c1d  ◀── created empty, caught up page by page (progress), never read
    switch (one transaction, once the build reached the end of the log):
           v1_9c1d live, v1_3f2a retired (kept for readers that resolved it a moment
           ago; its tables are dropped by the next rebuild)

A projection whose code `version` changed gets the same treatment when the read side is
attached, on every round of `trustpath projections follow` (`build_outdated`: the rebuild
decisions live here, not in the read side's handle) or when `trustpath projections
rebuild` runs. The live table is never truncated under readers.

On PostgreSQL, for a long log, a rebuild is shared with a helper process by parts
(projections/parts.py, projections/helper.py): this process folds the events of half the
engagements into every target, the helper the other half, each reading and decoding only
its half of the log on its own core, each part with its own position row (exactly once as
for any runner). Once every part reached the log's end as it was when the rebuild started
(a part the helper did not finish is folded here), each target gets its position row
(`merge`), is caught up here and switched live only once its rows reached the end of the
log (`finish`). Progress reports the position this process reached.

While a rebuild runs, Python's cyclic garbage collector is paused (`collector_paused`):
each page keeps tens of thousands of decoded events alive just long enough for the
collector to scan them again and again (measured: a third of the rebuild's CPU; sweeping
even the young generations once per page cost ~80 ms a page), and it finds next to nothing
to free: reference counting frees the events. The collector is back when the rebuild ends.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace

import sqlalchemy as sa

from projections.engine import schema_lock
from projections.errors import STORE_ERRORS, ProjectionFailedError, ReadSideError, unavailable
from projections.helper import PARTS, Helper, by_parts, spec_for
from projections.pages import collector_paused
from projections.parts import Part
from projections.positions import insert_position, now, parts, positions
from projections.protocol import Projection, Target
from projections.read_side import ReadSide
from projections.runner import Runner

log = logging.getLogger("trustpath.projections")
__all__ = [
    "BIG_PAGE",
    "build_outdated",
    "collector_paused",
    "ensure_live",
    "rebuild",
    "rebuild_many",
]
BIG_PAGE = 20_000
"""Events per page when building from scratch: bigger pages coalesce more rows per write
(measured when the helper built the timeline: 10k → 20k lifted 200k events from ~35k to
~39k events/s)."""
Progress = Callable[[int, int], None]
"""progress(position reached, end of the log when the rebuild started)."""


def build_outdated(read_side: ReadSide) -> list[ReadSideError]:
    """Build (or resume building) every projection whose code version is not live.

    A failure is reported (logged and returned) and left for the next call: the old
    version, if any, stays live meanwhile.
    """
    try:
        if not read_side.outdated():
            return []
        with schema_lock(read_side.engine, "read side"):  # processes starting together
            return _build_each(read_side, read_side.outdated())
    except STORE_ERRORS as error:
        return [unavailable(error)]


def _build_each(read_side: ReadSide, names: list[str]) -> list[ReadSideError]:
    failures: list[ReadSideError] = []
    for name in names:
        try:
            ensure_live(read_side, name)
        except ReadSideError as error:
            read_side.last_error = error
            failures.append(error)
            log.error("read side: building %s: %s", name, error)
    return failures


def rebuild(read_side: ReadSide, name: str, progress: Progress | None = None) -> Target:
    """Build `name` afresh beside the live version and switch to it; returns the new one."""
    return rebuild_many(read_side, [name], progress)[0]


def rebuild_many(
    read_side: ReadSide,
    names: Sequence[str],
    progress: Progress | None = None,
    page_size: int = BIG_PAGE,
) -> list[Target]:
    """Build several projections afresh in one pass over the log (one read, one decode per
    page for all of them; on PostgreSQL, for a long log, shared by parts with a helper
    process), then switch each one live."""
    projections = [read_side.projection(name) for name in names]
    end = read_side.max_position()
    shared = by_parts(read_side, projections, end)
    count = PARTS if shared else 0
    targets = [start_build(read_side, p, count if p in shared else 0) for p in projections]
    by_part = [t for t in targets if t.projection in shared]
    whole = [t for t in targets if t not in by_part]
    runner = Runner(read_side.app, read_side.engine, page_size)
    report = (lambda at: progress(at, end)) if progress else None
    helpers = [
        Helper.start(spec_for(read_side, by_part, Part(index, count), end, page_size))
        for index in range(1, count)
    ]
    try:
        with collector_paused():
            if by_part:
                runner.catch_up(_part_of(by_part, Part(0, count)), stop=end, progress=report)
            runner.catch_up(whole, progress=report)
    except BaseException:
        for helper in helpers:
            helper.stop()
        raise
    for index, helper in enumerate(helpers, start=1):
        failed = helper.wait()  # a part a helper did not finish is folded below, here
        if failed is not None:
            log.warning("rebuild: part %s: %s; folding it here", Part(index, count), failed)
    merge(read_side, runner, by_part, count, end)
    return [finish(read_side, target) for target in targets]


def _part_of(targets: Sequence[Target], part: Part) -> list[Target]:
    return [replace(t, part=part) for t in targets]


def merge(
    read_side: ReadSide, runner: Runner, targets: Sequence[Target], count: int, stop: int
) -> None:
    """Fold here what no helper finished, then give each target its position row at `stop`.

    One transaction per target, under its parts' row locks: the parts' rows go, the
    target's position row comes, at the stop every part reached.
    """
    for index in range(1, count):
        with collector_paused():
            runner.catch_up(_part_of(targets, Part(index, count)), stop=stop)
    for target in targets:
        name, suffix = target.key
        mine = (parts.c.name == name, parts.c.suffix == suffix)
        with read_side.engine.begin() as conn:
            reached = conn.execute(
                sa.select(parts.c.part, parts.c.position)
                .where(*mine)
                .order_by(parts.c.part)
                .with_for_update()
            )
            lagging = [str(Part(int(r.part), count)) for r in reached if r.position < stop]
            if lagging:
                which = ", ".join(lagging)
                raise ProjectionFailedError(
                    f"projection {name!r}: part {which} did not reach {stop}; will retry"
                )
            conn.execute(parts.delete().where(*mine))
            insert_position(conn, target, live=False, position=stop)


def start_build(read_side: ReadSide, projection: Projection, count: int = 0) -> Target:
    """Drop older builds, create the new version's empty tables and its position row (or,
    built by `count` parts, one row per part)."""
    drop_retired(read_side, projection.name)
    target = Target(projection, f"v{projection.version}_{secrets.token_hex(3)}")
    read_side.metadata(target).create_all(read_side.engine)
    with read_side.engine.begin() as conn:
        if count:
            rows = [
                {
                    "name": projection.name,
                    "suffix": target.suffix,
                    "part": index,
                    "parts": count,
                    "version": projection.version,
                    "position": 0,
                    "updated_at": now(),
                }
                for index in range(count)
            ]
            conn.execute(parts.insert(), rows)
        else:
            insert_position(conn, target, live=False)
    return target


def ensure_live(read_side: ReadSide, name: str, progress: Progress | None = None) -> Target:
    """Give `name` a live version of its code version: resume a build of it, or start one."""
    projection = read_side.projection(name)
    for row in read_side.rows():
        same = row.name == name and row.version == projection.version
        if same and not row.retired:
            return finish(read_side, Target(projection, row.suffix), progress)
    return rebuild(read_side, name, progress)


def finish(read_side: ReadSide, target: Target, progress: Progress | None = None) -> Target:
    """Catch a build up with the log and switch it live (a live one just stays live)."""
    read_side.metadata(target).create_all(read_side.engine)
    end = read_side.max_position()
    report = (lambda at: progress(at, end)) if progress else None
    while True:
        read_side.runner.catch_up([target], progress=report)
        if switch_if_caught_up(read_side, target):
            return target


def switch_if_caught_up(read_side: ReadSide, target: Target) -> bool:
    """Make `target` live if it reached the end of the log (one transaction)."""
    name, suffix = target.key
    with read_side.engine.begin() as conn:
        row = conn.execute(
            sa.select(positions.c.position)
            .where(positions.c.name == name, positions.c.suffix == suffix)
            .with_for_update()
        ).one()
        if int(row.position) < read_side.max_position():
            return False
        conn.execute(
            positions.update()
            .where(positions.c.name == name, positions.c.live)
            .values(live=False, retired=True)
        )
        conn.execute(
            positions.update()
            .where(positions.c.name == name, positions.c.suffix == suffix)
            .values(live=True)
        )
    return True


def drop_retired(read_side: ReadSide, name: str) -> None:
    """Drop the tables of retired versions and of abandoned builds of `name`."""
    projection = read_side.projection(name)
    stale = {r.suffix for r in read_side.rows() if r.name == name and not r.live}
    stale |= {r.suffix for r in read_side.part_rows() if r.name == name}
    for suffix in sorted(stale):
        read_side.metadata(Target(projection, suffix)).drop_all(read_side.engine)
        with read_side.engine.begin() as conn:
            conn.execute(
                positions.delete().where(positions.c.name == name, positions.c.suffix == suffix)
            )
            conn.execute(parts.delete().where(parts.c.name == name, parts.c.suffix == suffix))
