"""Cheap replay: an engagement's status, ledger and trust timeline as of any position.

`projections.asof` replays an engagement from its first event for every question: fine for
one API read, too slow for a scrubber moved across 10,000 events. Here each engagement keeps

    positions      the log positions of its stored events (ints only: no content)
    checkpoints    every K events, the in-memory replay database serialised (SQLite's
                   `serialize`), i.e. the SAME status and ledger projections' tables at
                   that position (`api.console.replay_kit`)
    timeline rows  the timeline projection's rows, as its query reads them: that
                   projection only ever inserts one row per event, so its state as of p
                   is exactly its rows up to p

and "as of p" restores the last checkpoint at or before p and applies the few events after
it (fewer than K), then asks the SAME query functions as the API (`get_status`,
`get_ledger`); the timeline is the SAME `moves` over the rows up to p. The answers are
therefore exactly `projections.asof`'s; the tests compare them at many positions.

Bounded memory: at most MAX_ENGAGEMENTS engagements (least recently used dropped), and per
engagement at most MAX_CHECKPOINTS checkpoints (when an engagement grows past that, every
other one is dropped and K doubles). New events extend the cache from its last checkpoint;
nothing is ever replayed from the start twice. Events are decoded only for the short replay
and never kept: the checkpoints hold what the projections hold (no confidential content).
"""

from __future__ import annotations

import bisect
import gc
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from sqlalchemy.engine import Engine

from api.console.replay_kit import SUFFIX, KitReadSide, image, timeline_kit, views_kit
from projections.asof import EngagementUnknownError
from projections.errors import PositionBeyondLogError
from projections.protocol import Item
from projections.timeline import TimelineProjection, _rows, moves

FIRST_EVERY = 16
"""Events between two checkpoints to start with (a replay step applies fewer than this)."""
MAX_CHECKPOINTS = 256
"""A checkpoint holds the status and ledger of ONE engagement (a few kilobytes compressed):
256 of them keep a step of a 10,000-event engagement under 64 events to apply."""
MAX_ENGAGEMENTS = 8
"""Engagements kept (least recently used dropped): their checkpoints are small, their
timeline rows about 1 kB per assessment or milestone."""
SETTLE_AFTER = 256
"""An extension by at least this many events is followed by one full collection and
`gc.freeze()`: the process's long-lived objects (the cache's rows among them) leave the
collector's generations, so that the oldest generation's collections, which otherwise walk
them all during some later step (over 100 ms at 10,000 events), stay short."""
ERASURE = ":ErasureExecuted"
"""After an erasure the engagement is replayed afresh: nothing computed before it stays."""


@dataclass
class Checkpoint:
    count: int  # events applied
    position: int  # the last applied event's position (0 before any)
    image: bytes  # the replay database, serialised and compressed


@dataclass
class Rows:
    """A timeline table's rows, in the query's order (kept as the query's dicts: a step
    filters them and builds nothing; callers never change them)."""

    values: list[dict[str, Any]] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # the values' positions, same order
    ordered: bool = True  # positions rise in the query's order: "up to p" is a prefix

    def add(self, found: list[dict[str, Any]]) -> None:
        if found:
            self.values += found
            self.values.sort(key=lambda v: (v["occurred_at"], v["position"]))  # the ORDER BY
            self.positions = [v["position"] for v in self.values]
            self.ordered = all(a < b for a, b in itertools.pairwise(self.positions))

    def upto(self, last: int) -> list[dict[str, Any]]:
        """The rows of events at or before `last`: a bisection when events were stored in
        time order (the usual case), else one pass (an event dated before an earlier one)."""
        if self.ordered:
            return self.values[: bisect.bisect_right(self.positions, last)]
        return [v for v in self.values if v["position"] <= last]


@dataclass
class EngagementReplay:
    """One engagement's positions, checkpoints and timeline rows (see the module's doc)."""

    engagement_id: UUID
    every: int = FIRST_EVERY
    positions: list[int] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    trust: Rows = field(default_factory=Rows)
    milestones: Rows = field(default_factory=Rows)

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

    def last_upto(self, position: int | None) -> int:
        """The position of the engagement's last event at or before `position` (None: its
        last event); raises when it had none by then."""
        if position is None:
            position = self.positions[-1] if self.positions else 0
        count = bisect.bisect_right(self.positions, position)
        if count == 0:
            raise EngagementUnknownError(f"no engagement {self.engagement_id} as of that moment")
        return self.positions[count - 1]


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


