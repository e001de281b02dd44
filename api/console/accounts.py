"""People's passwords and invitation links, beside the principals they belong to.

    trustpath_passwords     principal_id (one password a principal), login (the principal's
                            name, case-folded, unique: what a person types to sign in),
                            hash (Argon2id, PHC string), set_at
    trustpath_invitations   token_hash (sha256 of the link's token), principal_id,
                            expires_at, used_at: a link sets a password once, before it expires

Both are new tables created beside `trustpath_principals` when a store opens
(`create_all(checkfirst=True)`), so an existing store gains them without a migration
step, on SQLite and on PostgreSQL. A revoked principal cannot sign in: every look-up
joins its live principal row.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, delete, select, update
from sqlalchemy.exc import IntegrityError

from api.principals import Principal, _principal, aware, hash_token, principals
from domain.errors import InvalidValueError
from projections.engine import schema_lock

MIN_PASSWORD = 12
MAX_PASSWORD = 256
"""Argon2 would hash a megabyte happily, but a bound keeps every sign-in's work the same."""
MAX_NAME = 200
INVITATION_DAYS = 7
Clock = Callable[[], datetime]

metadata = MetaData()
passwords = Table(
    "trustpath_passwords",
    metadata,
    Column("principal_id", String(32), primary_key=True),
    Column("login", String(200), nullable=False, unique=True),
    Column("hash", String(200), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)
invitations = Table(
    "trustpath_invitations",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("principal_id", String(32), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)


class PasswordRuleError(InvalidValueError):
    """A password must be 12 to 256 characters, without NUL."""


class LoginTakenError(InvalidValueError):
    """Another principal already signs in under this name."""


class InvitationInvalidError(InvalidValueError):
    """This invitation link is unknown, used or expired."""


def login_of(name: str) -> str:
    """What a typed name is compared as: trimmed and case-folded."""
    return name.strip().casefold()


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD or "\x00" in password:
        raise PasswordRuleError(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters and no NUL"
        )


@dataclass
class Accounts:
    """Set and check passwords; make and redeem invitations."""

    engine: Engine
    hasher: PasswordHasher
    clock: Clock

    def __post_init__(self) -> None:
        with schema_lock(self.engine, "console-accounts"):
            metadata.create_all(self.engine, checkfirst=True)

    @cached_property
    def _dummy(self) -> str:
        """A hash no password matches, verified when a name is unknown (made on first use:
        every app a test suite builds need not pay for it)."""
        return self.hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def on(cls, engine: Engine, clock: Clock | None = None) -> Accounts:
        return cls(engine, PasswordHasher(), clock or (lambda: datetime.now(UTC)))

    def set_password(self, principal: Principal, password: str) -> None:
        """Give `principal` this password (it signs in under its name)."""
        check_password(password)
        row = {
            "login": login_of(principal.name),
            "hash": self.hasher.hash(password),
            "set_at": self.clock(),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(passwords).where(passwords.c.principal_id == principal.id))
                conn.execute(passwords.insert().values(principal_id=principal.id, **row))
        except IntegrityError:
            raise LoginTakenError(
                f"another principal already signs in as {principal.name.strip()!r}"
            ) from None

    def holder(self, name: str) -> str | None:
        """The id of the principal signing in under `name`, if any (revoked or not)."""
        query = select(passwords.c.principal_id).where(passwords.c.login == login_of(name))
        with self.engine.connect() as conn:
            found: str | None = conn.execute(query).scalar()
        return found

    def forget(self, principal_id: str) -> None:
        """Remove a principal's password (its name is free for another)."""
        with self.engine.begin() as conn:
            conn.execute(delete(passwords).where(passwords.c.principal_id == principal_id))

    def verify(self, name: str, password: str) -> Principal | None:
        """The live principal signing in under `name` with `password`, or None. The same
        Argon2 work is done whether the name exists or not."""
        if len(name) > MAX_NAME or len(password) > MAX_PASSWORD:
            self._check(self._dummy, "")
            return None
        query = (
            select(principals, passwords.c.hash)
            .join(passwords, passwords.c.principal_id == principals.c.id)
            .where(passwords.c.login == login_of(name), principals.c.revoked_at.is_(None))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            self._check(self._dummy, password)
            return None
        if not self._check(row.hash, password):
            return None
        found = _principal(row._mapping)
        if self.hasher.check_needs_rehash(row.hash):  # the parameters changed since
            self._rehash(found.id, password)
        return found

    def invite(self, principal: Principal, days: int = INVITATION_DAYS) -> str:
        """A one-time token for `principal` to set their password (stored hashed)."""
        token = secrets.token_urlsafe(32)
        expires = self.clock() + timedelta(days=days)
        with self.engine.begin() as conn:
            conn.execute(
                invitations.insert().values(
                    token_hash=hash_token(token), principal_id=principal.id, expires_at=expires
                )
            )
        return token

    def invitation(self, token: str) -> Principal | None:
        """The live principal an unused, unexpired invitation is for, or None."""
        query = (
            select(principals, invitations.c.expires_at)
            .join(invitations, invitations.c.principal_id == principals.c.id)
            .where(
                invitations.c.token_hash == hash_token(token[:MAX_NAME]),
                invitations.c.used_at.is_(None),
                principals.c.revoked_at.is_(None),
            )
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or aware(row.expires_at) <= self.clock():
            return None
        return _principal(row._mapping)

    def redeem(self, token: str, password: str) -> Principal:
        """Set the password an invitation is for, and use the invitation up."""
        check_password(password)
        principal = self.invitation(token)
        if principal is None:
            raise InvitationInvalidError("this invitation link is unknown, used or expired")
        with self.engine.begin() as conn:
            used = conn.execute(
                update(invitations)
                .where(
                    invitations.c.token_hash == hash_token(token),
                    invitations.c.used_at.is_(None),
                )
                .values(used_at=self.clock())
            )
        if not used.rowcount:  # another request redeemed it first
            raise InvitationInvalidError("this invitation link is unknown, used or expired")
        self.set_password(principal, password)
        return principal

    def _check(self, hashed: str, password: str) -> bool:
        try:
            return bool(self.hasher.verify(hashed, password))
        except (VerificationError, InvalidHashError):
            return False

    def _rehash(self, principal_id: str, password: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(passwords)
                .where(passwords.c.principal_id == principal_id)
                .values(hash=self.hasher.hash(password))
            )
