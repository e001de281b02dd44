"""Over real HTTP, gunicorn with two workers, PostgreSQL: the API keeps its promises."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from projections.engine import make_engine
from tests.support.served import Server, now

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def count_access_records(server: Server, item: str) -> int:
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT state FROM trustpath_events WHERE topic LIKE :topic"),
                {"topic": "%:ContentAccessed"},
            ).all()
    finally:
        engine.dispose()
    return sum(item.encode() in bytes(r.state) for r in rows)


def test_unauthenticated_request_is_401_problem(server: Server) -> None:
    answer = server.call("GET", "/engagements")
    assert answer.status == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_docs_and_contract_are_served(server: Server) -> None:
    assert server.call("GET", "/openapi.json").body["openapi"] == "3.1.0"
    assert server.call("GET", "/docs/").status == 200


def test_a_command_then_a_view_with_min_position_reads_its_own_write(server: Server) -> None:
    opened = server.call(
        "POST",
        "/engagements",
        "admin",
        {"occurred_at": now(), "title": "t", "organisation": "o", "sponsor": "s"},
    )
    assert opened.status == 201
    eid, position = opened.body["engagement_id"], opened.body["position"]
    listed = server.call("GET", f"/engagements?min_position={position}&limit=200", "admin")
    assert eid in {e["engagement_id"] for e in listed.body["items"]}


def test_confidential_read_over_http_is_recorded_exactly_once(server: Server) -> None:
    eid, cfo = server.demo.engagement_id, server.demo.protagonists["cfo"]
    path = f"/engagements/{eid}/protagonists/{cfo}/intention"
    answer = server.call("GET", path, "coach_a", headers={"X-Purpose": "e2e check"})
    assert answer.status == 200
    assert answer.body["text"] == "I want to work with Omar without fearing ambushes."
    assert count_access_records(server, answer.body["field"]) == 1
    refused = server.call("GET", path, "coach_b", headers={"X-Purpose": "curious"})
    assert refused.status == 403
    assert "ambushes" not in str(refused.body)


def test_retry_with_an_idempotency_key_returns_the_first_response_across_workers(
    server: Server,
) -> None:
    body = {"occurred_at": now(), "title": "idem", "organisation": "o", "sponsor": "s"}
    answers = [
        server.call("POST", "/engagements", "admin", body, {"Idempotency-Key": "e2e-open-1"})
        for _ in range(4)
    ]
    assert {a.status for a in answers} == {201}
    assert all(a.body == answers[0].body for a in answers)


def test_concurrent_writes_on_one_engagement_lose_nothing(server: Server) -> None:
    opened = server.call(
        "POST",
        "/engagements",
        "admin",
        {"occurred_at": now(), "title": "c", "organisation": "o", "sponsor": "s"},
    )
    eid = opened.body["engagement_id"]

    def enrol(i: int) -> Any:
        return server.call(
            "POST",
            f"/engagements/{eid}/protagonists",
            "admin",
            {"occurred_at": now(), "name": f"P{i}"},
        )

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(enrol, range(16)))
    assert {a.status for a in answers} <= {201, 409}
    created = [a for a in answers if a.status == 201]
    # a server refusing everyone would keep the count right too: at least one must enrol
    assert created
    refused = {a.body["type"] for a in answers if a.status != 201}
    assert refused <= {"/problems/ConcurrentUpdateError"}
    status = server.call("GET", f"/engagements/{eid}", "admin")
    assert len(status.body["protagonists"]) == len(created)
    assert status.body["version"] == 1 + len(created)
    assert len({a.body["version"] for a in created}) == len(created)
