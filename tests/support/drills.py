"""What the fault drills drive: real `trustpath` processes on a PostgreSQL server that the
drill stops and restarts.

Pg          a throwaway server: `url`, `restart(mode, while_down)` (pg_ctl stop -m
            immediate|fast, then start on the same port)
Deployment  a database, key files and an admin token; starts `trustpath serve` and
            `trustpath projections follow` as processes and stops them (`stop_all`)
Client      http.client with a HANG_S timeout: a timeout is a hang, so a failure
until       a bounded poll (a bound, not a timing)
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api.principals import PrincipalStore
from ops import pgserver
from projections.engine import make_engine
from tests.support.served import Answer, http_call, stop_processes

HANG_S = 5.0
"""No answer within this is a hang (the API promises an answer, 503 at worst, well before)."""
ROOT = Path(__file__).resolve().parents[2]
TRUSTPATH = str(Path(sys.executable).parent / "trustpath")


def until(condition: Callable[[], bool], seconds: float = 90.0, pause: float = 0.2) -> bool:
    """Poll `condition` until it holds (True) or `seconds` pass (False): a bound, not a timing."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if condition():
                return True
        time.sleep(pause)
    return False


@dataclass
class Client:
    port: int
    token: str = ""

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        """One request; raises TimeoutError (a hang) when no answer comes within HANG_S."""
        sent = dict(headers or {})
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        try:
            return http_call(self.port, method, path, body=body, headers=sent, timeout=HANG_S)
        except TimeoutError:
            raise TimeoutError(f"{method} {path}: no answer within {HANG_S} s") from None


@dataclass
class Pg:
    directory: Path
    url: str

    def restart(self, mode: str, while_down: Callable[[], None] = lambda: None) -> None:
        """Stop the server (`pg_ctl stop -m mode`), run `while_down`, start it again."""
        port = pgserver.port_of(self.directory)
        pgserver.halt(self.directory, mode)
        try:
            while_down()
        finally:
            pgserver.start(self.directory, port)


@dataclass
class Deployment:
    directory: Path
    url: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    admin: str = ""

    def start(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        with (self.directory / f"{name}.log").open("ab") as out:
            process = subprocess.Popen(
                [TRUSTPATH, *args], env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )
        self.processes.append(process)
        return process

    def serve(self, port: int, name: str = "serve") -> subprocess.Popen[bytes]:
        bind = f"127.0.0.1:{port}"
        return self.start("serve", "--bind", bind, "--projections", "external", name=name)

    def follow(self, name: str = "follow") -> subprocess.Popen[bytes]:
        return self.start("projections", "follow", "--poll", "0.5", name=name)

    def log(self, name: str = "serve") -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def add_admin(self) -> str:
        self.admin = self.add_principal("admin")[1]
        return self.admin

    def add_principal(self, role: str) -> tuple[str, str]:
        """A new principal of `role` (admin, auditor: no subject): its id and token."""
        store = PrincipalStore.for_url(self.url)
        try:
            principal, token = store.add(role, f"fault drill {role}")
        finally:
            store.close()
        return principal.id, token

    def scalar(self, query: str, **params: Any) -> Any:
        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(query), params).scalar()
        finally:
            engine.dispose()

    def stop_all(self) -> None:
        stop_processes(*self.processes)
