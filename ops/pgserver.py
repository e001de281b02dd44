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
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

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

APP_ROLE = "trustpath"
APP_DATABASE = "trustpath"
SUPERUSER = "postgres"
PG_OS_USER = "postgres"
HOST = "127.0.0.1"

MARKER_NAME = ".pgserver"
REDIRECT_NAME = "pgserver.redirect"
LOCK_NAME = ".pgserver.lock"
INITIALIZED_NAME = ".pgserver.initialized"
LOG_NAME = "postgres.log"
DATA_NAME = "data"

SERVER_SETTINGS: dict[str, str] = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}

PG_CTL_TIMEOUT_S = 30
PORT_ATTEMPTS = 3
# sun_path is 108 bytes including the NUL; PostgreSQL rejects longer socket paths.
MAX_SOCKET_PATH = 107
_SOCKET_SUFFIX = "/.s.PGSQL.65535"
_DB_NAME_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PgServerError(RuntimeError):
    """The throwaway server could not be started, stopped or used."""


# --------------------------------------------------------------------------- helpers


def _one_line(text: str) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def _note(message: str) -> None:
    print(f"pgserver: note: {message}", file=sys.stderr, flush=True)


def _is_root() -> bool:
    return os.geteuid() == 0


def _child_env() -> dict[str, str]:
    """Environment for PostgreSQL tools: no stray PG* settings, C messages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


def _as_postgres(argv: Sequence[str]) -> list[str]:
    """Wrap ``argv`` so it runs as the ``postgres`` OS user when we are root."""
    if not _is_root():
        return list(argv)
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", PG_OS_USER, "--", *argv]
    su = shutil.which("su") or "su"
    return [su, PG_OS_USER, "-s", "/bin/sh", "-c", shlex.join(argv)]


def _run(
    argv: Sequence[str], *, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd="/",
            env=env if env is not None else _child_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PgServerError(f"timed out after {timeout:.0f}s: {shlex.join(argv)}") from exc
    except OSError as exc:
        raise PgServerError(f"cannot run {argv[0]}: {exc}") from exc


def _run_pg(argv: Sequence[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return _run(_as_postgres(argv), timeout=timeout)


def _log_tail(home: Path, lines: int = 8) -> str:
    try:
        text = (home / LOG_NAME).read_text(errors="replace")
    except OSError:
        return "no postgres.log"
    tail = _one_line("\n".join(text.splitlines()[-lines:]))
    return f"postgres.log tail: {tail}" if tail else "postgres.log is empty"


def _fail(
    message: str, home: Path | None = None, proc: subprocess.CompletedProcess[str] | None = None
) -> PgServerError:
    parts = [message]
    if proc is not None:
        output = _one_line(proc.stderr or proc.stdout or "")
        if output:
            parts.append(f"(exit {proc.returncode}: {output})")
    if home is not None:
        parts.append(f"-- {_log_tail(home)}")
    return PgServerError(" ".join(parts))


# --------------------------------------------------------------------------- binaries


def _has_server_binaries(bindir: Path) -> bool:
    return all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


def _version_key(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """Directory holding ``initdb``/``pg_ctl``/``postgres``, or None when not installed."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(PgServerError):
            proc = _run([pg_config, "--bindir"], timeout=30)
            if proc.returncode == 0 and proc.stdout.strip():
                bindir = Path(proc.stdout.strip())
                if _has_server_binaries(bindir):
                    return bindir
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if _has_server_binaries(p)]
    if candidates:
        return max(candidates, key=_version_key)
    return None


