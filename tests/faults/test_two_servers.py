"""Two `trustpath serve` processes (as on two hosts: two ports) and two followers on one
PostgreSQL, as the README's Deployment section describes.

Concurrent commands on one engagement through both servers: with If-Match, each answer is
201, 412 (the engagement moved on) or 409 (it moved on while the command ran), and no two
successes expected the same version; without, 201 or 409 and, retried with the same key,
each stored once. A principal revoked through one server is refused at its next request on
the other. A rate limit holds per server: a burst drains one server's bucket, not the
other's. Both followers together apply every event once: the views equal a rebuild.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.drills import Client, Deployment, until
from tests.support.fault_checks import (
    Load,
    assert_ledger_verifies,
    assert_no_500_and_503s_are_problems,
    assert_projections_equal_a_rebuild,
    assert_stored_once,
    settle,
)
from tests.support.served import Answer, free_port, now

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
RATE = 20.0
BURST = 2 * RATE
"""`trustpath serve` sets the burst to twice TRUSTPATH_RATE_LIMIT."""
ROUNDS = 8
"""Commands per client: with one request to read the ETag, well within one bucket."""
CLIENTS_PER_SERVER = 2


@pytest.fixture
def servers(deployment: Deployment) -> list[Client]:
    """Two servers and two followers, started on a new database; one client per server."""
    deployment.env["TRUSTPATH_RATE_LIMIT"] = str(RATE)
    ports = [free_port(), free_port()]
    for i, port in enumerate(ports):
        deployment.serve(port, name=f"serve{i}")
    for i in range(2):
        deployment.follow(name=f"follow{i}")
    clients = [Client(port) for port in ports]
    for i, client in enumerate(clients):
        ready = until(lambda client=client: client.call("GET", "/health/ready").status == 200)
        assert ready, deployment.log(f"serve{i}")[-3000:]
    return clients


def together(work: Callable[[Client], Any], deployment: Deployment, ports: list[int]) -> None:
    """`work` run at once by CLIENTS_PER_SERVER clients per server, each its own admin (its
    own rate-limit bucket)."""
    clients = [Client(p, deployment.add_admin()) for p in ports for _ in range(CLIENTS_PER_SERVER)]
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client hung"


def open_engagement(client: Client, title: str) -> str:
    body = {"occurred_at": now(), "title": title, "organisation": "o", "sponsor": "s"}
    answer = client.call("POST", "/engagements", body)
    assert answer.status == 201, answer
    return str(answer.body["engagement_id"])


def test_if_match_lets_one_of_two_servers_win_each_version(
    servers: list[Client], deployment: Deployment
) -> None:
    servers[0].token = deployment.add_admin()
    eid = open_engagement(servers[0], "if-match")
    seen: list[tuple[str, Answer]] = []

    def enrol(client: Client) -> None:
        for n in range(ROUNDS):
            etag = client.call("GET", f"/engagements/{eid}").headers["etag"]
            body = {"occurred_at": now(), "name": f"P {n}"}
            answer = client.call(
                "POST", f"/engagements/{eid}/protagonists", body, {"If-Match": etag}
            )
            seen.append((etag, answer))

    together(enrol, deployment, [c.port for c in servers])
    statuses = Counter(answer.status for _, answer in seen)
    assert set(statuses) <= {201, 409, 412}, [a for _, a in seen if a.status not in (201, 412)]
    assert statuses[201] >= 1
    for _, answer in seen:
        if answer.status != 201:
            kind = answer.body["type"]
            assert kind in ("/problems/VersionMismatchError", "/problems/ConcurrentUpdateError")
    won = [etag for etag, answer in seen if answer.status == 201]
    assert len(won) == len(set(won)), "two commands succeeded on the same version"
    final = servers[0].call("GET", f"/engagements/{eid}").headers["etag"]
    assert int(final.strip('"')) >= 1 + len(won)
    assert_projections_equal_a_rebuild(deployment)


def test_commands_without_if_match_through_two_servers_are_each_stored_once(
    servers: list[Client], deployment: Deployment
) -> None:
    servers[0].token = deployment.add_admin()
    eid = open_engagement(servers[0], "shared")
    loads: list[Load] = []

    def enrol(client: Client) -> None:
        load = Load(client, f"shared-{client.port}-{id(client)}", eid=eid)
        loads.append(load)
        for n in range(ROUNDS):
            load.sent.append(f"{load.prefix}-{n}")
            load.send(f"{load.prefix}-{n}")

    together(enrol, deployment, [c.port for c in servers])
    for load in loads:
        assert load.hangs == []
        assert load.dropped == []
        assert_no_500_and_503s_are_problems(load, deployment)
        assert {a.status for _, a in load.answers} <= {201, 409}
        for _, answer in load.answers:
            if answer.status == 409:
                assert answer.body["type"] == "/problems/ConcurrentUpdateError", answer
        assert settle(load) == []
        assert_stored_once(deployment, load)
    assert_projections_equal_a_rebuild(deployment)
    assert_ledger_verifies(deployment)
    logs = [*(f"serve{i}" for i in range(2)), *(f"follow{i}" for i in range(2))]
    assert not any("Traceback" in deployment.log(name) for name in logs)
    assert [p.poll() for p in deployment.processes] == [None] * 4


def test_a_principal_revoked_through_one_server_is_refused_by_the_other(
    servers: list[Client], deployment: Deployment
) -> None:
    first, second = servers
    first.token = deployment.add_admin()
    principal_id, token = deployment.add_principal("auditor")
    auditor = Client(second.port, token)
    assert [auditor.call("GET", "/engagements?limit=1").status for _ in range(4)] == [200] * 4
    revoked = first.call("POST", f"/principals/{principal_id}/revoke")
    assert revoked.status == 200, revoked
    assert [auditor.call("GET", "/engagements?limit=1").status for _ in range(4)] == [401] * 4
    assert Client(first.port, token).call("GET", "/engagements?limit=1").status == 401


def test_a_burst_drains_one_servers_rate_limit_not_the_others(
    servers: list[Client], deployment: Deployment
) -> None:
    """The buckets are per server: a burst through one passes at most one bucket's worth
    (the burst plus what refills while it lasts); the other still has its whole burst."""
    token = deployment.add_principal("auditor")[1]
    first, second = (Client(c.port, token) for c in servers)

    def call(_: int) -> int:
        return first.call("GET", "/engagements?limit=1").status

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = Counter(pool.map(call, range(int(10 * BURST))))
    elapsed = time.monotonic() - started
    assert set(answers) <= {200, 429}
    assert answers[200] <= BURST + RATE * elapsed + 1
    assert answers[429] >= 1
    other = [second.call("GET", "/engagements?limit=1").status for _ in range(int(BURST))]
    assert other == [200] * int(BURST)
