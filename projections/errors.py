"""What goes wrong on the read side, each a `ReadSideError` naming what happened.

    ReadSideError
    ├── ProjectionFailedError     applying a page failed; nothing of it was written
    ├── PositionConflictError     another runner moved the position first (retried inside)
    ├── ProjectionNotFoundError   no projection of that name
    ├── ProjectionNotReadyError   the projection has no live version yet
    ├── PositionBeyondLogError    a position past the end of the notification log
    ├── ReadSideTimeoutError      a read-your-writes wait did not see the position in time
    └── ReadSideUnavailableError  the database does not answer (an outage): nothing was
                                  applied, the next catch-up resumes where this one stopped

A store error (`STORE_ERRORS`: the database cannot be reached, went away mid-way or refused
for lack of resources) becomes `ReadSideUnavailableError` (`unavailable`): its first line,
no internals.
"""

from __future__ import annotations

import psycopg
import sqlalchemy as sa
from eventsourcing.persistence import InterfaceError, OperationalError

STORE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
"""What the library, SQLAlchemy and psycopg raise when the database cannot be reached, went
away mid-way or refused for lack of resources: the read side waits and tries again."""


class ReadSideError(Exception):
    """Something on the read side went wrong; the message says what."""


class ProjectionFailedError(ReadSideError):
    """Applying a page failed; the view and its position are as they were before it."""

    def __init__(self, message: str, *, position: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.position = position
        """The first position of what failed (the failing event's, once isolated)."""
        self.reason = reason or message
        """The cause's type and short message, without event data (projections.failures)."""


class PositionConflictError(ReadSideError):
    """Another runner advanced this projection first; the page was not applied twice."""


class ProjectionNotFoundError(ReadSideError):
    """No projection has that name."""


class ProjectionNotReadyError(ReadSideError):
    """The projection has no live version yet (it is being built)."""


class PositionBeyondLogError(ReadSideError):
    """A position was asked for that is past the end of the notification log."""


class ReadSideTimeoutError(ReadSideError):
    """The projections did not reach the asked position before the timeout."""


class ReadSideUnavailableError(ReadSideError):
    """The database does not answer; the read side catches up once it does."""


def unavailable(error: Exception) -> ReadSideUnavailableError:
    """The read side's error for a store error (its first line, no internals)."""
    first = (str(error).strip().splitlines() or [""])[0][:200]
    return ReadSideUnavailableError(
        f"the database does not answer ({type(error).__name__}: {first})"
    )
