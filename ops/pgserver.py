"""Start and stop a throwaway PostgreSQL server for the test suite and benchmarks.

The server is private to one directory (``DIR``) and is meant to be thrown away:
durability is switched off (``fsync``, ``synchronous_commit`` and
``full_page_writes`` are ``off``), authentication is ``trust`` and it only
listens on ``127.0.0.1``.  Never point it at data you care about.

Command line::

    python -m ops.pgserver start --dir DIR [--port N]   # prints the URL, one line
    python -m ops.pgserver stop --dir DIR               # stops it and removes DIR

``start`` prints exactly one line on stdout,
``postgresql://trustpath@127.0.0.1:PORT/trustpath``; notes go to stderr.  It is
idempotent: when DIR already holds a running server, its URL is printed again.
On failure it exits non-zero with a one-line reason on stderr that includes the
tail of ``postgres.log``.  ``stop`` exits 0 when nothing was running.

Python API (used by ``tests/support/pg_fixture.py``)::

    start(dir, port=None) -> url       stop(dir) -> None
    halt(dir, mode) -> None            port_of(dir) -> int   (stop, keep the data: restarts)
    create_database(url, name) -> url  drop_database(url, name) -> None

What ``start`` does:

1. Finds the PostgreSQL binaries: ``pg_config --bindir``, else the newest
   ``/usr/lib/postgresql/*/bin``.  When there are none and the process runs as
   root, it installs Debian's ``postgresql-15`` (or ``postgresql`` when 15 is not
   available) with apt-get; otherwise it fails with a one-line reason.
2. Runs ``initdb`` (trust auth, UTF8, locale C, superuser ``postgres``) into
   ``DIR/data`` and appends the server settings to ``postgresql.conf``:
   ``listen_addresses=127.0.0.1``, ``unix_socket_directories=DIR`` (so
   ``/var/run/postgresql`` is not needed), ``max_connections=200`` and the
   durability switches above.
3. ``pg_ctl start -w`` on the given port, or on a free port found by binding a
   socket to port 0 (retried when another process grabs it first), logging to
   ``DIR/postgres.log``.
4. Creates the superuser role ``trustpath`` and the database ``trustpath`` it owns.

Running as root: PostgreSQL refuses to run as root, so every ``initdb`` and
``pg_ctl`` call runs as the ``postgres`` OS user (``runuser``, else ``su``) and
DIR is chowned to it.  When ``postgres`` cannot traverse DIR's parent (e.g.
pytest's ``/tmp/pytest-of-root`` is mode 0700), or when DIR is too long for a
unix socket path, the server lives in a fresh ``/tmp/trustpath-pg-*`` directory
instead; a note says so on stderr and ``DIR/pgserver.redirect`` records where,
so that ``start`` (idempotence) and ``stop`` (cleanup) find it.

``stop`` and the removal of DIR only touch directories that carry the
``.pgserver`` marker file written by ``start``: an unrelated directory is never
deleted.

This module is the entry point; the parts live beside it: ``pg_tools.py`` (finding,
installing and running the binaries), ``pg_homes.py`` (DIR, its stand-in and markers),
``pg_cluster.py`` (initdb, pg_ctl) and ``pg_databases.py`` (the databases on the server).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import psycopg

from ops.pg_cluster import initdb, is_running, launch, running_port, stop_server
from ops.pg_databases import create_database, drop_database, ensure_app_database, server_url
from ops.pg_homes import home_of, is_ours_or_empty, locked, prepare_home
from ops.pg_tools import (
    APP_DATABASE,
    APP_ROLE,
    DATA_NAME,
    INITIALIZED_NAME,
    PgServerError,
    failure,
    find_bindir,
    note,
    one_line,
    require_bindir,
)

__all__ = [
    "APP_DATABASE",
    "APP_ROLE",
    "PgServerError",
    "create_database",
    "drop_database",
    "find_bindir",
    "halt",
    "main",
    "port_of",
    "server_url",
    "start",
    "stop",
]


def start(dir: Path, port: int | None = None) -> str:
    """Start (or find already running) the throwaway server of ``dir``; return its URL.

    Raises PgServerError with a one-line reason (including the tail of
    postgres.log where there is one) when the server cannot be started.
    """
    directory = Path(dir).absolute()
    if port is not None and not 0 < port < 65536:
        raise PgServerError(f"invalid port {port}")
    if not is_ours_or_empty(directory):
        raise PgServerError(f"{directory} exists and was not created by ops.pgserver; refusing")
    bindir = require_bindir()
    directory.mkdir(parents=True, exist_ok=True)
    with locked(directory):
        home = home_of(directory)
        if home is not None and is_running(bindir, home):
            running = running_port(home)
            if port is not None and port != running:
                note(f"server of {directory} is already running on port {running}, not {port}")
            try:
                ensure_app_database(running)
            except psycopg.Error as exc:
                raise failure(
                    f"server is running but unusable: {one_line(str(exc))}", home
                ) from exc
            return server_url(running)
        if home is None:
            home = prepare_home(directory)
        if not (home / INITIALIZED_NAME).is_file():
            initdb(bindir, home)
        chosen = launch(bindir, home, port)
        try:
            ensure_app_database(chosen)
        except psycopg.Error as exc:
            stop_server(bindir, home, "immediate")
            raise failure(
                f"server started on port {chosen} but setting up {APP_DATABASE!r} failed: "
                f"{one_line(str(exc))}",
                home,
            ) from exc
        return server_url(chosen)


def halt(dir: Path, mode: str = "fast") -> None:
    """Stop the server of ``dir`` (``pg_ctl stop -m fast|immediate|smart``), keeping its
    data: ``start(dir, port)`` brings it back on the same port (fault tests restart it)."""
    directory = Path(dir).absolute()
    with locked(directory):
        home = home_of(directory)
        bindir = find_bindir()
        if home is None or bindir is None or not is_running(bindir, home):
            return
        proc = stop_server(bindir, home, mode)
        if proc.returncode != 0 and is_running(bindir, home):
            raise failure(f"pg_ctl stop -m {mode} failed", home, proc)


def port_of(dir: Path) -> int:
    """The port the server of ``dir`` runs on."""
    home = home_of(Path(dir).absolute())
    if home is None:
        raise PgServerError(f"no server of ops.pgserver in {dir}")
    return running_port(home)


def _remove_tree(path: Path) -> None:
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise PgServerError(f"cannot remove {path}: {exc}") from exc


def stop(dir: Path) -> None:
    """Stop the throwaway server of ``dir`` (fast shutdown) and remove ``dir``.

    Does nothing when ``dir`` does not exist.  Refuses to delete a directory that
    ``start`` did not create.
    """
    directory = Path(dir).absolute()
    if not directory.exists():
        return
    if not is_ours_or_empty(directory):
        raise PgServerError(f"{directory} was not created by ops.pgserver; refusing to remove it")
    with locked(directory):
        home = home_of(directory)
        if home is not None and (home / DATA_NAME / "postmaster.pid").is_file():
            bindir = find_bindir()
            if bindir is None:
                raise PgServerError(f"{home} may hold a running server but pg_ctl was not found")
            if is_running(bindir, home):
                proc = stop_server(bindir, home, "fast")
                if proc.returncode != 0 and is_running(bindir, home):
                    proc = stop_server(bindir, home, "immediate")
                    if proc.returncode != 0:
                        raise failure("pg_ctl stop failed", home, proc)
        if home is not None and home != directory:
            _remove_tree(home)
        _remove_tree(directory)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m ops.pgserver",
        description="Start/stop a throwaway PostgreSQL server on 127.0.0.1 (tests, benchmarks).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start_cmd = commands.add_parser("start", help="start the server; print its URL")
    start_cmd.add_argument("--dir", type=Path, required=True, help="directory of the server")
    start_cmd.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    stop_cmd = commands.add_parser("stop", help="stop the server and remove its directory")
    stop_cmd.add_argument("--dir", type=Path, required=True, help="directory of the server")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            print(start(args.dir, args.port), flush=True)
        else:
            stop(args.dir)
    except (PgServerError, OSError, psycopg.Error) as exc:
        print(f"pgserver {args.command}: {one_line(str(exc))}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
