"""The API world (tests/support/api_world.py) on any store (SQLite or PostgreSQL), for the
access-log tests, plus what an auditor does with it: reads recorded, a checkpoint signed by
a key the test holds, every page of a paged route fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient

from api import create_app
from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from ops.config import store_env
from ops.demo import play
from projections.engine import make_engine
from projections.ledger.checkpoints import Checkpoint, Signer
from projections.ledger.store import LedgerStore
from projections.wiring import attach
from tests.support.api_world import TEST_CONFIG, World, add_principals

PURPOSE = "preparing the next session"


@contextmanager
def world_on(url: str, master_key: MasterKey) -> Iterator[World]:
    app = Trustpath(store_env(url), master_key=master_key)
    demo, other = play(app), play(app)
    engine = make_engine(url)
    read_side = attach(app, engine)
    config = {**TEST_CONFIG, "DATABASE_URL": url}
    flask_app = create_app(app, config=config, read_side=read_side)
    store = flask_app.extensions["trustpath.principals"]
    try:
        yield World(app, flask_app, demo, other, add_principals(store, demo, other))
    finally:
        read_side.close()
        store.close()
        engine.dispose()
        app.close()


def read_notes(world: World, client: FlaskClient, *who: str) -> list[int]:
    """Each one asks for Claire's notes (granted or refused); their status codes."""
    url = f"/engagements/{world.eid}/individual-sessions/{world.session_with_notes()}/notes"
    return [
        client.get(url, headers=world.headers(w, **{"X-Purpose": PURPOSE})).status_code for w in who
    ]


def sign(world: World, signer: Signer) -> Checkpoint:
    """Seal what is stored and sign a checkpoint of it (what the ledger's tick does)."""
    read_side = world.flask.extensions["trustpath.read_side"]
    read_side.catch_up()
    return LedgerStore(read_side.engine).checkpoint(signer)


def pages(client: FlaskClient, world: World, who: str, path: str) -> list[dict[str, Any]]:
    """Every page of a paged route, in order (bounded: a loop must end)."""
    found, cursor = [], None
    for _ in range(1000):
        sep = "&" if "?" in path else "?"
        r = client.get(
            path + (f"{sep}cursor={cursor}" if cursor else ""), headers=world.headers(who)
        )
        assert r.status_code == 200, (path, r.json)
        found.append(r.json)
        cursor = r.json["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("the cursor never ended")


def items(client: FlaskClient, world: World, who: str, path: str) -> list[dict]:
    return [e for p in pages(client, world, who, path) for e in p["items"]]


def cfo(world: World) -> str:
    return world.demo.protagonists["cfo"]
