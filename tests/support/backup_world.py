"""A live deployment to back up and a store to restore it into, for the backup/restore
tests: the stores (a SQLite path or a PostgreSQL database each), the live deployment
(keys, the demo, one protagonist erased, a checkpoint), a backup taken while commands are
being written, and the number of events a store holds."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from domain.trustpath import Trustpath
from ops.config import Settings, build_app
from ops.demo import play
from projections.ledger.source import count_events
from tests.support.cli_deployment import TRUSTPATH, Deployment


@dataclass
class Stores:
    kind: str
    live: str
    target: str


@dataclass
class Live:
    deployment: Deployment
    stores: Stores
    engagement_id: uuid.UUID
    erased: str
    kept: str

    def at(self, url: str) -> Deployment:
        return Deployment(
            {**self.deployment.env, "TRUSTPATH_DATABASE_URL": url}, self.deployment.directory
        )

    def app(self, url: str) -> Trustpath:
        return build_app(Settings.from_environ(self.at(url).env))


def backup_while_writing(live: Live, to: Path) -> subprocess.CompletedProcess[str]:
    """`trustpath backup` while the demo is played again into the live store (bounded)."""
    d = live.deployment
    with subprocess.Popen(
        [TRUSTPATH, "backup", "--to", str(to)],
        env=d.env,
        cwd=d.directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        app = live.app(live.stores.live)
        try:
            play(app)
        finally:
            app.close()
        out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def event_count(url: str) -> int:
    return count_events(url)
