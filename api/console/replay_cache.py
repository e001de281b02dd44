"""Cheap replay: an engagement's status, ledger and trust timeline as of any position.

`projections.asof` replays an engagement from its first event for every question: fine for
one API read, too slow for a scrubber moved across 10,000 events. Here each engagement keeps

    positions      the log positions of its stored events (ints only: no content)
    checkpoints    every K events, the in-memory replay database serialised (SQLite's
                   `serialize`), i.e. the SAME three projections' tables at that position

and "as of p" restores the last checkpoint at or before p and applies the few events after
it (fewer than K), then asks the SAME query functions as the API. The answer is therefore
exactly `projections.asof`'s; the tests compare them at many positions.

Bounded memory: at most MAX_ENGAGEMENTS engagements (least recently used dropped), and per
engagement at most MAX_CHECKPOINTS checkpoints (when an engagement grows past that, every
other one is dropped and K doubles). New events extend the cache from its last checkpoint;
nothing is ever replayed from the start twice. Events are decoded only for the short replay
and never kept: the checkpoints hold what the projections hold (no confidential content).
"""

from __future__ import annotations

import bisect
import sqlite3
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from sqlalchemy.engine import Engine

from projections.asof import EngagementUnknownError
from projections.commitment_ledger import CommitmentLedgerProjection
from projections.engine import memory_engine
from projections.runner import Item, PositionBeyondLogError, Target, insert_position
from projections.status import StatusProjection
from projections.timeline import TimelineProjection
from projections.wiring import ReadSide

FIRST_EVERY = 64
"""Events between two checkpoints to start with (a replay step applies fewer than this)."""
MAX_CHECKPOINTS = 32
MAX_ENGAGEMENTS = 8
SUFFIX = "asof"


def _projections() -> list[Any]:
    return [StatusProjection(), CommitmentLedgerProjection(), TimelineProjection()]


@dataclass
class Checkpoint:
    count: int  # events applied
    position: int  # the last applied event's position (0 before any)
    image: bytes  # the replay database, serialised and compressed


@dataclass
class EngagementReplay:
    """One engagement's positions and checkpoints (see the module's docstring)."""

    engagement_id: UUID
    every: int = FIRST_EVERY
    positions: list[int] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)

    def checkpoint_for(self, count: int) -> Checkpoint:
        """The last checkpoint with at most `count` events applied."""
        counts = [c.count for c in self.checkpoints]
        return self.checkpoints[bisect.bisect_right(counts, count) - 1]

    def thin(self) -> None:
        """Drop every other checkpoint (keeping the first and last) once too many."""
        if len(self.checkpoints) <= MAX_CHECKPOINTS:
            return
        kept = self.checkpoints[::2]
        if kept[-1] is not self.checkpoints[-1]:
            kept.append(self.checkpoints[-1])
        self.checkpoints, self.every = kept, self.every * 2


def notifications_after(
    app: Application[Any], engine: Engine, eid: UUID, after: int, upto: int | None = None
) -> list[Notification]:
    """The engagement's stored events with positions in (after, upto], in log order (the
    same columns `projections.asof.engagement_notifications` reads)."""
    recorder: Any = app.recorder
    key: Any = eid
    if isinstance(recorder, PostgresApplicationRecorder):
        table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
        n = "notification_id"
    else:
        table, key, n = f'"{recorder.events_table_name}"', eid.hex, "rowid"
    query = f"SELECT {n} AS n, originator_version AS v, topic, state FROM {table}"
    query += f" WHERE originator_id = :id AND {n} > :after"
    if upto is not None:
        query += f" AND {n} <= :upto"
    statement = sa.text(query + " ORDER BY n")
    with engine.connect() as conn:
        rows = conn.execute(statement, {"id": key, "after": after, "upto": upto}).all()
    return [
        Notification(
            id=r.n, originator_id=eid, originator_version=r.v, topic=r.topic, state=bytes(r.state)
        )
        for r in rows
    ]


@contextmanager
def _raw(engine: Engine) -> Iterator[sqlite3.Connection]:
    """The private engine's one SQLite connection (StaticPool: closing keeps it)."""
    proxy = engine.raw_connection()
    try:
        raw: Any = proxy.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        yield raw
    finally:
        proxy.close()


def _image(engine: Engine) -> bytes:
    with _raw(engine) as raw:
        return zlib.compress(raw.serialize(), 1)


