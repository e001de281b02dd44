"""What the console shows of an engagement is, role by role and moment by moment, exactly
what the same principal's bearer token gets from the API: status, ledger, trust timeline."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.console.views_data import NotVisibleError, reading
from projections.asof import engagement_notifications
from tests.support.api_world import World

pytestmark = pytest.mark.api
ROLES = ["admin", "auditor", "sponsor", "sponsor_other", "coach_a", "coach_b", "coach_other"]
ROLES += ["cfo", "coo", "protagonist_other"]


def plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def api(world: World, who: str, what: str, position: int) -> tuple[int, Any]:
    query = f"as_of_position={position}" + ("&limit=500" if what == "timeline" else "")
    r = world.flask.test_client().get(
        f"/engagements/{world.eid}/{what}?{query}", headers=world.headers(who)
    )
    return r.status_code, r.json


@pytest.mark.parametrize("who", ROLES)
def test_console_reading_equals_the_api_when_read_by_each_role(world: World, who: str) -> None:
    store = world.flask.extensions["trustpath.principals"]
    actor = store.authenticate(world.tokens[who]).actor
    engine = world.flask.extensions["trustpath.read_side"].engine
    positions = [n.id for n in engagement_notifications(world.app, engine, world.eid)]
    for position in (positions[4], positions[len(positions) // 2], positions[-1]):
        code, status = api(world, who, "status", position)
        with world.flask.app_context():
            if code != 200:
                assert code in (403, 404)
                with pytest.raises(NotVisibleError):
                    reading(world.app, world.eid, actor, position=position)
                continue
            found = reading(world.app, world.eid, actor, position=position)
        assert plain(found.status) == status
        code, ledger = api(world, who, "commitments", position)
        assert (found.ledger is None) == (code != 200)
        if code == 200:
            assert plain(found.ledger) == ledger
        code, timeline = api(world, who, "timeline", position)
        assert (found.assessments is None) == (code != 200)
        if code == 200:
            moves = {"previous_score", "moved", "milestones", "milestones_omitted"}
            shown = [
                {k: v for k, v in a.items() if k not in moves} for a in timeline["assessments"]
            ]
            assert plain(found.assessments) == shown
            assert plain(found.milestones) == timeline["milestones"]
