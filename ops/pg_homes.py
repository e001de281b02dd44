"""Where a throwaway server lives: its directory, or a /tmp stand-in, and their markers.

Only directories carrying the ``.pgserver`` marker are ever reused or removed. When the
``postgres`` OS user cannot traverse the directory's parent, or the path is too long for a
unix socket, the server lives in a fresh ``/tmp/trustpath-pg-*`` directory that
``pgserver.redirect`` records. `locked` serialises start and stop of one directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ops.pg_tools import (
    LOCK_NAME,
    MARKER_NAME,
    PG_OS_USER,
    REDIRECT_NAME,
    as_postgres,
    is_root,
    note,
    run,
)

# sun_path is 108 bytes including the NUL; PostgreSQL rejects longer socket paths.
MAX_SOCKET_PATH = 107
_SOCKET_SUFFIX = "/.s.PGSQL.65535"


def _chown_to_postgres(path: Path) -> None:
    if is_root():
        entry = pwd.getpwnam(PG_OS_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _postgres_can_use(directory: Path) -> str | None:
    """Why the server cannot live in ``directory``, or None when it can."""
    if len(str(directory)) + len(_SOCKET_SUFFIX) > MAX_SOCKET_PATH:
        return f"{directory} is too long for a unix socket path"
    if is_root():
        proc = run(as_postgres(["test", "-x", str(directory.parent)]), timeout=30)
        if proc.returncode != 0:
            return f"the {PG_OS_USER} OS user cannot traverse {directory.parent}"
    return None


def home_of(directory: Path) -> Path | None:
    """Where the server of ``directory`` lives (it may be relocated), None if not ours."""
    redirect = directory / REDIRECT_NAME
    if redirect.is_file():
        target = Path(redirect.read_text().strip())
        return target if (target / MARKER_NAME).is_file() else None
    if (directory / MARKER_NAME).is_file():
        return directory
    return None


def is_ours_or_empty(directory: Path) -> bool:
    if not directory.exists():
        return True
    if not directory.is_dir():
        return False
    names = {p.name for p in directory.iterdir()} - {LOCK_NAME}
    return not names or MARKER_NAME in names or REDIRECT_NAME in names


def _write_marker(directory: Path) -> None:
    (directory / MARKER_NAME).write_text("throwaway PostgreSQL server of ops.pgserver\n")


def prepare_home(directory: Path) -> Path:
    """Make ``directory`` (or a /tmp stand-in) ready for initdb; return the server's home."""
    _write_marker(directory)
    reason = _postgres_can_use(directory)
    if reason is None:
        _chown_to_postgres(directory)
        return directory
    home = Path(tempfile.mkdtemp(prefix="trustpath-pg-", dir="/tmp"))
    _write_marker(home)
    _chown_to_postgres(home)
    (directory / REDIRECT_NAME).write_text(f"{home}\n")
    note(f"{reason}; using {home} instead (recorded in {directory / REDIRECT_NAME})")
    return home


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Serialise start/stop of one DIR across processes."""
    with open(directory / LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
