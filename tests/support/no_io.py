"""The `unit` marker's promise, enforced: a unit test does no I/O.

While a test marked `unit` runs (its fixtures included), opening a file for writing,
`sqlite3.connect` on anything but an in-memory database, and creating, binding or
connecting a socket raise `UnitTestIOError`. Reading files stays allowed (modules, the
golden corpus, the test's own data), and so does Hypothesis's example database, which
belongs to the test runner rather than to the code under test. Whatever needs a file or a
server is an `integration` test (or `api`, `e2e`).
"""

from __future__ import annotations

import builtins
import io
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis.configuration import storage_directory

WRITING = frozenset("wax+")


class UnitTestIOError(AssertionError):
    """A unit test does no I/O: it runs on the aggregate or an in-memory store."""


def _in_memory(database: object) -> bool:
    name = str(database)
    return name == ":memory:" or "mode=memory" in name


def _runner_owned(path: object) -> bool:
    try:
        runner = storage_directory(intent_to_write=False).home_directory
        return Path(str(path)).resolve().is_relative_to(Path(runner).resolve())
    except (OSError, TypeError, ValueError):
        return False


@contextmanager
def refusing_io(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make file writes, on-disk SQLite and sockets raise until the block ends."""
    real_open, real_connect = io.open, sqlite3.connect

    def guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if WRITING & set(mode) and not isinstance(file, int) and not _runner_owned(file):
            raise UnitTestIOError(f"a unit test opened {file!r} for writing ({mode!r})")
        return real_open(file, mode, *args, **kwargs)

    def guarded_connect(database: Any, *args: Any, **kwargs: Any) -> Any:
        if not _in_memory(database):
            raise UnitTestIOError(f"a unit test connected to the SQLite file {database!r}")
        return real_connect(database, *args, **kwargs)

    def no_socket(*args: Any, **kwargs: Any) -> Any:
        raise UnitTestIOError("a unit test used a socket")

    with monkeypatch.context() as patch:
        patch.setattr(builtins, "open", guarded_open)
        patch.setattr(io, "open", guarded_open)
        patch.setattr(sqlite3, "connect", guarded_connect)
        for name in ("__init__", "bind", "connect", "connect_ex"):
            patch.setattr(socket.socket, name, no_socket)
        patch.setattr(socket, "create_connection", no_socket)
        yield