def _read_side(app: Application[Any], engine: Engine) -> ReadSide:
    """A read side over a private replay database, its tables declared (not created)."""
    read_side = ReadSide(app, engine, _projections())
    for projection in read_side.projections.values():
        read_side.metadata(Target(projection, SUFFIX))
    return read_side


class ReplayCache:
    """Per-process cache of engagement replays (thread-safe; one lock, short sections)."""

    def __init__(self, app: Application[Any], engine: Engine) -> None:
        self.app, self.engine = app, engine
        self._replays: OrderedDict[UUID, EngagementReplay] = OrderedDict()
        self._lock = threading.Lock()

    # -- answering ----------------------------------------------------------------------

    @contextmanager
    def as_of(self, eid: UUID, position: int | None = None) -> Iterator[ReadSide]:
        """A read side holding only this engagement as it was at `position` (None: now):
        the same answer as `projections.asof.as_of(..., Moment(position))`."""
        last = int(self.app.recorder.max_notification_id() or 0)
        if position is not None and position > last:
            raise PositionBeyondLogError(f"position {position} is beyond the log ({last})")
        replay = self.extended(eid, last)
        count = bisect.bisect_right(replay.positions, last if position is None else position)
        if count == 0:
            raise EngagementUnknownError(f"no engagement {eid} as of that moment")
        start = replay.checkpoint_for(count)
        private = self._restored(start.image)
        try:
            read_side = _read_side(self.app, private)
            upto = replay.positions[count - 1]
            self._apply(read_side, start.position, upto, eid)
            yield read_side
        finally:
            private.dispose()

    def positions(self, eid: UUID) -> list[int]:
        """The positions of the engagement's events (a scrubber's stops)."""
        last = int(self.app.recorder.max_notification_id() or 0)
        return list(self.extended(eid, last).positions)

    # -- building -----------------------------------------------------------------------

    def extended(self, eid: UUID, last: int) -> EngagementReplay:
        """The engagement's replay, extended with the events stored since it was built."""
        with self._lock:
            replay = self._replays.pop(eid, None) or EngagementReplay(eid, FIRST_EVERY)
            self._replays[eid] = replay
            while len(self._replays) > MAX_ENGAGEMENTS:
                self._replays.popitem(last=False)
            done = replay.positions[-1] if replay.positions else 0
            if done < last:
                self._extend(replay, done, last)
            return replay

    def _extend(self, replay: EngagementReplay, done: int, last: int) -> None:
        eid = replay.engagement_id
        fresh = [n.id for n in notifications_after(self.app, self.engine, eid, done, last)]
        if not fresh:
            return
        if not replay.checkpoints:
            replay.checkpoints.append(Checkpoint(0, 0, self._empty()))
        tail = replay.checkpoints[-1]
        engine = self._restored(tail.image)
        try:
            read_side = _read_side(self.app, engine)
            replay.positions.extend(fresh)
            count = tail.count
            while count + replay.every <= len(replay.positions):
                upto = replay.positions[count + replay.every - 1]
                self._apply(read_side, tail.position, upto, eid)
                count += replay.every
                tail = Checkpoint(count, upto, _image(engine))
                replay.checkpoints.append(tail)
                replay.thin()
        finally:
            engine.dispose()

    def _empty(self) -> bytes:
        """The image of a replay database with the tables and no event."""
        engine = memory_engine()
        try:
            read_side = _read_side(self.app, engine)
            read_side.create_positions_table()
            for projection in read_side.projections.values():
                target = Target(projection, SUFFIX)
                read_side.metadata(target).create_all(engine)
                with engine.begin() as conn:
                    insert_position(conn, target, live=True)
            return _image(engine)
        finally:
            engine.dispose()

    def _restored(self, image: bytes) -> Engine:
        engine = memory_engine()
        with _raw(engine) as raw:
            raw.deserialize(zlib.decompress(image))
        return engine

    def _apply(self, read_side: ReadSide, after: int, upto: int, eid: UUID) -> None:
        """Apply the engagement's events in (after, upto] to every projection (which all
        stand at `after`)."""
        if upto <= after:
            return
        to_event = self.app.mapper.to_domain_event
        stored = notifications_after(self.app, self.engine, eid, after, upto)
        items: Sequence[Item] = [Item(n, to_event(n)) for n in stored]
        for projection in read_side.projections.values():
            read_side.runner.apply(Target(projection, SUFFIX), after, items)
