"""Fixtures of the ledger route tests: the deployment's ledger key configured as an operator
would, and the demo played twice with a checkpoint after each, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api import create_app
from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from domain.values import Actor
from ops.config import store_env
from ops.demo import play
from projections.engine import make_engine
from projections.ledger.checkpoints import Signer
from projections.ledger.store import LedgerStore
from projections.wiring import attach
from tests.support.api_world import TEST_CONFIG, World, add_principals
from tests.support.ledger_http import ORIGIN


@pytest.fixture
def signer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Signer:
    """The deployment's ledger key, configured as an operator would."""
    made = Signer.generate()
    (tmp_path / "ledger.key").write_bytes(made.private_pem())
    monkeypatch.setenv("TRUSTPATH_LEDGER_KEY_FILE", str(tmp_path / "ledger.key"))
    monkeypatch.setenv("TRUSTPATH_LOG_ORIGIN", ORIGIN)
    return Signer(made.private_key, ORIGIN)


@pytest.fixture
def world(store_url: str, master_key: MasterKey, signer: Signer) -> Iterator[World]:
    """The demo played twice, a checkpoint after each (so two sizes to join), on both stores."""
    app = Trustpath(store_env(store_url), master_key=master_key)
    engine = make_engine(store_url)
    read_side = attach(app, engine)
    ledger = LedgerStore(engine)
    demo = play(app)
    ledger.checkpoint(signer)
    other = play(app)
    cfo = demo.protagonists["cfo"]
    field = next(
        f
        for f, (owner, _) in app.engagement(demo.engagement_id).content_index.items()
        if owner == cfo
    )
    app.read_content(demo.engagement_id, Actor(cfo, "protagonist"), field, "review")
    read_side.catch_up()
    ledger.checkpoint(signer)
    flask_app = create_app(app, config=TEST_CONFIG, read_side=read_side)
    store = flask_app.extensions["trustpath.principals"]
    yield World(app, flask_app, demo, other, add_principals(store, demo, other))
    read_side.close()
    store.close()
    engine.dispose()
    app.close()