class ReplayCache:
    """Per-process cache of engagement replays (thread-safe: the bookkeeping under one
    lock; each step works on its own private database)."""

    def __init__(self, app: Application[Any], engine: Engine) -> None:
        self.app, self.engine = app, engine
        self._replays: OrderedDict[UUID, EngagementReplay] = OrderedDict()
        self._lock = threading.Lock()

    # -- answering ----------------------------------------------------------------------

    @contextmanager
    def as_of(self, eid: UUID, position: int | None = None) -> Iterator[KitReadSide]:
        """A read side holding the status and ledger projections of this engagement as it
        was at `position` (None: now), as `projections.asof.as_of(..., Moment(position))`."""
        replay = self.extended(eid, self._checked(position))
        upto = replay.last_upto(position)
        start = replay.checkpoint_for(bisect.bisect_right(replay.positions, upto))
        with views_kit(self.app).using(start.image) as read_side:
            read_side.apply(start.position, self._items(eid, start.position, upto))
            yield read_side

    def timeline_rows(
        self, eid: UUID, position: int | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The timeline projection's assessment and milestone rows of the engagement as it
        was at `position` (None: now), in `get_timeline`'s order."""
        replay = self.extended(eid, self._checked(position))
        upto = replay.last_upto(position)
        return replay.trust.upto(upto), replay.milestones.upto(upto)

    def timeline(self, eid: UUID, position: int | None = None) -> dict[str, Any]:
        """`get_timeline` of the engagement as it was at `position` (None: now)."""
        trust, milestones = self.timeline_rows(eid, position)
        return {
            "engagement_id": str(eid),
            "assessments": moves(trust, milestones),
            "milestones": milestones,
        }

    def positions(self, eid: UUID) -> list[int]:
        """The positions of the engagement's events (a scrubber's stops)."""
        return list(self.extended(eid, self._checked(None)).positions)

    def _checked(self, position: int | None) -> int:
        last = int(self.app.recorder.max_notification_id() or 0)
        if position is not None and position > last:
            raise PositionBeyondLogError(f"position {position} is beyond the log ({last})")
        return last

    # -- building -----------------------------------------------------------------------

    def extended(self, eid: UUID, last: int) -> EngagementReplay:
        """The engagement's replay, extended with the events stored since it was built."""
        with self._lock:
            replay = self._replays.pop(eid, None) or EngagementReplay(eid, FIRST_EVERY)
            self._replays[eid] = replay
            while len(self._replays) > MAX_ENGAGEMENTS:
                self._replays.popitem(last=False)
            done = replay.positions[-1] if replay.positions else 0
            if done >= last:
                return replay
            fresh = notifications_after(self.app, self.engine, eid, done, last)
            if done and any(n.topic.endswith(ERASURE) for n in fresh):
                replay = self._replays[eid] = EngagementReplay(eid, FIRST_EVERY)
                fresh = notifications_after(self.app, self.engine, eid, 0, last)
            if fresh:
                self._extend(replay, fresh)
            if len(fresh) >= SETTLE_AFTER:
                gc.collect()  # nothing unreachable is frozen (it would never be collected)
                gc.freeze()
            return replay

    def _extend(self, replay: EngagementReplay, fresh: list[Notification]) -> None:
        eid = replay.engagement_id
        self._add_timeline_rows(replay, fresh)
        replay.positions.extend(n.id for n in fresh)
        kit = views_kit(self.app)
        if not replay.checkpoints:
            replay.checkpoints.append(Checkpoint(0, 0, kit.empty))
        while len(replay.positions) > replay.every * MAX_CHECKPOINTS:
            replay.every *= 2  # a long history at once: no image that thinning would drop
        tail = replay.checkpoints[-1]
        with kit.using(tail.image) as read_side:
            while tail.count + replay.every <= len(replay.positions):
                count = tail.count + replay.every
                upto = replay.positions[count - 1]
                read_side.apply(tail.position, self._items(eid, tail.position, upto))
                tail = Checkpoint(count, upto, image(kit.engine))
                replay.checkpoints.append(tail)
                replay.thin()

    def _add_timeline_rows(self, replay: EngagementReplay, fresh: list[Notification]) -> None:
        """Fold the new events into a scratch timeline and keep the rows they made."""
        with timeline_kit(self.app).using() as read_side:
            to_event = self.app.mapper.to_domain_event
            read_side.apply(0, [Item(n, to_event(n)) for n in fresh])
            projection = read_side.projection(TimelineProjection.name)
            assert isinstance(projection, TimelineProjection)
            tables, eid = projection.tables.of(SUFFIX), str(replay.engagement_id)
            with read_side.engine.connect() as conn:
                replay.trust.add(_rows(conn, tables.trust, eid))
                replay.milestones.add(_rows(conn, tables.milestones, eid))

    def _items(self, eid: UUID, after: int, upto: int) -> list[Item]:
        """The engagement's events in (after, upto], decoded (and not kept)."""
        if upto <= after:
            return []
        to_event = self.app.mapper.to_domain_event
        stored = notifications_after(self.app, self.engine, eid, after, upto)
        return [Item(n, to_event(n)) for n in stored]
