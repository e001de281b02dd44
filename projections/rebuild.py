"""Rebuild: a new version of a projection beside the live one, then an atomic switch.

    live   v1_3f2a  ◀── readers, and the live runners keep it current
    build  v1_9c1d  ◀── created empty, caught up page by page (progress), never read
    switch (one transaction, once the build reached the end of the log):
           v1_9c1d live, v1_3f2a retired (kept for readers that resolved it a moment
           ago; its tables are dropped by the next rebuild)

A projection whose code `version` changed gets the same treatment when the read side is
attached or when `trustpath projections rebuild` runs. The live table is never truncated
under readers.

While a rebuild runs, Python's cyclic garbage collector is paused (`collector_paused`):
each page keeps tens of thousands of decoded events alive just long enough for the
collector to scan them again and again (measured: a third of the rebuild's CPU; sweeping
even the young generations once per page cost ~80 ms a page), and it finds next to nothing
to free: reference counting frees the events. The collector is back when the rebuild ends.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from projections.runner import (
    Projection,
    Runner,
    Target,
    collector_paused,
    insert_position,
    positions,
)
from projections.wiring import ReadSide

__all__ = ["BIG_PAGE", "collector_paused", "rebuild", "rebuild_many"]
BIG_PAGE = 10_000
"""Events per page when building from scratch: bigger pages coalesce more rows per write."""
Progress = Callable[[int, int], None]
"""progress(position reached, end of the log when the rebuild started)."""


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
    page for all of them), then switch each one live."""
    targets = [start_build(read_side, read_side.projection(name)) for name in names]
    end = read_side.max_position()
    runner = Runner(read_side.app, read_side.engine, page_size)
    report = (lambda at: progress(at, end)) if progress else None
    with collector_paused():
        runner.catch_up(targets, progress=report)
    return [finish(read_side, target) for target in targets]


def start_build(read_side: ReadSide, projection: Projection) -> Target:
    """Drop older builds, create the new version's empty tables and its position row."""
    drop_retired(read_side, projection.name)
    target = Target(projection, f"v{projection.version}_{secrets.token_hex(3)}")
    read_side.metadata(target).create_all(read_side.engine)
    with read_side.engine.begin() as conn:
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
    stale = [r.suffix for r in read_side.rows() if r.name == name and not r.live]
    for suffix in stale:
        read_side.metadata(Target(projection, suffix)).drop_all(read_side.engine)
        with read_side.engine.begin() as conn:
            conn.execute(
                positions.delete().where(positions.c.name == name, positions.c.suffix == suffix)
            )
