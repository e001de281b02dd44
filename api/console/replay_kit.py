"""The private databases of the console's replay: SQLite in memory, serialised and restored.

A replay database holds the status and commitment-ledger projections' tables (the same
projection classes as the live read side, under the suffix `asof`, as `projections.asof`
uses). Each thread has its own `Kit`: projection objects and table declarations made once,
and ONE in-memory engine whose database is replaced by a checkpoint's image for each step
(SQLite's `deserialize`). Keeping the engine keeps its dialect and its compiled statements:
a replay step costs the SQL it runs, not SQLAlchemy compiling the same statements again
for a new engine. A kit's database is used by one step at a time (`Kit.using`).
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from eventsourcing.application import Application
from sqlalchemy.engine import Engine

from projections.commitment_ledger import CommitmentLedgerProjection
from projections.engine import memory_engine
from projections.positions import insert_position
from projections.protocol import Item, Projection, Target
from projections.read_side import ReadSide
from projections.status import StatusProjection
from projections.timeline import TimelineProjection

SUFFIX = "asof"


class Kit:
    """One thread's projections, their tables (declared once) and private database."""

    def __init__(self, app: Application[Any], projections: Sequence[Projection]) -> None:
        self.projections = list(projections)
        self.metadata: dict[str, sa.MetaData] = {}
        for projection in self.projections:
            self.metadata[projection.name] = sa.MetaData()
            projection.define(self.metadata[projection.name], SUFFIX)
        self.engine = memory_engine()
        self.read_side = KitReadSide(app, self.engine, self)
        self.read_side.create()
        self.empty = image(self.engine)
        self.busy = False

    @contextmanager
    def using(self, found: bytes | None = None) -> Iterator[KitReadSide]:
        """The kit's read side, its database replaced by `found` (None: empty)."""
        if self.busy:
            raise RuntimeError("a replay database is already in use on this thread")
        self.busy = True
        try:
            with raw(self.engine) as conn:
                conn.deserialize(zlib.decompress(found or self.empty))
            yield self.read_side
        finally:
            self.busy = False


class KitReadSide(ReadSide):
    """A read side over one private replay database, with its kit's table declarations."""

    def __init__(self, app: Application[Any], engine: Engine, kit: Kit) -> None:
        super().__init__(app, engine, kit.projections)
        self.kit = kit

    def metadata(self, target: Target) -> sa.MetaData:
        return self.kit.metadata[target.projection.name]

    def apply(self, after: int, items: Sequence[Item]) -> None:
        """Apply `items` to every projection (all standing at position `after`)."""
        if not items:
            return
        for projection in self.projections.values():
            self.runner.apply(Target(projection, SUFFIX), after, items)

    def create(self) -> None:
        """Create the tables and the positions (at 0) of an empty replay database."""
        self.create_positions_table()
        for projection in self.projections.values():
            target = Target(projection, SUFFIX)
            self.metadata(target).create_all(self.engine)
            with self.engine.begin() as conn:
                insert_position(conn, target, live=True)


_local = threading.local()


def views_kit(app: Application[Any]) -> Kit:
    """This thread's kit of the status and ledger projections (the checkpoints' content)."""
    if getattr(_local, "views_app", None) is not app:
        _local.views = Kit(app, [StatusProjection(), CommitmentLedgerProjection()])
        _local.views_app = app
    found: Kit = _local.views
    return found


def timeline_kit(app: Application[Any]) -> Kit:
    """This thread's kit of the timeline projection (its rows are kept as lists)."""
    if getattr(_local, "timeline_app", None) is not app:
        _local.timeline = Kit(app, [TimelineProjection()])
        _local.timeline_app = app
    found: Kit = _local.timeline
    return found


@contextmanager
def raw(engine: Engine) -> Iterator[sqlite3.Connection]:
    """The private engine's one SQLite connection (StaticPool: closing keeps it)."""
    proxy = engine.raw_connection()
    try:
        found: Any = proxy.driver_connection
        assert isinstance(found, sqlite3.Connection)
        yield found
    finally:
        proxy.close()


def image(engine: Engine) -> bytes:
    """The whole database, serialised and compressed (a checkpoint)."""
    with raw(engine) as conn:
        return zlib.compress(conn.serialize(), 1)
