"""The browser suite's real parts: Debian's Chromium (installed if missing) and a real
`trustpath serve --demo` (gunicorn, BufferingWorker) on a fresh SQLite file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from uuid import UUID

from playwright.sync_api import Page

from api.principals import PrincipalStore
from ops.demo_people import DEMO_PEOPLE, DemoPerson
from tests.support.served import free_port, served_env, stop_processes, wait_ready

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]


def ensure_chromium() -> str:
    """The system Chromium, installed with apt-get the first time (as root), like the
    suite's PostgreSQL: a machine without it fails loudly, it does not skip."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    apt_get = shutil.which("apt-get")
    if apt_get is None or os.geteuid() != 0:
        raise RuntimeError(f"no {CHROMIUM}, and cannot apt-get install chromium (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("browser tests: installing chromium with apt-get (one-time)", file=sys.stderr)
    for command in ([apt_get, "update", "-q"], [apt_get, "install", "-y", "-q", "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return CHROMIUM


@dataclass
class Console:
    """A running console: its base URL, the demo engagement, its people (with their real
    subject ids: a protagonist's is the demo run's), its store."""

    url: str
    engagement_id: UUID
    store_url: str
    people: dict[str, DemoPerson] = field(default_factory=dict)
    log: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def eid(self) -> UUID:
        return self.engagement_id

    def person(self, name: str) -> DemoPerson:
        return self.people[name]

    def output(self) -> str:
        return self.log.read_text() if self.log else ""


def resolved_people(store_url: str) -> dict[str, DemoPerson]:
    """The demo people with their real subject ids (a protagonist's id is the run's)."""
    store = PrincipalStore.for_url(store_url)
    try:
        live = {p.name: p for p in store.list() if p.revoked_at is None}
    finally:
        store.close()
    return {p.name: replace(p, subject=live[p.name].subject_id) for p in DEMO_PEOPLE}


@contextmanager
def running_console(directory: Path, extra_env: dict[str, str] | None = None) -> Iterator[Console]:
    """`trustpath serve --demo` on a fresh SQLite file, stopped (SIGTERM) afterwards."""
    store_url = f"sqlite:///{directory / 'trustpath.db'}"
    env = served_env(store_url, directory, {"COLUMNS": "200", **(extra_env or {})})
    port, log = free_port(), directory / "serve.log"
    command = [str(Path(sys.executable).parent / "trustpath"), "serve", "--demo"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        wait_ready(process, port, log, seconds=180)  # the demo is played first: slow when busy
        found = re.search(r"export EID=([0-9a-f-]{36})", log.read_text())
        if found is None:
            raise RuntimeError(f"no demo engagement in the output: {log.read_text()[-3000:]}")
        people = resolved_people(store_url)
        yield Console(f"http://127.0.0.1:{port}", UUID(found.group(1)), store_url, people, log, env)
    finally:
        stop_processes(process)


def sign_in(page: Page, console: Console, name: str, password: str | None = None) -> None:
    """Fill the real sign-in form and send it."""
    page.goto(f"{console.url}/console/sign-in")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password or console.people[name].password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
