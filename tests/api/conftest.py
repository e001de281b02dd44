"""Fixtures of the API suite: the demo engagement behind Flask's test client, on SQLite.

world     a Trustpath app on a fresh SQLite file with the demo engagement played, its
          read side attached in-process, the Flask app, and one token per principal:
          admin, auditor, report_reader, sponsor (the demo's), sponsor_other,
          coach_a (Claire's coach), coach_b (Omar's), coach_other, cfo, coo,
          protagonist_other (of a second engagement)
any_world the same world on SQLite and on PostgreSQL (parametrised over both stores)
client    Flask's test client of that app
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from api.principals import PrincipalStore
from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from ops.config import store_env
from ops.demo import DemoRun, play
from projections.engine import make_engine
from projections.wiring import attach

TEST_CONFIG = {"TESTING": True, "RATE_LIMIT": 10_000.0, "RATE_BURST": 10_000.0}


@dataclass
class World:
    app: Trustpath
    flask: Flask
    demo: DemoRun
    other: DemoRun
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def eid(self) -> UUID:
        return self.demo.engagement_id

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    def session_with_notes(self) -> str:
        cfo = self.demo.protagonists["cfo"]
        engagement = self.app.engagement(self.eid)
        return next(s for s, p in engagement.individual_sessions.items() if p == cfo)


def add_principals(store: PrincipalStore, demo: DemoRun, other: DemoRun) -> dict[str, str]:
    specs: dict[str, tuple[str, str]] = {
        "admin": ("admin", ""),
        "auditor": ("auditor", ""),
        "report_reader": ("report_reader", ""),
        "sponsor": ("sponsor", "norwind-hr"),
        "sponsor_other": ("sponsor", "someone-else"),
        "coach_a": ("coach", "coach-amelie"),
        "coach_b": ("coach", "coach-bruno"),
        "coach_other": ("coach", "coach-zoe"),
        "cfo": ("protagonist", demo.protagonists["cfo"]),
        "coo": ("protagonist", demo.protagonists["coo"]),
        "protagonist_other": ("protagonist", other.protagonists["cfo"]),
    }
    return {who: store.add(role, who, subject)[1] for who, (role, subject) in specs.items()}


@contextmanager
def built_world(url: str, master_key: MasterKey) -> Iterator[World]:
    app = Trustpath(store_env(url), master_key=master_key)
    demo = play(app)
    other = play(app)
    engine = make_engine(url)
    read_side = attach(app, engine)
    flask_app = create_app(app, config=TEST_CONFIG, read_side=read_side)
    store = flask_app.extensions["trustpath.principals"]
    result = World(app, flask_app, demo, other, add_principals(store, demo, other))
    yield result
    flask_app.extensions["trustpath.refusals"].close()
    read_side.close()
    store.close()
    engine.dispose()
    app.close()


@pytest.fixture
def world(sqlite_url: str, master_key: MasterKey) -> Iterator[World]:
    with built_world(sqlite_url, master_key) as result:
        yield result


@pytest.fixture
def any_world(store_url: str, master_key: MasterKey) -> Iterator[World]:
    """The same world, on SQLite and on PostgreSQL (for the confidentiality tests)."""
    with built_world(store_url, master_key) as result:
        yield result


@pytest.fixture
def client(world: World) -> FlaskClient:
    return world.flask.test_client()


def at() -> str:
    return datetime.now(UTC).isoformat()


def body(**fields: Any) -> dict[str, Any]:
    return {"occurred_at": at(), **fields}
