"""Files only their owner may read: the store, its keys and its exports.

    write_new(path, data)        a key file: written whole, or not at all; never replaces one
    replace(dir_fd, name, data)  an export: a new file renamed over NAME (a link there is
                                 replaced, never followed)
    create_store_file(path)      the SQLite database, created empty and 0600 before SQLite opens
                                 it, so that its -wal and -shm (SQLite gives them the
                                 database's mode) are 0600 too

Every file is first written under a fresh temporary name opened with O_CREAT|O_EXCL|
O_NOFOLLOW (a name planted in the directory is never opened), its mode set to 0600 whatever
the umask, synced, and only then linked or renamed onto its final name. A crash leaves
either the old file or the new one, plus at worst a `.NAME.*.tmp` file, never half a key.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

OWNER_ONLY = 0o600
PRIVATE_DIRECTORY = 0o700
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


@contextmanager
def directory(path: Path, create: bool = True) -> Iterator[int]:
    """The directory at `path` (created 0700 if missing and `create`), held open while files
    are written.

    Holding it open pins it: every file lands in this directory even if its path is
    swapped for a link to another one meanwhile.
    """
    if create:
        path.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield fd
        os.fsync(fd)
    finally:
        os.close(fd)


def replace(dir_fd: int, name: str, data: bytes) -> None:
    """Write `data` as `name` in the directory, replacing whatever entry has that name."""
    temporary = _write_temporary(dir_fd, name, data)
    try:
        os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        _remove(dir_fd, temporary)
        raise


def write_new(path: Path, data: bytes) -> None:
    """Write `data` at `path`; FileExistsError if anything (a file, a link) is there already."""
    with directory(path.parent) as dir_fd:
        temporary = _write_temporary(dir_fd, path.name, data)
        try:
            os.link(temporary, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        finally:
            _remove(dir_fd, temporary)


def create_store_file(path: Path) -> None:
    """Make sure the SQLite database at `path` and its companions are 0600.

    A missing database is created empty (SQLite takes an empty file for a new database);
    an existing one, and its -wal, -shm or -journal, is narrowed to 0600 if it is ours
    and readable by others (a store written before files were created 0600).
    """
    path.parent.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    try:
        fd = os.open(path, _NEW, OWNER_ONLY)
    except FileExistsError:
        for suffix in _SQLITE_COMPANIONS:
            _narrow(Path(f"{path}{suffix}"))
        return
    try:
        os.fchmod(fd, OWNER_ONLY)
    finally:
        os.close(fd)


def _narrow(path: Path) -> None:
    try:
        found = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return
    ours = found.st_uid == os.geteuid() and stat.S_ISREG(found.st_mode)
    if ours and found.st_mode & 0o077:
        os.chmod(path, OWNER_ONLY)


def _write_temporary(dir_fd: int, name: str, data: bytes) -> str:
    temporary = f".{name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temporary, _NEW, OWNER_ONLY, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), OWNER_ONLY)  # whatever the umask took or left
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        _remove(dir_fd, temporary)
        raise
    return temporary


def _remove(dir_fd: int, name: str) -> None:
    with suppress(FileNotFoundError):
        os.unlink(name, dir_fd=dir_fd)