def _install_postgresql() -> None:
    if not _is_root():
        raise PgServerError(
            "no PostgreSQL binaries found (pg_config --bindir, /usr/lib/postgresql/*/bin) and not "
            "root, so cannot apt-get install postgresql-15; install PostgreSQL 15 or put pg_config "
            "on PATH"
        )
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise PgServerError("no PostgreSQL binaries found and no apt-get to install them with")
    env = _child_env()
    env["DEBIAN_FRONTEND"] = "noninteractive"
    _note("no PostgreSQL binaries found; installing them with apt-get (one-time)")
    proc = _run([apt_get, "update", "-q"], timeout=600, env=env)
    if proc.returncode != 0:
        raise _fail("apt-get update failed", proc=proc)
    package = "postgresql"
    apt_cache = shutil.which("apt-cache")
    if apt_cache:
        show = _run([apt_cache, "show", "postgresql-15"], timeout=60, env=env)
        if show.returncode == 0 and "Package:" in show.stdout:
            package = "postgresql-15"
    proc = _run(
        [apt_get, "install", "-y", "-q", "--no-install-recommends", package], timeout=1200, env=env
    )
    if proc.returncode != 0:
        raise _fail(f"apt-get install {package} failed", proc=proc)


def _require_bindir() -> Path:
    bindir = find_bindir()
    if bindir is None:
        _install_postgresql()
        bindir = find_bindir()
    if bindir is None:
        raise PgServerError("PostgreSQL was installed but initdb/pg_ctl/postgres are still missing")
    if _is_root():
        try:
            pwd.getpwnam(PG_OS_USER)
        except KeyError as exc:
            raise PgServerError(
                f"running as root but there is no {PG_OS_USER!r} OS user to run PostgreSQL as"
            ) from exc
    return bindir


# --------------------------------------------------------------------------- directories


