"""The library's PostgreSQL recorder, made to ride out database outages.

`store_env` selects it (the library's APPLICATION_RECORDER_TOPIC). What it changes, and why:

    the library's recorder                       this one
    retries a read 10 times, 0.2 s apart,        retries a read for READ_RETRY_S at most,
      waiting up to 30 s for a connection          then StoreUnavailableError: a request
      each time: a request hangs for the           fails fast and the API answers 503
      whole outage
    retries a write the same way, also one       tries a write once: StoreUnavailableError
      lost in its commit (a stored command          when nothing reached the store (or the
      then reads as a conflict, or is stored        store refused it), WriteOutcomeUnknownError
      twice)                                        when the connection was lost on the way
    hands out pooled connections that died       checks each connection as it is handed out;
      with the server (the first request after     the first dead one empties the pool, so a
      a restart fails)                             restart costs one reconnection, no failure
    re-opens lost connections with a backoff     re-opens them at most ~1 s apart and gives up
      growing to minutes                           after RECONNECT_S (the next request tries
                                                   again at once): it serves again within
                                                   about a second of the store coming back
    creates its types, tables and function in    creates them under a PostgreSQL advisory
      parallel with other starting processes       lock (`schema_lock`), one process at a time
      ("tuple concurrently updated")

The snapshot store's recorder (`SnapshotRecorder`) has the same bounded reads; a snapshot
that cannot be written is logged and skipped (it is a cache: the command it follows is
stored already, and must not be reported as failed).

    OperationalError (the library's: whoever handled it still does)
    ├── StoreUnavailableError      nothing was stored; retry later
    └── WriteOutcomeUnknownError   the events may or may not be stored; retry with the
                                   same idempotency key (a stored command is not stored twice)
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from eventsourcing.persistence import (
    InterfaceError,
    InternalError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import (
    ConnectionPool,
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from psycopg_pool import PoolTimeout

READ_RETRY_S = 1.0
"""How long a read is retried (the pool waits POSTGRES_CONNECT_TIMEOUT for a connection)."""
RETRY_PAUSE_S = 0.1
STARTUP_S = 15.0
"""How long table creation at start-up waits for a database that is starting or busy."""
CONNECT_TIMEOUT_S = 2
"""A new connection's TCP and authentication handshake (libpq's minimum is 2 s)."""
RECONNECT_S = 2.0
"""How long the pool keeps re-opening a lost connection in the background before it stops
(the next request that needs one starts again at once)."""
REFUSED_SQLSTATES = frozenset({"55P03", "57014", "53100", "53200", "53300", "57P03", "25006"})
"""The server refused the write and rolled it back: lock or statement timeout, disk full,
out of memory, too many connections, not accepting connections yet, read-only."""

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("trustpath.store")


class StoreUnavailableError(OperationalError):
    """The event store cannot be reached or refused the write; nothing was stored."""


class WriteOutcomeUnknownError(OperationalError):
    """The connection to the event store was lost while events were being written: they
    may or may not be stored."""


def lock_key(name: str) -> int:
    """A stable 64-bit advisory lock key for `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def schema_lock(datastore: PostgresDatastore, name: str = "event store") -> Iterator[None]:
    """Hold a PostgreSQL advisory lock (per `name`) while creating a schema: processes that
    start at the same moment create it one after the other. Never nest the same `name`."""
    key = lock_key(f"trustpath schema: {name}")
    with datastore.get_connection() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [key])
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # a lost connection has released it
                conn.execute("SELECT pg_advisory_unlock(%s)", [key])


def _bounded_read(method: F) -> F:
    """The library's read without its retries, retried for READ_RETRY_S at most."""
    inner = getattr(method, "__wrapped__", method)

    @functools.wraps(inner)
    def read(self: Any, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + READ_RETRY_S
        while True:
            try:
                return inner(self, *args, **kwargs)
            except (OperationalError, InterfaceError) as error:
                if time.monotonic() >= deadline:
                    raise StoreUnavailableError(
                        f"the event store does not answer: {error}"
                    ) from error
            time.sleep(RETRY_PAUSE_S)

    return read  # type: ignore[return-value]


def _nothing_stored(error: Exception) -> bool:
    cause = error.__cause__
    if isinstance(cause, PoolTimeout):
        return True
    return getattr(cause, "sqlstate", None) in REFUSED_SQLSTATES


def create_patiently(create: Callable[[], None]) -> None:
    """Create tables at start-up, retrying for STARTUP_S while the database does not answer
    (it may be starting too, or busy with other processes starting)."""
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            create()
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() >= deadline:
                raise
        time.sleep(RETRY_PAUSE_S)


class OutageAwareRecorder(PostgresApplicationRecorder):
    """The library's application recorder, bounded in time and honest about lost writes."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        _replace_pool(datastore)
        super().__init__(datastore, **kwargs)

    def create_table(self) -> None:
        def create() -> None:
            with schema_lock(self.datastore):
                super(OutageAwareRecorder, self).create_table()

        create_patiently(create)

    select_events = _bounded_read(PostgresApplicationRecorder.select_events)
    select_notifications = _bounded_read(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _bounded_read(PostgresApplicationRecorder.max_notification_id)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        insert: Any = PostgresApplicationRecorder.insert_events.__wrapped__
        try:
            result: Sequence[int] | None = insert(self, stored_events, **kwargs)
        except InternalError as error:  # a read-only server (a standby after a failover)
            if not _nothing_stored(error):
                raise
            raise StoreUnavailableError(f"nothing was stored: {error}") from error
        except (OperationalError, InterfaceError) as error:
            if _nothing_stored(error):
                raise StoreUnavailableError(f"nothing was stored: {error}") from error
            raise WriteOutcomeUnknownError(f"the outcome is unknown: {error}") from error
        return result


class SnapshotRecorder(PostgresAggregateRecorder):
    """The library's snapshot recorder with bounded reads; a failed snapshot is skipped."""

    def create_table(self) -> None:
        def create() -> None:
            with schema_lock(self.datastore):
                super(SnapshotRecorder, self).create_table()

        create_patiently(create)

    select_events = _bounded_read(PostgresAggregateRecorder.select_events)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        insert: Any = PostgresAggregateRecorder.insert_events.__wrapped__
        try:
            insert(self, stored_events, **kwargs)
        except (OperationalError, InterfaceError) as error:
            log.warning("snapshot not stored (%s); a later one will be", type(error).__name__)


def snapshot_recorder(factory: Any) -> SnapshotRecorder | None:
    """The snapshot store's recorder where the application recorder is ours, else None."""
    if not isinstance(factory, PostgresFactory):
        return None
    if factory.env.get(factory.APPLICATION_RECORDER_TOPIC) != f"{__name__}:OutageAwareRecorder":
        return None
    prefix = factory.env.name.lower() or "stored"
    recorder = SnapshotRecorder(factory.datastore, events_table_name=f"{prefix}_snapshots")
    if factory.env_create_table():
        recorder.create_table()
    return recorder


def _replace_pool(datastore: PostgresDatastore) -> None:
    """Give the datastore a pool like the library's (same size, connection settings and
    set-up), which also checks connections, bounds the connect and re-opens quickly."""
    old: Any = datastore.pool  # built by the factory, not opened yet

    def check(conn: Any) -> None:
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            datastore.pool.drain()  # the others most likely died with it (a restart)
            raise

    datastore.pool = ConnectionPool(
        get_password_func=old.get_password_func,
        connection_class=old.connection_class,
        kwargs={**old.kwargs, "connect_timeout": CONNECT_TIMEOUT_S},
        min_size=old.min_size,
        max_size=old.max_size,
        open=False,
        configure=datastore.after_connect_func(),
        timeout=old.timeout,
        max_waiting=old.max_waiting,
        max_lifetime=old.max_lifetime,
        check=check,
        reconnect_timeout=RECONNECT_S,
    )
