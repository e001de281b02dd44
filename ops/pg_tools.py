"""The PostgreSQL binaries of the throwaway server, and running them.

`find_bindir` looks for them (`pg_config --bindir`, else the newest
``/usr/lib/postgresql/*/bin``) and `require_bindir` installs Debian's package when they are
missing and the process runs as root. `run_pg` runs a tool as the ``postgres`` OS user
when we are root (PostgreSQL refuses to run as root). Every failure is a `PgServerError`
with a one-line reason, the tail of ``postgres.log`` included where there is one.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

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


class PgServerError(RuntimeError):
    """The throwaway server could not be started, stopped or used."""


def one_line(text: str) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def note(message: str) -> None:
    print(f"pgserver: note: {message}", file=sys.stderr, flush=True)


def is_root() -> bool:
    return os.geteuid() == 0


def _child_env() -> dict[str, str]:
    """Environment for PostgreSQL tools: no stray PG* settings, C messages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


def as_postgres(argv: Sequence[str]) -> list[str]:
    """Wrap ``argv`` so it runs as the ``postgres`` OS user when we are root."""
    if not is_root():
        return list(argv)
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", PG_OS_USER, "--", *argv]
    su = shutil.which("su") or "su"
    return [su, PG_OS_USER, "-s", "/bin/sh", "-c", shlex.join(argv)]


def run(
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


def run_pg(argv: Sequence[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return run(as_postgres(argv), timeout=timeout)


def _log_tail(home: Path, lines: int = 8) -> str:
    try:
        text = (home / LOG_NAME).read_text(errors="replace")
    except OSError:
        return "no postgres.log"
    tail = one_line("\n".join(text.splitlines()[-lines:]))
    return f"postgres.log tail: {tail}" if tail else "postgres.log is empty"


def failure(
    message: str, home: Path | None = None, proc: subprocess.CompletedProcess[str] | None = None
) -> PgServerError:
    parts = [message]
    if proc is not None:
        output = one_line(proc.stderr or proc.stdout or "")
        if output:
            parts.append(f"(exit {proc.returncode}: {output})")
    if home is not None:
        parts.append(f"-- {_log_tail(home)}")
    return PgServerError(" ".join(parts))


def _has_server_binaries(bindir: Path) -> bool:
    return all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


def _version_key(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """Directory holding ``initdb``/``pg_ctl``/``postgres``, or None when not installed."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(PgServerError):
            proc = run([pg_config, "--bindir"], timeout=30)
            if proc.returncode == 0 and proc.stdout.strip():
                bindir = Path(proc.stdout.strip())
                if _has_server_binaries(bindir):
                    return bindir
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if _has_server_binaries(p)]
    if candidates:
        return max(candidates, key=_version_key)
    return None


def _install_postgresql() -> None:
    if not is_root():
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
    note("no PostgreSQL binaries found; installing them with apt-get (one-time)")
    proc = run([apt_get, "update", "-q"], timeout=600, env=env)
    if proc.returncode != 0:
        raise failure("apt-get update failed", proc=proc)
    package = "postgresql"
    apt_cache = shutil.which("apt-cache")
    if apt_cache:
        show = run([apt_cache, "show", "postgresql-15"], timeout=60, env=env)
        if show.returncode == 0 and "Package:" in show.stdout:
            package = "postgresql-15"
    proc = run(
        [apt_get, "install", "-y", "-q", "--no-install-recommends", package], timeout=1200, env=env
    )
    if proc.returncode != 0:
        raise failure(f"apt-get install {package} failed", proc=proc)


def require_bindir() -> Path:
    bindir = find_bindir()
    if bindir is None:
        _install_postgresql()
        bindir = find_bindir()
    if bindir is None:
        raise PgServerError("PostgreSQL was installed but initdb/pg_ctl/postgres are still missing")
    if is_root():
        try:
            pwd.getpwnam(PG_OS_USER)
        except KeyError as exc:
            raise PgServerError(
                f"running as root but there is no {PG_OS_USER!r} OS user to run PostgreSQL as"
            ) from exc
    return bindir
