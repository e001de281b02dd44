"""The throwaway server's cluster: initdb with its settings, pg_ctl start and stop.

Durability is off (``fsync``, ``synchronous_commit``, ``full_page_writes``), it listens on
127.0.0.1 only, its socket in its own directory. `launch` picks a free port, retried when
another process takes it first.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

from ops.pg_tools import DATA_NAME, HOST, INITIALIZED_NAME, LOG_NAME, SUPERUSER, failure, run_pg

SERVER_SETTINGS: dict[str, str] = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}
PG_CTL_TIMEOUT_S = 30
PORT_ATTEMPTS = 3


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def is_running(bindir: Path, home: Path) -> bool:
    data = home / DATA_NAME
    if not (data / "postmaster.pid").is_file():
        return False
    proc = run_pg([str(bindir / "pg_ctl"), "status", "-D", str(data)], timeout=30)
    return proc.returncode == 0


def running_port(home: Path) -> int:
    """Port from ``postmaster.pid`` (line 4)."""
    pidfile = home / DATA_NAME / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
        return int(lines[3])
    except (OSError, IndexError, ValueError) as exc:
        raise failure(f"cannot read the port from {pidfile}", home) from exc


def _conf_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def initdb(bindir: Path, home: Path) -> None:
    data = home / DATA_NAME
    if data.exists():  # left over from an interrupted initdb
        shutil.rmtree(data)
    proc = run_pg(
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
        raise failure("initdb failed", proc=proc)
    settings = {**SERVER_SETTINGS, "unix_socket_directories": str(home)}
    block = "\n# --- ops.pgserver: throwaway test server ---\n" + "".join(
        f"{key} = {_conf_quote(value)}\n" for key, value in settings.items()
    )
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(block)
    (home / INITIALIZED_NAME).write_text("initdb done\n")


def _pg_ctl_start(bindir: Path, home: Path, port: int) -> subprocess.CompletedProcess[str]:
    return run_pg(
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


def launch(bindir: Path, home: Path, port: int | None) -> int:
    """Start the server; return its port."""
    attempts = 1 if port is not None else PORT_ATTEMPTS
    for attempt in range(attempts):
        chosen = port if port is not None else _free_port()
        proc = _pg_ctl_start(bindir, home, chosen)
        if proc.returncode == 0:
            return chosen
        if attempt + 1 < attempts and _port_taken(home) and not is_running(bindir, home):
            continue
        raise failure(f"pg_ctl start on port {chosen} failed", home, proc)
    raise AssertionError("unreachable")


def stop_server(bindir: Path, home: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return run_pg(
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
