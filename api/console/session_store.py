"""Console sessions, kept on the server: the cookie holds a random id, the table its hash.

    trustpath_console_sessions
      id_hash       sha256 of the cookie's id (a stolen table opens no session)
      principal_id  who signed in
      created_at    absolute expiry counts from here
      seen_at       idle expiry counts from here (written at most once a minute)

A session is live while its principal is live (a revocation ends it at the next request,
in every worker) and neither expiry has passed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, delete, select, update

from api.principals import Principal, _principal, aware, hash_token, principals
from projections.engine import schema_lock

SEEN_RESOLUTION = timedelta(seconds=60)
"""seen_at moves at most once a minute: a page load is not a write."""
MAX_ID = 100

metadata = MetaData()
sessions = Table(
    "trustpath_console_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("principal_id", String(32), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)


@dataclass
class SessionStore:
    """Open, look up, end sessions; `idle` and `absolute` are their lifetimes."""

    engine: Engine
    clock: Callable[[], datetime]
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)

    def __post_init__(self) -> None:
        with schema_lock(self.engine, "console-sessions"):
            metadata.create_all(self.engine, checkfirst=True)

    def open(self, principal: Principal) -> str:
        """A new session for `principal`; returns the id for the cookie (known only there)."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                sessions.insert().values(
                    id_hash=hash_token(session_id),
                    principal_id=principal.id,
                    created_at=now,
                    seen_at=now,
                )
            )
        return session_id

    def principal(self, session_id: str) -> Principal | None:
        """The live principal of a live session, or None (an expired one is deleted)."""
        if not session_id or len(session_id) > MAX_ID:
            return None
        digest = hash_token(session_id)
        query = (
            select(principals, sessions.c.created_at.label("s_created"), sessions.c.seen_at)
            .join(sessions, sessions.c.principal_id == principals.c.id)
            .where(sessions.c.id_hash == digest)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        now = self.clock()
        created, seen = aware(row.s_created), aware(row.seen_at)
        if row.revoked_at is not None or now - seen > self.idle or now - created > self.absolute:
            self.end(session_id)
            return None
        if now - seen >= SEEN_RESOLUTION:
            with self.engine.begin() as conn:
                conn.execute(
                    update(sessions).where(sessions.c.id_hash == digest).values(seen_at=now)
                )
        return _principal(row._mapping)

    def end(self, session_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.id_hash == hash_token(session_id)))
