"""What every `trustpath` command shares: the consoles and clean failures.

An expected failure is one line on stderr, `trustpath: <reason>`, and exit status 1,
never a traceback (`trustpath --debug ...` or TRUSTPATH_DEBUG=1 shows it). Expected:

    ConfigurationError      bad or missing configuration, a corrupt key file, a missing
                            ledger key in production, an unreachable PostgreSQL server
    MasterKeyError          the key store's data keys are wrapped by another master key
    TrustpathError          a broken rule, an unknown engagement, a bad value
    OSError                 a file or directory that cannot be read or written
    STORE_ERRORS            the database cannot be opened or reached, or fails (SQLite or
                            PostgreSQL)

Each command may add its own (`failing_cleanly_on(ReadSideError, ValueError)`); the
`trustpath` group itself catches EXPECTED for every command, decorated or not.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click
import psycopg
import sqlalchemy.exc
from eventsourcing import persistence
from rich.console import Console

from domain.ciphers import MasterKeyError
from domain.errors import ConfigurationError, TrustpathError
from ops.config import Settings, redacted

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])
STORE_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.OperationalError,
    psycopg.OperationalError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    persistence.OperationalError,
    persistence.InterfaceError,
)
EXPECTED: tuple[type[BaseException], ...] = (
    ConfigurationError,
    MasterKeyError,
    TrustpathError,
    OSError,
    *STORE_ERRORS,
)


class Debug:
    """Whether this run shows tracebacks (set by `trustpath --debug`)."""

    on = False


def reason(error: BaseException) -> str:
    """The error as one line: the store's errors name the store, never its password."""
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.orig is not None:
        error = error.orig  # SQLAlchemy's own text repeats the SQL and links its docs
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, STORE_ERRORS):
        url = redacted(Settings.from_environ().database_url)
        return f"the store at {url} failed: {text}"
    return text


def fail(error: BaseException) -> NoReturn:
    """Print the one line and exit 1; with --debug, raise the error with its traceback."""
    if Debug.on:
        raise error
    click.secho(f"trustpath: {reason(error)}", fg="red", err=True)
    sys.exit(1)


def failing_cleanly_on(*extra: type[BaseException]) -> Callable[[F], F]:
    """A decorator turning EXPECTED (and `extra`) errors into one line and exit status 1."""
    expected = (*EXPECTED, *extra)

    def decorate(command: F) -> F:
        @wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except expected as error:
                fail(error)

        return wrapper  # type: ignore[return-value]

    return decorate


fails_cleanly = failing_cleanly_on()


class CleanGroup(click.Group):
    """The `trustpath` group: an expected error from any command is one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EXPECTED as error:
            fail(error)
        except click.UsageError:
            raise  # click shows the usage with it: more than one line is the point
        except click.ClickException as error:  # a command's own refusal, same shape as ours
            if Debug.on:
                raise
            click.secho(f"trustpath: {error.format_message()}", fg="red", err=True)
            sys.exit(error.exit_code)
