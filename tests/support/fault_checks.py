"""What every fault drill checks afterwards, and the load it runs meanwhile.

Load             a thread enrolling protagonists into its own engagement and opening new
                 engagements, each command with its own Idempotency-Key; every answer is
                 kept (status, problem, headers); a connection dropped without an answer
                 is kept apart (`dropped`): the command may or may not have been stored
settle           re-send every command not acknowledged, with the same key, until it is
assert_stored_once   every acknowledged command is stored exactly once (its key in one event)
caught_up        every live projection reached the end of the log
assert_projections_equal_a_rebuild   the views now equal the same views rebuilt from scratch
assert_ledger_verifies               `trustpath ledger verify` passes
"""

from __future__ import annotations

import http.client
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any

from ops.config import Settings, build_app
from projections.commitment_ledger import get_ledger
from projections.engine import make_engine
from projections.rebuild import rebuild
from projections.status import get_status, list_engagements
from projections.timeline import get_timeline
from projections.wiring import attach
from tests.support.drills import TRUSTPATH, Client, Deployment, until
from tests.support.served import Answer, now

VIEWS = ("status", "commitment_ledger", "timeline")


@dataclass(eq=False)
class Load(threading.Thread):
    """Commands sent one after the other until `stop`; no answer within the bound is a hang."""

    client: Client
    prefix: str
    stop: threading.Event = field(default_factory=threading.Event)
    eid: str = ""
    answers: list[tuple[str, Answer]] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)
    sent: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread.__init__(self, daemon=True)

    def open(self) -> None:
        body = {"occurred_at": now(), "title": self.prefix, "organisation": "o", "sponsor": "s"}
        answer = self.client.call("POST", "/engagements", body, {"Idempotency-Key": self.prefix})
        assert answer.status == 201, answer
        self.eid = answer.body["engagement_id"]

    def send(self, key: str) -> Answer | None:
        """Enrol a protagonist (an aggregate in the cache), or, for every third key, open an
        engagement (loaded from the store: its snapshot, then its events)."""
        body: dict[str, Any] = {"occurred_at": now(), "name": f"Protagonist {key}"}
        path = f"/engagements/{self.eid}/protagonists"
        if sum(map(ord, key)) % 3 == 0:
            body, path = (
                {
                    "occurred_at": now(),
                    "title": f"Board {key}",
                    "organisation": "o",
                    "sponsor": "s",
                },
                ("/engagements"),
            )
        try:
            answer = self.client.call("POST", path, body, {"Idempotency-Key": key})
        except TimeoutError as hang:
            self.hangs.append(str(hang))
            return None
        except (ConnectionError, http.client.HTTPException) as lost:  # its worker was killed
            self.dropped.append(f"{key}: {lost!r}")
            return None
        self.answers.append((key, answer))
        if answer.status in (200, 201):
            self.acked.add(key)
        return answer

    def run(self) -> None:
        index = 0
        while not self.stop.is_set():
            key = f"{self.prefix}-{index}"
            self.sent.append(key)
            self.send(key)
            index += 1

    def finish(self) -> None:
        self.stop.set()
        self.join(timeout=60)


def settle(load: Load) -> list[str]:
    """Re-send every command not acknowledged (same key) until it is; returns those left."""
    left = [key for key in load.sent if key not in load.acked]
    for key in left:
        until(lambda key=key: (a := load.send(key)) is not None and a.status in (200, 201), 60)
    return [key for key in load.sent if key not in load.acked]


def problems_of(load: Load) -> list[Answer]:
    return [answer for _, answer in load.answers if answer.status >= 400]


def assert_no_500_and_503s_are_problems(load: Load, deployment: Deployment) -> None:
    statuses = sorted({a.status for _, a in load.answers})
    assert all(s < 500 or s == 503 for s in statuses), (statuses, deployment.log("serve")[-6000:])
    for answer in problems_of(load):
        if answer.status == 503:
            assert answer.headers["content-type"] == "application/problem+json", answer
            assert int(answer.headers["retry-after"]) > 0, answer
            assert answer.body["type"].startswith("/problems/Store") or answer.body["type"] == (
                "/problems/CommandOutcomeUnknown"
            ), answer


def stored(deployment: Deployment, key: str) -> int:
    """How many stored events carry this idempotency key."""
    return int(
        deployment.scalar(
            "SELECT count(*) FROM trustpath_events "
            "WHERE position(convert_to(:key, 'UTF8') in state) > 0",
            key=f'"{key}"',
        )
    )


def assert_stored_once(deployment: Deployment, load: Load) -> None:
    assert load.acked, "nothing was acknowledged: the drill tested nothing"
    counts = {key: stored(deployment, key) for key in load.sent}
    wrong = {k: n for k, n in counts.items() if (k in load.acked and n != 1) or n > 1}
    assert wrong == {}, f"commands not stored exactly once: {wrong}"


def caught_up(deployment: Deployment) -> bool:
    end = deployment.scalar("SELECT max(notification_id) FROM trustpath_events")
    live = deployment.scalar(
        "SELECT count(*) FROM trustpath_projection_positions WHERE live AND position >= :end",
        end=end,
    )
    return bool(live == 4)


def views(deployment: Deployment) -> dict[str, Any]:
    settings = Settings.from_environ(deployment.env)
    app = build_app(settings)
    engine = make_engine(settings.database_url)
    try:
        read_side = attach(app, engine, in_process=False, rebuild_outdated=False)
        found = {}
        for row in list_engagements(read_side, limit=10_000):
            eid = row["engagement_id"]
            found[str(eid)] = (
                get_status(read_side, eid),
                get_ledger(read_side, eid),
                get_timeline(read_side, eid),
            )
        return found
    finally:
        engine.dispose()
        app.close()


def rebuild_views(deployment: Deployment) -> None:
    settings = Settings.from_environ(deployment.env)
    app = build_app(settings)
    engine = make_engine(settings.database_url)
    try:
        read_side = attach(app, engine, in_process=False, rebuild_outdated=False)
        for name in VIEWS:
            rebuild(read_side, name)
    finally:
        engine.dispose()
        app.close()


def assert_projections_equal_a_rebuild(deployment: Deployment) -> None:
    assert until(lambda: caught_up(deployment)), deployment.log("follow")[-3000:]
    followed = views(deployment)
    rebuild_views(deployment)
    assert views(deployment) == followed


def assert_ledger_verifies(deployment: Deployment) -> None:
    done = subprocess.run(
        [TRUSTPATH, "ledger", "verify"],
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ledger verified" in done.stdout
