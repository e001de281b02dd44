"""Where a stored event sits in the notification log.

The library returns a command's notification ids when it saves; a re-sent command needs
the position of the event it produced the first time. This is the one place that reads the
library's own event tables directly (their documented columns), for SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier


def position_of(recorder: ApplicationRecorder, originator_id: UUID, version: int) -> int:
    """The notification id of one stored event."""
    if isinstance(recorder, PostgresApplicationRecorder):
        query = SQL(
            "SELECT notification_id AS n FROM {}.{} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(query, (originator_id, version))
            row: Any = curs.fetchone()
    elif isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(
                f"SELECT rowid AS n FROM {recorder.events_table_name} "
                "WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            row = curs.fetchone()
    else:  # pragma: no cover - only the two supported stores are configured
        raise TypeError(f"unsupported recorder {type(recorder).__name__}")
    if row is None:
        raise LookupError(f"no stored event {originator_id} v{version}")
    return int(row["n"])
