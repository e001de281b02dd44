"""Over real HTTP (`trustpath serve`, 2 workers, PostgreSQL): floods and slow clients.

The server here has a small rate limit (10 requests/s per principal, bursts of 20), so a
burst shows whether the limit holds per server or per worker. Nothing is asserted about
durations: counts, and whether the server answers at all within a generous timeout.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from projections.engine import make_engine
from tests.support.served import Server, now, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
RATE, BURST = 10.0, 20.0
SLOW_CLIENTS = 16
ANSWER_TIMEOUT = 5.0
"""Generous: the server answers in milliseconds; a server pinned by slow clients never does."""


@pytest.fixture(scope="module")
def limited(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("e2e-limited")
    with running_server(pg_server_url, directory, {"TRUSTPATH_RATE_LIMIT": str(RATE)}) as s:
        yield s


PARTIAL_HEAD = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"
PARTIAL_BODY = (
    b"POST /engagements HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 100\r\n\r\n{"title": '
)


def partial_request(port: int, start: bytes = PARTIAL_HEAD) -> socket.socket:
    """A connection that sends the start of a request and then waits."""
    held = socket.create_connection(("127.0.0.1", port), timeout=30)
    held.sendall(start)
    return held


def live_status(port: int) -> int | None:
    """GET /health/live on a fresh connection: its status, or None if no answer in time."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT)
    try:
        conn.request("GET", "/health/live")
        return conn.getresponse().status
    except TimeoutError:
        return None
    finally:
        conn.close()


def audit_rows(server: Server) -> list[sa.Row[tuple[int, bytes]]]:
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT notification_id, state FROM trustpath_events WHERE topic LIKE :t"
                    ),
                    {"t": "%:AccessDenied"},
                ).all()
            )
    finally:
        engine.dispose()


def events_in_store(server: Server) -> int:
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM trustpath_events")).scalar_one())
    finally:
        engine.dispose()


def test_health_answers_while_16_clients_hold_partial_requests(limited: Server) -> None:
    held = [partial_request(limited.port) for _ in range(SLOW_CLIENTS)]
    try:
        time.sleep(0.5)  # let the workers accept them all before asking
        assert [live_status(limited.port) for _ in range(8)] == [200] * 8
    finally:
        for s in held:
            s.close()


def test_health_answers_while_16_clients_hold_partial_bodies(limited: Server) -> None:
    held = [partial_request(limited.port, PARTIAL_BODY) for _ in range(SLOW_CLIENTS)]
    try:
        time.sleep(0.5)  # let the workers accept them all before asking
        assert [live_status(limited.port) for _ in range(8)] == [200] * 8
    finally:
        for s in held:
            s.close()


def test_chunked_command_is_served(limited: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", limited.port, timeout=30)
    body = json.dumps({"occurred_at": now(), "title": "t", "organisation": "o", "sponsor": "s"})
    try:
        conn.request(
            "POST",
            "/engagements",
            body=iter([body[:10].encode(), body[10:].encode()]),
            headers={
                "Authorization": f"Bearer {limited.tokens['admin']}",
                "Content-Type": "application/json",
            },
            encode_chunked=True,
        )
        assert conn.getresponse().status == 201
    finally:
        conn.close()


def test_expect_continue_is_answered_before_the_body_is_sent(limited: Server) -> None:
    held = partial_request(
        limited.port,
        b"POST /engagements HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nExpect: 100-continue\r\n\r\n",
    )
    try:
        assert held.recv(64).startswith(b"HTTP/1.1 100 Continue")
        held.sendall(b"{}")
        answer = b""
        while b"HTTP/1.1 401" not in answer and len(answer) < 10_000:
            chunk = held.recv(4096)
            if not chunk:
                break
            answer += chunk
        assert b"HTTP/1.1 401" in answer
    finally:
        held.close()


def test_partial_request_is_served_once_it_completes(limited: Server) -> None:
    held = partial_request(limited.port)
    try:
        held.sendall(b"\r\n")
        assert held.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        held.close()


def test_rate_limit_holds_per_server_not_per_worker(limited: Server) -> None:
    """One principal's burst through both workers passes at most one bucket's worth:
    the burst plus what refills while it lasts."""

    def call(_: int) -> int:
        return limited.call("GET", "/engagements?limit=1", "auditor").status

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = Counter(pool.map(call, range(320)))
    elapsed = time.monotonic() - started
    assert set(answers) <= {200, 429}
    assert answers[200] <= BURST + RATE * elapsed + 1


def test_anonymous_flood_over_http_adds_at_most_60_events(limited: Server) -> None:
    eid, cfo = limited.demo.engagement_id, limited.demo.protagonists["cfo"]
    path = f"/engagements/{eid}/protagonists/{cfo}/intention"
    before = events_in_store(limited)

    def call(_: int) -> int:
        return limited.call("GET", path, headers={"X-Purpose": "flood"}).status

    with ThreadPoolExecutor(4) as pool:
        answers = Counter(pool.map(call, range(600)))
    assert set(answers) <= {401, 429}
    assert events_in_store(limited) - before <= 60
    assert any(b"127.0.0.1" in bytes(r.state) for r in audit_rows(limited))


def test_refusal_counts_add_up_once_the_server_has_stopped(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Both workers count one address's refusals of one item; the first is written at
    once, the rest when the workers stop: the recorded counts add up to the 401s."""
    with running_server(pg_server_url, tmp_path_factory.mktemp("e2e-stop")) as server:
        eid, cfo = server.demo.engagement_id, server.demo.protagonists["cfo"]
        path = f"/engagements/{eid}/protagonists/{cfo}/intention"

        def call(_: int) -> int:
            return server.call("GET", path, headers={"X-Purpose": "flood"}).status

        with ThreadPoolExecutor(4) as pool:
            answers = Counter(pool.map(call, range(60)))
        server.stop()
        counts = [json.loads(bytes(r.state))["count"] for r in audit_rows(server)]
    assert set(answers) <= {401, 429}
    assert answers[401] >= 2
    assert sum(counts) == answers[401]
    assert len(counts) <= 6
