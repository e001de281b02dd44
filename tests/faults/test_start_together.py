"""Several `trustpath serve` and `trustpath projections follow` processes started at the same
moment on a new database: schema creation is serialised (advisory locks), none crashes."""

from __future__ import annotations

import pytest

from tests.support.drills import Client, Deployment, until
from tests.support.fault_checks import (
    Load,
    assert_ledger_verifies,
    assert_no_500_and_503s_are_problems,
    assert_projections_equal_a_rebuild,
    assert_stored_once,
)
from tests.support.served import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
SERVERS, FOLLOWERS = 3, 2


def test_servers_and_followers_started_together_on_a_new_database_all_come_up(
    deployment: Deployment,
) -> None:
    ports = [free_port() for _ in range(SERVERS)]
    servers = [deployment.serve(port, name=f"serve{i}") for i, port in enumerate(ports)]
    followers = [deployment.follow(name=f"follow{i}") for i in range(FOLLOWERS)]
    clients = [Client(port) for port in ports]
    for i, client in enumerate(clients):
        ready = until(lambda client=client: client.call("GET", "/health/ready").status == 200)
        assert ready, deployment.log(f"serve{i}")[-3000:]
    everyone = [*servers, *followers]
    logs = [f"serve{i}" for i in range(SERVERS)] + [f"follow{i}" for i in range(FOLLOWERS)]
    assert [p.poll() for p in everyone] == [None] * len(everyone), [
        deployment.log(name)[-2000:] for name in logs
    ]
    token = deployment.add_admin()
    for i, client in enumerate(clients):
        client.token = token
        load = Load(client, f"together-{i}")
        load.open()
        for n in range(3):
            load.sent.append(f"together-{i}-{n}")
            load.send(f"together-{i}-{n}")
        assert load.hangs == []
        assert_no_500_and_503s_are_problems(load, deployment)
        assert_stored_once(deployment, load)
    assert_projections_equal_a_rebuild(deployment)
    assert_ledger_verifies(deployment)
    assert [p.poll() for p in everyone] == [None] * len(everyone)
    assert not any("Traceback" in deployment.log(name) for name in logs)
