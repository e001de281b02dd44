"""A gunicorn worker of `trustpath serve --workers 2` killed with SIGKILL, again and again,
while two clients send commands (each with its own Idempotency-Key) and a follower runs.

A killed worker's connections drop without an answer: its command may or may not have been
stored. The clients re-send every command not acknowledged, with the same key, as the API
asks. Afterwards: every acknowledged command is stored exactly once, no answer was a 500,
none hung, the master replaced the worker and still serves, the projections equal a rebuild
and `trustpath ledger verify` passes.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

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
from tests.support.served import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
KILLS = 3


def workers_of(master: int) -> set[int]:
    """The gunicorn master's children: its workers."""
    found: set[int] = set()
    for children in Path(f"/proc/{master}/task").glob("*/children"):
        found.update(int(pid) for pid in children.read_text().split())
    return found


def test_commands_are_stored_once_when_a_server_worker_is_killed_under_load(
    deployment: Deployment,
) -> None:
    port = free_port()
    bind = f"127.0.0.1:{port}"
    master = deployment.start(
        "serve", "--bind", bind, "--workers", "2", "--projections", "external", name="serve"
    )
    deployment.follow()
    client = Client(port)
    assert until(lambda: client.call("GET", "/health/ready").status == 200), deployment.log()
    assert until(lambda: len(workers_of(master.pid)) == 2), deployment.log()
    client.token = deployment.add_admin()
    loads = [Load(client, f"worker-kill-{i}") for i in range(2)]
    for load in loads:
        load.open()
        load.start()
    for _ in range(KILLS):
        acked = sum(len(load.acked) for load in loads)
        assert until(lambda acked=acked: sum(len(x.acked) for x in loads) >= acked + 6)
        before = workers_of(master.pid)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        replaced = until(lambda b=before: len(workers_of(master.pid) - b) == 1, 60)
        assert replaced, deployment.log()[-3000:]
        assert victim not in workers_of(master.pid)
    acked = sum(len(load.acked) for load in loads)
    assert until(lambda: sum(len(x.acked) for x in loads) >= acked + 6), deployment.log()
    for load in loads:
        load.finish()
    assert master.poll() is None, deployment.log()[-3000:]
    assert any(load.dropped for load in loads), "no kill met a command in flight"
    for load in loads:
        assert load.hangs == []
        assert_no_500_and_503s_are_problems(load, deployment)
        assert settle(load) == []
        assert_stored_once(deployment, load)
    assert_projections_equal_a_rebuild(deployment)
    assert_ledger_verifies(deployment)
