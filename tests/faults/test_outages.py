"""PostgreSQL restarts (immediate and fast), under load and idle, with `trustpath serve` and
`trustpath projections follow` running as real processes; a follower killed with SIGKILL.

After each drill: every acknowledged command is stored exactly once, no answer was a 500,
none hung, the follower is still alive and caught up, the projections equal a rebuild and
`trustpath ledger verify` passes.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.support.drills import Client, Deployment, Pg, until
from tests.support.fault_checks import (
    Load,
    assert_ledger_verifies,
    assert_no_500_and_503s_are_problems,
    assert_projections_equal_a_rebuild,
    assert_stored_once,
    caught_up,
    settle,
)
from tests.support.served import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
HEALTH_HANG_S = 2.5
"""/health/* answer within 1 s; the hang detector leaves room for a loaded machine."""


def running(deployment: Deployment) -> Client:
    """serve and follow started, the API ready, an admin token."""
    port = free_port()
    serve = deployment.serve(port)
    deployment.follow()
    client = Client(port)
    ready = until(lambda: client.call("GET", "/health/ready").status == 200)
    assert ready, deployment.log("serve")[-3000:]
    assert serve.poll() is None
    client.token = deployment.add_admin()
    return client


def health_during_outage(client: Client) -> list[int]:
    """What /health/live and /health/ready answer while the database is down."""
    quick = Client(client.port)
    seen = []
    for path in ("/health/live", "/health/ready", "/health/ready"):
        conn_answer = quick.call("GET", path)
        seen.append(conn_answer.status)
        if path == "/health/ready":
            assert conn_answer.headers.get("retry-after"), conn_answer
    return seen


def follower_alive_and_back(deployment: Deployment) -> None:
    """The follower lived through it, and said in its log that it lost and found the database."""
    follower = deployment.processes[1]
    assert until(lambda: "database back" in deployment.log("follow"), 60)
    assert follower.poll() is None, deployment.log("follow")[-3000:]
    assert "database unreachable" in deployment.log("follow")


@pytest.mark.parametrize("mode", ["immediate", "fast"])
def test_api_and_follower_ride_out_a_postgresql_restart_under_load(
    pg: Pg, deployment: Deployment, mode: str
) -> None:
    client = running(deployment)
    loads = [Load(client, f"load-{mode}-{i}") for i in range(2)]
    for load in loads:
        load.open()
        load.start()
    assert until(lambda: all(len(load.acked) >= 3 for load in loads))
    outage: dict[str, list[int]] = {}

    def while_down() -> None:
        answered = sum(len(load.answers) for load in loads)
        until(lambda: sum(len(load.answers) for load in loads) >= answered + 6, 20)
        outage["health"] = health_during_outage(client)

    pg.restart(mode, while_down)
    back = until(lambda: client.call("GET", "/health/ready").status == 200, 60)
    assert back, deployment.log("serve")[-3000:]
    acked_before = [len(load.acked) for load in loads]
    pairs = list(zip(loads, acked_before, strict=True))
    assert until(lambda: all(len(load.acked) > n for load, n in pairs))
    for load in loads:
        load.finish()
    assert outage["health"] == [200, 503, 503]
    for load in loads:
        assert load.hangs == []
        assert_no_500_and_503s_are_problems(load, deployment)
        assert any(a.status == 503 for _, a in load.answers), "the load never met the outage"
        assert settle(load) == []
        assert_stored_once(deployment, load)
    follower_alive_and_back(deployment)
    assert_projections_equal_a_rebuild(deployment)
    assert_ledger_verifies(deployment)


@pytest.mark.parametrize("mode", ["immediate", "fast"])
def test_follower_keeps_following_when_an_idle_postgresql_restarts(
    pg: Pg, deployment: Deployment, mode: str
) -> None:
    client = running(deployment)
    load = Load(client, f"idle-{mode}")
    load.open()
    for i in range(3):
        load.send(f"idle-{mode}-before-{i}")
    assert until(lambda: caught_up(deployment)), deployment.log("follow")[-3000:]
    pg.restart(mode, lambda: time.sleep(1.0))
    first = load.send(f"idle-{mode}-first")  # the database is back: no dead connection fails it
    load.sent.append(f"idle-{mode}-first")
    assert first is not None
    assert first.status == 201, first
    follower = deployment.processes[1]
    assert until(lambda: "database back" in deployment.log("follow"), 60)
    for i in range(3):
        key = f"idle-{mode}-after-{i}"
        load.sent.append(key)
        until(lambda key=key: (a := load.send(key)) is not None and a.status == 201, 30)
    assert follower.poll() is None
    assert load.hangs == []
    assert_no_500_and_503s_are_problems(load, deployment)
    assert_stored_once(deployment, load)
    follower_alive_and_back(deployment)
    assert_projections_equal_a_rebuild(deployment)
    assert_ledger_verifies(deployment)


def test_a_follower_killed_mid_load_is_replaced_and_nothing_is_applied_twice(
    deployment: Deployment,
) -> None:
    client = running(deployment)
    load = Load(client, "kill9")
    load.open()
    load.start()
    assert until(lambda: len(load.acked) >= 10)
    deployment.processes[1].send_signal(signal.SIGKILL)
    deployment.processes[1].wait()
    acked = len(load.acked)
    assert until(lambda: len(load.acked) >= acked + 10)
    replacement = deployment.follow(name="follow")
    load.finish()
    assert load.hangs == []
    assert_no_500_and_503s_are_problems(load, deployment)
    assert settle(load) == []
    assert_stored_once(deployment, load)
    assert_projections_equal_a_rebuild(deployment)
    assert replacement.poll() is None
    assert_ledger_verifies(deployment)
