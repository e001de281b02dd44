""" "As of": the status, ledger and timeline of one engagement at an earlier moment.

    the engagement's stored events (with their positions)
        ──▶ keep those up to the position / with occurred_at up to the time
        ──▶ the SAME projections, into a private in-memory SQLite database
        ──▶ the SAME query functions (get_status, get_ledger, get_timeline)

There is one way to compute each view: a replay differs from the live view only in the
events it is fed. A moment is a position of the notification log or a time (the events'
`occurred_at`, when things happened).

The engagement's events are read from the library's events table through its documented
columns (as `domain.adapters.positions` does), because the log is not indexed by engagement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from sqlalchemy.engine import Engine

from projections.commitment_ledger import CommitmentLedgerProjection
from projections.engine import memory_engine
from projections.errors import PositionBeyondLogError, ReadSideError
from projections.positions import insert_position
from projections.protocol import Item, Target
from projections.read_side import ReadSide
from projections.status import StatusProjection
from projections.timeline import TimelineProjection


class EngagementUnknownError(ReadSideError):
    """No engagement with that id (or none had opened by the moment asked)."""


@dataclass(frozen=True)
class Moment:
    """Up to which position and/or time (inclusive); None means no bound."""

    position: int | None = None
    at: datetime | None = None

    def keeps(self, item: Item) -> bool:
        if self.position is not None and item.notification.id > self.position:
            return False
        return self.at is None or item.event.occurred_at <= self.at


def engagement_notifications(
    app: Application[Any], engine: Engine, engagement_id: UUID
) -> list[Notification]:
    """The stored events of one engagement, with their positions, in log order."""
    recorder: Any = app.recorder
    if isinstance(recorder, PostgresApplicationRecorder):
        table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
        key: Any = engagement_id
        query = f"SELECT notification_id AS n, originator_version AS v, topic, state FROM {table}"
    else:
        table, key = f'"{recorder.events_table_name}"', engagement_id.hex
        query = f"SELECT rowid AS n, originator_version AS v, topic, state FROM {table}"
    statement = sa.text(query + " WHERE originator_id = :id ORDER BY n")
    with engine.connect() as conn:
        rows = conn.execute(statement, {"id": key}).all()
    return [
        Notification(
            id=r.n,
            originator_id=engagement_id,
            originator_version=r.v,
            topic=r.topic,
            state=bytes(r.state),
        )
        for r in rows
    ]


@contextmanager
def as_of(
    app: Application[Any], engine: Engine, engagement_id: UUID, moment: Moment
) -> Iterator[ReadSide]:
    """A read side holding only this engagement as it was at `moment`."""
    last = int(app.recorder.max_notification_id() or 0)
    if moment.position is not None and moment.position > last:
        raise PositionBeyondLogError(f"position {moment.position} is beyond the log ({last})")
    to_event = app.mapper.to_domain_event
    stored = engagement_notifications(app, engine, engagement_id)
    items = [i for i in (Item(n, to_event(n)) for n in stored) if moment.keeps(i)]
    if not items:
        raise EngagementUnknownError(f"no engagement {engagement_id} as of that moment")
    private = memory_engine()
    try:
        yield _replayed(app, private, items)
    finally:
        private.dispose()


def _replayed(app: Application[Any], engine: Engine, items: list[Item]) -> ReadSide:
    read_side = ReadSide(
        app, engine, [StatusProjection(), CommitmentLedgerProjection(), TimelineProjection()]
    )
    read_side.create_positions_table()
    for projection in read_side.projections.values():
        target = Target(projection, "asof")
        read_side.metadata(target).create_all(engine)
        with engine.begin() as conn:
            insert_position(conn, target, live=True)
        read_side.runner.apply(target, 0, items)
    return read_side
