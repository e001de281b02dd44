"""A real fault in the real store: a trigger that aborts the insert of chosen events.

No mock: the library's own recorder runs its own transaction, and the database itself
refuses one row of it, as a crash or a full disk would, on SQLite and on PostgreSQL alike.

    with failing_inserts(app, "CommitmentMade"):
        ...  # any save that stores a CommitmentMade event fails as a whole
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.postgres import PostgresApplicationRecorder

from domain.trustpath import Trustpath

TRIGGER = "trustpath_test_fault"


@contextmanager
def failing_inserts(app: Trustpath, topic_suffix: str) -> Iterator[None]:
    """Every insert of an event whose topic ends with `topic_suffix` fails."""
    statements = _statements(app, topic_suffix)
    _execute(app, statements["create"])
    try:
        yield
    finally:
        _execute(app, statements["drop"])


def _statements(app: Trustpath, topic_suffix: str) -> dict[str, list[str]]:
    recorder = app.recorder
    table = recorder.events_table_name  # type: ignore[attr-defined]
    like = f"'%{topic_suffix}'"
    if isinstance(recorder, PostgresApplicationRecorder):
        qualified = f'"{recorder.datastore.schema}"."{table}"'
        return {
            "create": [
                f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'simulated crash while storing an event'; END $$",
                f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {qualified} FOR EACH ROW "
                f"WHEN (NEW.topic LIKE {like}) EXECUTE FUNCTION {TRIGGER}()",
            ],
            "drop": [f"DROP TRIGGER {TRIGGER} ON {qualified}", f"DROP FUNCTION {TRIGGER}()"],
        }
    return {
        "create": [
            f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {table} WHEN NEW.topic LIKE {like} "
            "BEGIN SELECT RAISE(ABORT, 'simulated crash while storing an event'); END"
        ],
        "drop": [f"DROP TRIGGER {TRIGGER}"],
    }


def _execute(app: Trustpath, statements: list[str]) -> None:
    with app.recorder.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
        for statement in statements:
            curs.execute(statement)
