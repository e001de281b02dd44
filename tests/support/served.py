"""A real `trustpath serve` (gunicorn, 2 workers) over HTTP, on a fresh PostgreSQL database
with the demo engagement played and one token per role.

running_server   starts it and stops it (SIGTERM) around the `with` block
Server.call      a tiny stdlib client (http.client): call(method, path, token, body, headers)
http_call        the same request without a server's tokens (the fault drills' client)
served_env       a `trustpath` process's environment, with new key files
stop_processes   SIGTERM, wait, and kill what does not exit
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.principals import PrincipalStore
from domain.ciphers import MasterKey
from ops import pgserver
from ops.config import Settings, build_app
from ops.demo import DemoRun, play
from projections.ledger.checkpoints import Signer


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Server:
    port: int
    database_url: str
    demo: DemoRun
    tokens: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    ledger_key_file: Path | None = None

    def stop(self) -> None:
        """Stop the server as an operator would (SIGTERM), waiting for it to exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def call(
        self,
        method: str,
        path: str,
        who: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if who:
            sent["Authorization"] = f"Bearer {self.tokens[who]}"
        return http_call(self.port, method, path, body=body, headers=sent)


def http_call(
    port: int,
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Answer:
    """One request to 127.0.0.1:`port`, a JSON body sent and a JSON answer parsed."""
    sent = dict(headers or {})
    data = None
    if body is not None:
        data, sent["Content-Type"] = json.dumps(body).encode(), "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        content_type = response.getheader("Content-Type", "")
        parsed = json.loads(raw) if "json" in content_type and raw else raw
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, parsed)
    finally:
        conn.close()


def served_env(
    database_url: str, directory: Path, extra_env: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a `trustpath` process on `database_url`: new master and ledger key
    files written in `directory` (`master.key`, `ledger.key`), a rate limit no test reaches."""
    key_file, ledger_key = directory / "master.key", directory / "ledger.key"
    key_file.write_text(MasterKey.generate().as_text() + "\n")
    ledger_key.write_bytes(Signer.generate().private_pem())
    return {
        **os.environ,
        "TRUSTPATH_DATABASE_URL": database_url,
        "TRUSTPATH_MASTER_KEY_FILE": str(key_file),
        "TRUSTPATH_LEDGER_KEY_FILE": str(ledger_key),
        "TRUSTPATH_RATE_LIMIT": "10000",
        **(extra_env or {}),
    }


def stop_processes(*processes: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """SIGTERM to each process still running, then wait for each; kill one that outlasts
    `seconds`."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(env: dict[str, str]) -> tuple[DemoRun, dict[str, str]]:
    settings = Settings.from_environ(env)
    app = build_app(settings)
    try:
        demo = play(app)
    finally:
        app.close()
    store = PrincipalStore.for_url(settings.database_url)
    try:
        tokens = {
            who: store.add(role, who, subject)[1]
            for who, role, subject in (
                ("admin", "admin", ""),
                ("coach_a", "coach", "coach-amelie"),
                ("coach_b", "coach", "coach-bruno"),
                ("cfo", "protagonist", demo.protagonists["cfo"]),
                ("auditor", "auditor", ""),
            )
        }
    finally:
        store.close()
    return demo, tokens


def wait_ready(process: subprocess.Popen[bytes], port: int, log: Path, seconds: float = 60) -> None:
    """Until the server answers /health/ready with 200; its log's tail if it dies or never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:  # a worker still starting may not answer in time: close the socket all the same
            conn.request("GET", "/health/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def running_server(
    pg_server_url: str, directory: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """`trustpath serve` (2 workers) on a fresh database with the demo and tokens."""
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    url = pgserver.create_database(pg_server_url, name)
    env = served_env(url, directory, extra_env)
    demo, tokens = prepare(env)
    port = free_port()
    log = directory / "gunicorn.log"
    command = [
        str(Path(sys.executable).parent / "trustpath"),
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--projections",
        "in-process",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
        )
    try:
        wait_ready(process, port, log)
        yield Server(port, url, demo, tokens, process, directory / "ledger.key")
    finally:
        stop_processes(process)
        pgserver.drop_database(pg_server_url, name)
