"""The authorisation matrix: every route x every principal, the expected status per cell.

The engagement is the demo's, completed, so that cells barely change it: a principal allowed
to act gets 409 (EngagementEndedError, the rule of a finished engagement) and one who is not
gets 403 - except consents (P, or P's own coach, may give or withdraw one at any time:
200), the erasure (201) and follow-ups (held after the end: 201). Who may *do* what is
checked before the state of the engagement, so coach_b acting in P's individual space or on
P's consents is a 403, not the 409 of a finished engagement. `P` is Claire (cfo): coach_a is her
coach, coach_b the other coach of the engagement, coo the other protagonist; sponsor_other,
coach_other and protagonist_other belong to other engagements. Confidential content
appears only in the cells domain/README.md allows.

Run on SQLite and on PostgreSQL.

Columns: ad=admin au=auditor rr=report_reader sp=sponsor so=sponsor_other ca=coach_a
         cb=coach_b co=coach_other P=cfo Q=coo po=protagonist_other
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.api_world import World, audit
from tests.support.matrix import SECRETS, table

pytestmark = pytest.mark.api

NOW = datetime.now(UTC).isoformat()
DUE = date.today().isoformat()

# route                  ad   au   rr   sp   so   ca   cb   co   P    Q    po
READS = """
status                   200  200  200  200  403  200  200  403  200  200  403
commitments              403  403  403  403  403  200  200  403  200  200  403
timeline                 403  403  403  403  403  200  200  403  200  200  403
history                  200  200  200  200  403  200  200  403  200  200  403
notes                    403  403  403  403  403  200  403  403  200  403  403
intention                403  403  403  403  403  200  403  403  200  403  403
list                     200  200  200  200  200  200  200  200  200  200  200
"""

COMMANDS = """
sign_agreement           409  403  403  403  403  403  403  403  403  403  403
enrol_protagonist        409  403  403  403  403  403  403  403  403  403  403
assign_coach             409  403  403  403  403  403  403  403  403  403  403
reassign_coach           409  403  403  403  403  403  403  403  403  403  403
give_consent             403  403  403  403  403  200  403  403  200  403  403
withdraw_consent         403  403  403  403  403  200  403  403  200  403  403
execute_erasure          201  403  403  403  403  403  403  403  403  403  403
hold_individual_session  403  403  403  403  403  409  403  403  403  403  403
declare_intention        403  403  403  403  403  409  403  403  403  403  403
share_intention          403  403  403  403  403  409  403  403  409  403  403
assess_trust             403  403  403  403  403  409  403  403  403  403  403
hold_relationship_session 403 403  403  403  403  409  409  403  403  403  403
record_presence_setback  403  403  403  403  403  409  409  403  403  403  403
make_commitment          403  403  403  403  403  409  409  403  403  403  403
honour_commitment        403  403  403  403  403  409  409  403  403  403  403
break_commitment         403  403  403  403  403  409  409  403  403  403  403
renegotiate_commitment   403  403  403  403  403  409  409  403  403  403  403
withdraw_commitment      403  403  403  403  403  409  409  403  403  403  403
pause                    409  403  403  403  403  403  403  403  403  403  403
resume                   409  403  403  403  403  403  403  403  403  403  403
terminate                403  403  403  409  403  409  409  403  409  409  403
complete                 409  403  403  403  403  403  403  403  403  403  403
close                    409  403  403  403  403  403  403  403  403  403  403
follow_up                403  403  403  403  403  201  201  403  403  403  403
"""


@pytest.fixture
def client(any_world: World) -> FlaskClient:
    """The test client of the world on each store (SQLite and PostgreSQL)."""
    return any_world.flask.test_client()


def reads(world: World) -> dict[str, str]:
    e, cfo = f"/engagements/{world.eid}", world.demo.protagonists["cfo"]
    return {
        "status": e,
        "commitments": f"{e}/commitments",
        "timeline": f"{e}/timeline",
        "history": f"{e}/history",
        "notes": f"{e}/individual-sessions/{world.session_with_notes()}/notes",
        "intention": f"{e}/protagonists/{cfo}/intention",
        "list": "/engagements",
    }


def commands(world: World) -> dict[str, tuple[str, dict[str, Any]]]:
    e = f"/engagements/{world.eid}"
    p, q = world.demo.protagonists["cfo"], world.demo.protagonists["coo"]
    engagement = world.app.engagement(world.eid)
    session = next(iter(engagement.relationship_sessions))
    c = f"{e}/commitments/{world.demo.commitments['confrontation']}"
    terms = {"owners": [p], "to_whom": [q], "what": "x", "due_on": DUE}
    return {
        "sign_agreement": (
            f"{e}/agreement",
            {"parties": ["x"], "confidentiality": "x", "retention_days": 1},
        ),
        "enrol_protagonist": (f"{e}/protagonists", {"name": "New"}),
        "assign_coach": (f"{e}/protagonists/{p}/coach", {"coach_id": "c", "coach_name": "C"}),
        "reassign_coach": (
            f"{e}/protagonists/{p}/coach/reassign",
            {"coach_id": "c", "coach_name": "C", "reason": "r"},
        ),
        "give_consent": (
            f"{e}/protagonists/{p}/consents",
            {"scope": "recording", "evidence": "form"},
        ),
        "withdraw_consent": (
            f"{e}/protagonists/{p}/consents/withdraw",
            {"scope": "recording", "evidence": "form"},
        ),
        "execute_erasure": (f"{e}/protagonists/{p}/erasure", {"request_reference": "R-1"}),
        "hold_individual_session": (
            f"{e}/individual-sessions",
            {"protagonist_id": p, "duration_minutes": 30, "challenges": ["presence"], "notes": "n"},
        ),
        "declare_intention": (f"{e}/protagonists/{p}/intention", {"text": "t"}),
        "share_intention": (f"{e}/protagonists/{p}/intention/share", {"shared_text": "t"}),
        "assess_trust": (
            f"{e}/trust-assessments",
            {"protagonist_id": p, "toward_id": q, "challenge": "presence", "score": 5},
        ),
        "hold_relationship_session": (
            f"{e}/relationship-sessions",
            {
                "challenge": "recognition",
                "present": [p, q],
                "duration_minutes": 60,
                "shared_notes": "s",
            },
        ),
        "record_presence_setback": (
            f"{e}/presence-setbacks",
            {"challenge": "recognition", "present": [p]},
        ),
        "make_commitment": (
            f"{e}/commitments",
            {**terms, "session_id": session, "challenge": "recognition"},
        ),
        "honour_commitment": (f"{c}/honour", {"evidence": "e"}),
        "break_commitment": (f"{c}/break", {"reason": "r"}),
        "renegotiate_commitment": (f"{c}/renegotiate", {**terms, "reason": "r"}),
        "withdraw_commitment": (f"{c}/withdraw", {"reason": "r"}),
        "pause": (f"{e}/pause", {"reason": "r"}),
        "resume": (f"{e}/resume", {}),
        "terminate": (f"{e}/terminate", {"reason": "r"}),
        "complete": (f"{e}/complete", {}),
        "close": (f"{e}/close", {"reason": "r"}),
        "follow_up": (
            f"{e}/follow-ups",
            {"months_after": 3, "trust_lasted": True, "shared_notes": "s"},
        ),
    }


def test_read_matrix(any_world: World, client: FlaskClient) -> None:
    world = any_world
    urls, wrong = reads(world), []
    for route, who, expected in table(READS):
        r = client.get(urls[route], headers=world.headers(who, **{"X-Purpose": "matrix"}))
        text = r.get_data(as_text=True)
        leaked = any(s in text for s in SECRETS)
        allowed_content = route in ("notes", "intention") and expected == 200
        if r.status_code != expected or leaked != allowed_content:
            wrong.append((route, who, expected, r.status_code, leaked))
    assert wrong == [], "\n".join(map(str, wrong))


def test_every_confidential_refusal_in_the_matrix_is_recorded(
    any_world: World, client: FlaskClient
) -> None:
    world = any_world
    urls = reads(world)
    refused = [(r, w) for r, w, code in table(READS) if r in ("notes", "intention") and code == 403]
    for route, who in refused:
        client.get(urls[route], headers=world.headers(who, **{"X-Purpose": "matrix"}))
    assert len(audit(world.app, "AccessDenied")) == len(refused)


def test_command_matrix(any_world: World, client: FlaskClient) -> None:
    world = any_world
    routes, wrong = commands(world), []
    for route, who, expected in table(COMMANDS):
        url, fields = routes[route]
        r = client.post(url, json={"occurred_at": NOW, **fields}, headers=world.headers(who))
        if r.status_code != expected:
            wrong.append((route, who, expected, r.status_code, r.json.get("type")))
    assert wrong == [], "\n".join(map(str, wrong))
