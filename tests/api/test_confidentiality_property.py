"""Property: whoever asks, confidential content reaches only P and P's own coach."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.principals import ROLES, SUBJECT_ROLES
from tests.support.api_world import World

pytestmark = pytest.mark.api
SECRETS = (
    "Feels ambushed",  # first notes of each protagonist, then their intentions
    "Sees the CFO as blocking",
    "without fearing ambushes",
    "I want Claire to trust",
)


@given(data=st.data())
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_principal_outside_the_matrix_ever_receives_confidential_content(
    world: World, client: FlaskClient, data: st.DataObject
) -> None:
    p = world.demo.protagonists
    engagement = world.app.engagement(world.eid)
    role = data.draw(st.sampled_from(ROLES))
    subjects = [*p.values(), "coach-amelie", "coach-bruno", "coach-zoe", "norwind-hr", "x"]
    subject = data.draw(st.sampled_from(subjects)) if role in SUBJECT_ROLES else ""
    owner = data.draw(st.sampled_from(sorted(p.values())))
    session = next(s for s, pid in engagement.individual_sessions.items() if pid == owner)
    path = data.draw(
        st.sampled_from(
            [
                f"/engagements/{world.eid}/individual-sessions/{session}/notes",
                f"/engagements/{world.eid}/protagonists/{owner}/intention",
            ]
        )
    )
    store = world.flask.extensions["trustpath.principals"]
    token = store.add(role, "drawn", subject)[1]
    r = client.get(path, headers={"Authorization": f"Bearer {token}", "X-Purpose": "prop"})
    own_coach = engagement.protagonists[owner]["coach_id"]
    may_read = (role, subject) in {("protagonist", owner), ("coach", own_coach)}
    leaked = any(s in r.get_data(as_text=True) for s in SECRETS)
    assert r.status_code == (200 if may_read else 403)
    assert leaked == may_read
