"""Fixtures of the backup/restore tests, on a SQLite file and on the throwaway PostgreSQL
server (tests/support/backup_world.py holds what they build).

stores  a live store and an empty one to restore into (a new path, a new database)
live    keys made by `keys init`; the demo played; one protagonist erased; a checkpoint
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.commands import ExecuteErasure
from ops import pgserver
from ops.config import Settings, build_app
from ops.demo import ADMIN, play
from tests.support.backup_world import Live, Stores
from tests.support.cli_deployment import Deployment, environment


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """A live store and an empty one to restore into (a new path, a new database)."""
    if request.param == "sqlite":
        yield Stores(
            "sqlite", f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'r.db'}"
        )
        return
    server = str(request.getfixturevalue("pg_server_url"))
    live = str(request.getfixturevalue("pg_url"))
    name = f"t_restored_{uuid.uuid4().hex[:12]}"
    target = pgserver.create_database(server, name)
    try:
        yield Stores("postgres", live, target)
    finally:
        pgserver.drop_database(server, name)


@pytest.fixture
def live(stores: Stores, tmp_path: Path) -> Live:
    """Keys made by `keys init`; the demo played; one protagonist erased; a checkpoint."""
    made = Deployment(environment(tmp_path, stores.live), tmp_path)
    made.run("keys", "init")
    app = build_app(Settings.from_environ(made.env))
    try:
        run = play(app)
        erased, kept = list(app.engagement(run.engagement_id).protagonists)
        app.execute(
            run.engagement_id,
            ADMIN,
            ExecuteErasure(
                occurred_at=datetime.now(UTC), protagonist_id=erased, request_reference="GDPR-7"
            ),
        )
    finally:
        app.close()
    made.run("ledger", "checkpoint")
    return Live(made, stores, run.engagement_id, erased, kept)
