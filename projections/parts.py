"""Parts: one rebuild shared by several processes, each folding a share of the engagements.

    rebuild_many(status, commitment_ledger, timeline) on PostgreSQL, a long log:
      this process    part 1/2 ─ reads the events of half the aggregates ─▶ every target
      helper process  part 2/2 ─ reads the events of the other half      ─▶ every target
      then, once every part reached the same stop: one position row per target, at stop

Every projection of the read side folds each engagement on its own (rows keyed by the
engagement, never a figure across engagements), so the log can be cut by aggregate: a part
is the events whose originator id falls in its share (the id's last byte, modulo the number
of parts), read in log order by PostgreSQL with the filter in the query. Each process then
reads and decodes only its share of the log, instead of each reading and decoding all of it.

Exactly once holds per part: each part of each target has its own position row in
`trustpath_projection_parts` (`runner.parts`), moved by compare-and-set in the transaction
that applies the part's page, like any runner's. A part's page that is shorter than a page
moves its position to the stop (nothing of its share is left before it). The target's own
position row does not exist while parts build: no other runner can apply whole pages into
a half-built version. `rebuild.merge` (one transaction, under the parts' row locks) creates
it at the stop once every part reached the stop, and deletes the parts' rows; the ordinary
runner then catches the target up past the stop and the rebuild switches it live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier


@dataclass(frozen=True)
class Part:
    """One share of the aggregates: those whose id's last byte modulo `count` is `index`."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count <= 256:
            raise ValueError(f"no part {self.index} of {self.count}")

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"


def select_part(
    recorder: Any, start: int, limit: int, stop: int, part: Part
) -> Sequence[Notification]:
    """The first `limit` notifications of `part` after `start` up to `stop`, in log order.

    The library's own query (`select_notifications` on PostgreSQL) with the share's filter.
    """
    if not isinstance(recorder, PostgresApplicationRecorder):
        raise TypeError("parts are read from PostgreSQL only")
    statement = SQL(
        "SELECT * FROM {schema}.{table} WHERE notification_id>%s AND notification_id<=%s"
        " AND get_byte(uuid_send(originator_id), 15) %% %s = %s"
        " ORDER BY notification_id LIMIT %s"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(statement, [start, stop, part.count, part.index, limit], prepare=True)
        return [
            Notification(
                id=row["notification_id"],
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in curs.fetchall()
        ]
