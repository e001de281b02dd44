"""Backups of a live store and restores into an empty one: the mechanics, no output.

    SQLite      the online backup API: a consistent copy of the live file while writers
                go on (WAL), itself a SQLite file; restored by checking it
                (`PRAGMA quick_check`) and copying it back the same way
    PostgreSQL  `pg_dump --format=custom`: a consistent snapshot while writers go on;
                restored with `pg_restore --single-transaction --exit-on-error`, so that a
                corrupt or truncated file leaves the target database as empty as it was;
                run both as the database's owner: the least-privilege application role
                (ops/db/app_role.sql) may not read every table, and its grants come back
                with the dump (pg_restore refuses when that role does not exist yet)

A backup file's first bytes say which it is ("SQLite format 3", "PGDMP"). It is written to a
private (0600) temporary file in the destination's directory and renamed over the
destination only once complete and checked: a crash leaves no half-written backup under
the chosen name, and a symlink at the destination is replaced, never followed. The
PostgreSQL tools come from the server's own installation (`pg_config --bindir`, else the
newest /usr/lib/postgresql/*/bin), as the throwaway test server's do.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import psycopg

from ops.pgserver import find_bindir
from projections.ledger.source import is_postgres, pg_conninfo, sqlite_path

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
Say = Callable[[str], None]
Pages = Callable[[int, int], None]


class BackupError(RuntimeError):
    """The backup or restore cannot be done as asked (the reason is the message)."""


def kind_of(file: Path) -> str:
    """'sqlite' or 'postgresql', from the file's first bytes."""
    with file.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError(f"{file} is not a trustpath backup (neither a SQLite file nor a pg_dump)")


def store_kind(url: str) -> str:
    return "postgresql" if is_postgres(url) else "sqlite"


@contextlib.contextmanager
def staged(destination: Path) -> Iterator[Path]:
    """A private temporary file beside `destination`, renamed onto it if the block succeeds."""
    directory = destination.parent if str(destination.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=directory)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(temporary, destination)
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            leftover = Path(f"{temporary}{suffix}")
            leftover.unlink(missing_ok=True)


def backup_sqlite(url: str, to: Path, pages: Pages) -> None:
    """Copy the live SQLite store into `to` (an existing empty file) with the backup API."""
    source = Path(sqlite_path(url))
    if not source.is_file():
        raise BackupError(f"no SQLite store at {source}")
    try:
        with (
            closing(sqlite3.connect(source, timeout=30)) as src,  # not read-only: a WAL reader
            closing(sqlite3.connect(to)) as dst,  # may need to create the -shm file
        ):
            # one step: a single read snapshot, so concurrent writers never restart the copy
            src.backup(dst, pages=-1, progress=lambda _s, left, total: pages(total - left, total))
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside
    except sqlite3.Error as error:
        raise BackupError(f"the SQLite store {source} could not be copied ({error})") from None


def check_sqlite(file: Path) -> None:
    """The file is a whole, readable SQLite database (`PRAGMA quick_check`)."""
    try:
        with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as db:
            found = [row[0] for row in db.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{file} is corrupt or truncated ({error})") from None
    if found != ["ok"]:
        raise BackupError(f"{file} is corrupt or truncated ({found[0]})")


def restore_sqlite(file: Path, to: Path) -> None:
    """Copy a checked SQLite backup into `to` (an existing empty file)."""
    check_sqlite(file)
    try:
        with (
            closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(to)) as dst,
        ):
            src.backup(dst)
    except sqlite3.Error as error:
        raise BackupError(f"{file} could not be restored ({error})") from None


def sqlite_is_empty(url: str) -> bool:
    path = Path(sqlite_path(url))
    if not path.exists() or path.stat().st_size == 0:
        return True
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        count: int = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return count == 0


def pg_is_empty(url: str) -> bool:
    with psycopg.connect(pg_conninfo(url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r', 'p', 'v', 'S')"
        ).fetchone()
    return row is not None and row[0] == 0


def is_empty(url: str) -> bool:
    return pg_is_empty(url) if is_postgres(url) else sqlite_is_empty(url)


def pg_tool(name: str) -> str:
    """The path of pg_dump or pg_restore, from the PostgreSQL installation."""
    bindir = find_bindir()
    if bindir is not None and (bindir / name).is_file():
        return str(bindir / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"no {name} found (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH)")
    return found


def run_pg_tool(args: list[str], say: Say) -> None:
    """Run a PostgreSQL tool, passing each line it reports to `say`; its last line on failure."""
    with subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace"
    ) as proc:
        assert proc.stderr is not None
        lines: list[str] = []
        for line in proc.stderr:
            lines.append(line.strip())
            say(line.strip())
    if proc.returncode != 0:
        errors = [line for line in lines if "error" in line.lower()] or lines or ["no output"]
        raise BackupError(f"{Path(args[0]).name} failed: {errors[0]}")


def backup_pg(url: str, to: Path, say: Say) -> None:
    dump = pg_tool("pg_dump")
    run_pg_tool([dump, "--format=custom", "--verbose", f"--file={to}", pg_conninfo(url)], say)
    run_pg_tool([pg_tool("pg_restore"), "--list", str(to)], lambda _line: None)


def restore_pg(file: Path, url: str, say: Say) -> None:
    """pg_restore in one transaction: all of the backup, or nothing."""
    restore = pg_tool("pg_restore")
    run_pg_tool([restore, "--list", str(file)], lambda _line: None)
    run_pg_tool(
        [
            restore,
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",  # the restoring role (the database's owner) owns what it restores
            "--verbose",
            f"--dbname={pg_conninfo(url)}",
            str(file),
        ],
        say,
    )
