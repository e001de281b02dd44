"""The API suite's world: the demo engagement behind Flask's test client, with one token per
principal, and the helpers that read what it recorded.

World           a Trustpath app with the demo engagement played twice (`demo`, `other`), its
                read side attached in-process, the Flask app and one token per principal
built_world     builds one on a store URL (the fixtures of tests/api/conftest.py use it)
body            a command's JSON body stamped with the current time
audit           every stored audit record of one kind, decoded
notes_url       the route of the demo's session that has notes
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import Flask

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


def at() -> str:
    return datetime.now(UTC).isoformat()


def body(**fields: Any) -> dict[str, Any]:
    return {"occurred_at": at(), **fields}


PURPOSE = {"X-Purpose": "preparing the next session"}


def audit(app: Trustpath, kind: str) -> list[Any]:
    """Every stored audit record of one kind (ContentAccessed, AccessDenied), decoded."""
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
    return [app.mapper.to_domain_event(n) for n in notifications if n.topic.endswith(f":{kind}")]


def notes_url(world: World) -> str:
    return f"/engagements/{world.eid}/individual-sessions/{world.session_with_notes()}/notes"
