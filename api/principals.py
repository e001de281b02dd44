"""Principals: who may call the API, and the bearer tokens that say so.

A token is 32 random bytes (`secrets.token_urlsafe`), shown once when the principal is
added and stored only as its SHA-256 hash, in a SQLAlchemy Core table in the same
database as the events:

    trustpath_principals
      id          short random id            name         who it is, for humans
      role        a role (domain/README.md)  subject_id   the coach / protagonist / sponsor id
      token_hash  sha256(token), unique      created_at, revoked_at

Each principal acts as one `Actor`: a coach's actor id is its coach id, a protagonist's
its protagonist id, a sponsor's its sponsor id; admins, auditors and report readers act
under their principal id.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
    update,
)

from domain.errors import InvalidValueError
from domain.values import Actor, Role, parse_enum
from projections.engine import (
    POOL_TIMEOUT_S,
    postgres_connect_args,
    schema_lock,
    sqlalchemy_url,
)

SQLITE_BUSY_TIMEOUT_S = 30
ROLES = ("admin", "coach", "protagonist", "sponsor", "auditor", "report_reader")
SUBJECT_ROLES = ("coach", "protagonist", "sponsor")

metadata = MetaData()
principals = Table(
    "trustpath_principals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("subject_id", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)


@dataclass(frozen=True)
class Principal:
    id: str
    name: str
    role: str
    subject_id: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.subject_id or self.id, self.role)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def database_url_of(env: Any) -> str:
    """The database URL of a Trustpath application, from its eventsourcing environment."""
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        return f"sqlite:///{env['SQLITE_DBNAME']}"
    user, password = env.get("POSTGRES_USER", "postgres"), env.get("POSTGRES_PASSWORD", "")
    auth = f"{user}:{password}" if password else user
    host, port, db = env["POSTGRES_HOST"], env.get("POSTGRES_PORT", "5432"), env["POSTGRES_DBNAME"]
    return f"postgresql://{auth}@{host}:{port}/{db}"


class PrincipalStore:
    """Add, list, revoke principals; authenticate a bearer token.

    By default every request reads its principal's row (one indexed lookup), so a revocation
    takes effect at the next request in every worker and host, whether it was made over
    HTTP or with the CLI. With `cache_seconds` > 0 an authenticated principal is remembered
    that long per process instead: one query less per request, but a revocation made in
    another process then takes up to that long.
    """

    def __init__(self, engine: Engine, cache_seconds: float = 0.0) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        with schema_lock(engine, "principals"):  # processes starting together
            metadata.create_all(engine, checkfirst=True)

    @classmethod
    def for_url(cls, database_url: str, cache_seconds: float = 0.0) -> PrincipalStore:
        url = sqlalchemy_url(database_url)
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        else:
            engine = create_engine(
                url,
                pool_size=5,
                max_overflow=10,
                pool_pre_ping=True,
                pool_timeout=POOL_TIMEOUT_S,
                connect_args=postgres_connect_args(),
            )
        return cls(engine, cache_seconds)

    def close(self) -> None:
        self.engine.dispose()

    def add(self, role: str, name: str, subject_id: str = "") -> tuple[Principal, str]:
        """A new principal and its token (the only time the token is known)."""
        _check(role, name, subject_id)
        token = secrets.token_urlsafe(32)
        principal = Principal(
            secrets.token_hex(8), name.strip(), role, subject_id.strip(), datetime.now(UTC)
        )
        row = {**principal.__dict__, "token_hash": hash_token(token)}
        with self.engine.begin() as conn:
            conn.execute(insert(principals).values(**row))
        return principal, token

    def list(self) -> list[Principal]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(principals).order_by(principals.c.created_at)).all()
        return [_principal(row._mapping) for row in rows]

    def find(self, principal_id: str) -> Principal | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(principals).where(principals.c.id == principal_id)).first()
        return None if row is None else _principal(row._mapping)

    def revoke(self, principal_id: str) -> bool:
        with self._lock:
            self._cache.clear()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(principals)
                .where(principals.c.id == principal_id, principals.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return bool(result.rowcount)

    def authenticate(self, token: str) -> Principal | None:
        """The live principal holding this token, or None."""
        digest = hash_token(token)
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        query = select(principals).where(
            principals.c.token_hash == digest, principals.c.revoked_at.is_(None)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        found = _principal(row._mapping)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (time.monotonic() + self.cache_seconds, found)
        return found


def _check(role: str, name: str, subject_id: str) -> None:
    if role not in ROLES:
        raise InvalidValueError(f"unknown role {role!r} (allowed: {', '.join(ROLES)})")
    parse_enum(Role, role, "role")
    if not name.strip():
        raise InvalidValueError("a principal needs a name")
    if role in SUBJECT_ROLES and not subject_id.strip():
        raise InvalidValueError(f"a {role} principal needs --{role} ID")
    if role not in SUBJECT_ROLES and subject_id.strip():
        raise InvalidValueError(f"a {role} principal acts under its own id, not a subject id")


def _principal(row: Any) -> Principal:
    return Principal(
        row["id"],
        row["name"],
        row["role"],
        row["subject_id"],
        aware(row["created_at"]),
        aware(row["revoked_at"]) if row["revoked_at"] else None,
    )


def aware(at: datetime) -> datetime:
    """SQLite gives back naive datetimes; every stored one is UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)