def _chown_to_postgres(path: Path) -> None:
    if _is_root():
        entry = pwd.getpwnam(PG_OS_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _postgres_can_use(directory: Path) -> str | None:
    """Why the server cannot live in ``directory``, or None when it can."""
    if len(str(directory)) + len(_SOCKET_SUFFIX) > MAX_SOCKET_PATH:
        return f"{directory} is too long for a unix socket path"
    if _is_root():
        proc = _run(_as_postgres(["test", "-x", str(directory.parent)]), timeout=30)
        if proc.returncode != 0:
            return f"the {PG_OS_USER} OS user cannot traverse {directory.parent}"
    return None


def _home_of(directory: Path) -> Path | None:
    """Where the server of ``directory`` lives (it may be relocated), None if not ours."""
    redirect = directory / REDIRECT_NAME
    if redirect.is_file():
        target = Path(redirect.read_text().strip())
        return target if (target / MARKER_NAME).is_file() else None
    if (directory / MARKER_NAME).is_file():
        return directory
    return None


def _is_ours_or_empty(directory: Path) -> bool:
    if not directory.exists():
        return True
    if not directory.is_dir():
        return False
    names = {p.name for p in directory.iterdir()} - {LOCK_NAME}
    return not names or MARKER_NAME in names or REDIRECT_NAME in names


def _write_marker(directory: Path) -> None:
    (directory / MARKER_NAME).write_text("throwaway PostgreSQL server of ops.pgserver\n")


def _prepare_home(directory: Path) -> Path:
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
    _note(f"{reason}; using {home} instead (recorded in {directory / REDIRECT_NAME})")
    return home


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise start/stop of one DIR across processes."""
    with open(directory / LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- server


def server_url(port: int) -> str:
    """URL of the ``trustpath`` database on a server started by this module."""
    return f"postgresql://{APP_ROLE}@{HOST}:{port}/{APP_DATABASE}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _is_running(bindir: Path, home: Path) -> bool:
    data = home / DATA_NAME
    if not (data / "postmaster.pid").is_file():
        return False
    proc = _run_pg([str(bindir / "pg_ctl"), "status", "-D", str(data)], timeout=30)
    return proc.returncode == 0


def _running_port(home: Path) -> int:
    """Port from ``postmaster.pid`` (line 4)."""
    pidfile = home / DATA_NAME / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
        return int(lines[3])
    except (OSError, IndexError, ValueError) as exc:
        raise _fail(f"cannot read the port from {pidfile}", home) from exc


def _conf_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _initdb(bindir: Path, home: Path) -> None:
    data = home / DATA_NAME
    if data.exists():  # left over from an interrupted initdb
        shutil.rmtree(data)
    proc = _run_pg(
        [
            str(bindir / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        ]
    )
    if proc.returncode != 0:
        raise _fail("initdb failed", proc=proc)
    settings = {**SERVER_SETTINGS, "unix_socket_directories": str(home)}
    block = "\n# --- ops.pgserver: throwaway test server ---\n" + "".join(
        f"{key} = {_conf_quote(value)}\n" for key, value in settings.items()
    )
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(block)
    (home / INITIALIZED_NAME).write_text("initdb done\n")


def _pg_ctl_start(bindir: Path, home: Path, port: int) -> subprocess.CompletedProcess[str]:
    return _run_pg(
        [
            str(bindir / "pg_ctl"),
            "start",
            "-w",
            "-t",
            str(PG_CTL_TIMEOUT_S),
            "-D",
            str(home / DATA_NAME),
            "-l",
            str(home / LOG_NAME),
            "-o",
            f"-p {port}",
        ],
        timeout=PG_CTL_TIMEOUT_S + 30,
    )


def _port_taken(home: Path) -> bool:
    try:
        text = (home / LOG_NAME).read_text(errors="replace")
    except OSError:
        return False
    tail = "\n".join(text.splitlines()[-20:])
    return "Address already in use" in tail or "could not create any TCP/IP sockets" in tail


def _launch(bindir: Path, home: Path, port: int | None) -> int:
    """Start the server; return its port."""
    attempts = 1 if port is not None else PORT_ATTEMPTS
    for attempt in range(attempts):
        chosen = port if port is not None else _free_port()
        proc = _pg_ctl_start(bindir, home, chosen)
        if proc.returncode == 0:
            return chosen
        if attempt + 1 < attempts and _port_taken(home) and not _is_running(bindir, home):
            continue
        raise _fail(f"pg_ctl start on port {chosen} failed", home, proc)
    raise AssertionError("unreachable")


def _stop_server(bindir: Path, home: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return _run_pg(
        [
            str(bindir / "pg_ctl"),
            "stop",
            "-w",
            "-t",
            str(PG_CTL_TIMEOUT_S),
            "-m",
            mode,
            "-D",
            str(home / DATA_NAME),
        ],
        timeout=PG_CTL_TIMEOUT_S + 30,
    )


def _ensure_app_database(port: int) -> None:
    """Create the ``trustpath`` superuser role and the database it owns, if missing."""
    with psycopg.connect(
        host=HOST, port=port, user=SUPERUSER, dbname="postgres", autocommit=True, connect_timeout=10
    ) as conn:
        role = sql.Identifier(APP_ROLE)
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone():
            conn.execute(sql.SQL("ALTER ROLE {} WITH LOGIN SUPERUSER").format(role))
        else:
            conn.execute(sql.SQL("CREATE ROLE {} WITH LOGIN SUPERUSER").format(role))
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [APP_DATABASE]
        ).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(APP_DATABASE), role)
            )


def start(dir: Path, port: int | None = None) -> str:
    """Start (or find already running) the throwaway server of ``dir``; return its URL.

    Raises PgServerError with a one-line reason (including the tail of
    postgres.log where there is one) when the server cannot be started.
    """
    directory = Path(dir).absolute()
    if port is not None and not 0 < port < 65536:
        raise PgServerError(f"invalid port {port}")
    if not _is_ours_or_empty(directory):
        raise PgServerError(f"{directory} exists and was not created by ops.pgserver; refusing")
    bindir = _require_bindir()
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):
        home = _home_of(directory)
        if home is not None and _is_running(bindir, home):
            running = _running_port(home)
            if port is not None and port != running:
                _note(f"server of {directory} is already running on port {running}, not {port}")
            try:
                _ensure_app_database(running)
            except psycopg.Error as exc:
                raise _fail(f"server is running but unusable: {_one_line(str(exc))}", home) from exc
            return server_url(running)
        if home is None:
            home = _prepare_home(directory)
        if not (home / INITIALIZED_NAME).is_file():
            _initdb(bindir, home)
        chosen = _launch(bindir, home, port)
        try:
            _ensure_app_database(chosen)
        except psycopg.Error as exc:
            _stop_server(bindir, home, "immediate")
            raise _fail(
                f"server started on port {chosen} but setting up {APP_DATABASE!r} failed: "
                f"{_one_line(str(exc))}",
                home,
            ) from exc
        return server_url(chosen)


def halt(dir: Path, mode: str = "fast") -> None:
    """Stop the server of ``dir`` (``pg_ctl stop -m fast|immediate|smart``), keeping its
    data: ``start(dir, port)`` brings it back on the same port (fault tests restart it)."""
    directory = Path(dir).absolute()
    with _locked(directory):
        home = _home_of(directory)
        bindir = find_bindir()
        if home is None or bindir is None or not _is_running(bindir, home):
            return
        proc = _stop_server(bindir, home, mode)
        if proc.returncode != 0 and _is_running(bindir, home):
            raise _fail(f"pg_ctl stop -m {mode} failed", home, proc)


def port_of(dir: Path) -> int:
    """The port the server of ``dir`` runs on."""
    home = _home_of(Path(dir).absolute())
    if home is None:
        raise PgServerError(f"no server of ops.pgserver in {dir}")
    return _running_port(home)


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
    if not _is_ours_or_empty(directory):
        raise PgServerError(f"{directory} was not created by ops.pgserver; refusing to remove it")
    with _locked(directory):
        home = _home_of(directory)
        if home is not None and (home / DATA_NAME / "postmaster.pid").is_file():
            bindir = find_bindir()
            if bindir is None:
                raise PgServerError(f"{home} may hold a running server but pg_ctl was not found")
            if _is_running(bindir, home):
                proc = _stop_server(bindir, home, "fast")
                if proc.returncode != 0 and _is_running(bindir, home):
                    proc = _stop_server(bindir, home, "immediate")
                    if proc.returncode != 0:
                        raise _fail("pg_ctl stop failed", home, proc)
        if home is not None and home != directory:
            _remove_tree(home)
        _remove_tree(directory)


# --------------------------------------------------------------------------- databases


def _with_dbname(url: str, dbname: str) -> str:
    """``url`` pointing at database ``dbname`` (URL or key=value conninfo)."""
    if "://" in url:
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))
    return make_conninfo(url, dbname=dbname)


def _dbname_of(url: str) -> str:
    return str(psycopg.conninfo.conninfo_to_dict(url).get("dbname") or "")


def _admin_url(url: str, name: str) -> str:
    """A URL on the same server for CREATE/DROP DATABASE ``name`` (never ``name`` itself)."""
    return _with_dbname(url, "postgres") if _dbname_of(url) in {"", name} else url


def _check_name(name: str) -> None:
    if not _DB_NAME_RE.fullmatch(name):
        raise ValueError(f"database name must match {_DB_NAME_RE.pattern}: {name!r}")


def create_database(url: str, name: str) -> str:
    """Create an empty database ``name`` on the server of ``url``; return its URL.

    ``name`` must be a plain lower-case identifier (``[a-z_][a-z0-9_]*``, at most
    63 characters).  The role of ``url`` needs CREATEDB (``trustpath`` is a
    superuser) and becomes the owner.
    """
    _check_name(name)
    with psycopg.connect(_admin_url(url, name), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_dbname(url, name)


def drop_database(url: str, name: str) -> None:
    """Terminate the connections to database ``name`` on the server of ``url``, then drop it.

    Does nothing when the database does not exist.
    """
    _check_name(name)
    with psycopg.connect(_admin_url(url, name), autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# --------------------------------------------------------------------------- command line


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
        print(f"pgserver {args.command}: {_one_line(str(exc))}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
