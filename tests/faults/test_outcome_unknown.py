"""A command whose connection is lost while its events are being written: the API cannot
know whether they were stored, says so (503 CommandOutcomeUnknown, Retry-After), and the
client's retry with the same Idempotency-Key stores the command exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient

from api import create_app
from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from ops.config import store_env
from tests.support.api_world import TEST_CONFIG, body
from tests.support.drills import until

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
WAITING = (
    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
    "AND pid <> pg_backend_pid() AND datname = current_database()"
)


@pytest.fixture
def api(pg_url: str) -> Iterator[tuple[FlaskClient, dict[str, str], Trustpath]]:
    app = Trustpath(store_env(pg_url), master_key=MasterKey.generate())
    flask = create_app(app, config={**TEST_CONFIG, "DATABASE_URL": pg_url}, read_side=None)
    store = flask.extensions["trustpath.principals"]
    headers = {"Authorization": f"Bearer {store.add('admin', 'admin')[1]}"}
    yield flask.test_client(), headers, app
    store.close()
    app.close()


def test_a_command_whose_connection_is_lost_while_writing_is_503_outcome_unknown(
    api: tuple[FlaskClient, dict[str, str], Trustpath], pg_url: str
) -> None:
    client, headers, _ = api
    sent = {**headers, "Idempotency-Key": "lost-in-commit"}
    command = body(title="t", organisation="o", sponsor="s")
    answers: list[Any] = []
    with psycopg.connect(pg_url, autocommit=True) as blocker:
        with blocker.transaction():
            blocker.execute("LOCK TABLE trustpath_events IN EXCLUSIVE MODE")
            writer = threading.Thread(
                target=lambda: answers.append(
                    client.post("/engagements", json=command, headers=sent)
                )
            )
            writer.start()
            assert until(lambda: blocker.execute(WAITING).fetchone() is not None, 20, 0.01)
            blocker.execute(f"SELECT pg_terminate_backend(({WAITING}))")
            writer.join(timeout=30)
        lost = answers[0]
        assert lost.status_code == 503
        assert lost.headers["Content-Type"] == "application/problem+json"
        assert int(lost.headers["Retry-After"]) > 0
        assert lost.json["type"] == "/problems/CommandOutcomeUnknown"
        assert "Idempotency-Key" in lost.json["detail"]
        again = client.post("/engagements", json=command, headers=sent)
        assert again.status_code == 201
        stored = blocker.execute(
            "SELECT count(*) FROM trustpath_events WHERE position(%s in state) > 0",
            [b'"lost-in-commit"'],
        ).fetchone()
        assert stored is not None
        assert stored[0] == 1
