"""The matrix of the access-log, status-as-of and principals routes: every route x every
principal, for their own and another engagement and protagonist.

domain/README.md's "access log, ledger" column: protagonist P sees their own entries (who read my
file), the auditor sees everything, nobody else sees anything; the auditor's reports (the
ledger with its proofs) are the auditor's alone. Principals are the practice admin's.
Status as of a moment is seen by whoever sees the status. Same columns as test_matrix.py;
P = cfo (Claire, coach_a's), Q = coo (Omar, coach_b's), po = the cfo of the other
engagement (its own coaches are the same two people: the demo played twice).

Columns: ad=admin au=auditor rr=report_reader sp=sponsor so=sponsor_other ca=coach_a
         cb=coach_b co=coach_other P=cfo Q=coo po=protagonist_other
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from api.principals import PrincipalStore
from tests.support.api_world import World
from tests.support.audit_world import read_notes
from tests.support.matrix import SECRETS, table

pytestmark = pytest.mark.api

# route                  ad   au   rr   sp   so   ca   cb   co   P    Q    po
ROUTES = """
confidentiality          403  200  403  403  403  403  403  403  403  403  403
confidentiality_other    403  200  403  403  403  403  403  403  403  403  403
who_read_P               403  200  403  403  403  403  403  403  403  403  403
who_read_po              403  200  403  403  403  403  403  403  403  403  403
access_log               403  200  403  403  403  403  403  403  403  403  403
access_log_filtered      403  200  403  403  403  403  403  403  403  403  403
own_log_P                403  200  403  403  403  403  403  403  200  403  403
own_log_Q                403  200  403  403  403  403  403  403  403  200  403
own_log_po               403  200  403  403  403  403  403  403  403  403  200
status                   200  200  200  200  403  200  200  403  200  200  403
status_as_of             200  200  200  200  403  200  200  403  200  200  403
status_as_of_position    200  200  200  200  403  200  200  403  200  200  403
principals_list          200  403  403  403  403  403  403  403  403  403  403
"""
COMMANDS = """
principals_add           201  403  403  403  403  403  403  403  403  403  403
principals_revoke        200  403  403  403  403  403  403  403  403  403  403
"""


def routes(world: World) -> dict[str, str]:
    e, o = f"/engagements/{world.eid}", f"/engagements/{world.other.engagement_id}"
    p, q = world.demo.protagonists["cfo"], world.demo.protagonists["coo"]
    po = world.other.protagonists["cfo"]
    return {
        "confidentiality": f"/audit{e}/confidentiality",
        "confidentiality_other": f"/audit{o}/confidentiality",
        "who_read_P": f"/audit/protagonists/{p}/reads",
        "who_read_po": f"/audit/protagonists/{po}/reads",
        "access_log": "/audit/access-log",
        "access_log_filtered": f"/audit/access-log?engagement={world.eid}&principal=coach-amelie",
        "own_log_P": f"{e}/protagonists/{p}/access-log",
        "own_log_Q": f"{e}/protagonists/{q}/access-log",
        "own_log_po": f"{o}/protagonists/{po}/access-log",
        "status": f"{e}/status",
        "status_as_of": f"{e}/status?as_of=2026-08-01T00:00:00Z",
        "status_as_of_position": f"{e}/status?as_of_position=20",
        "principals_list": "/principals",
    }


def test_access_log_route_matrix(world: World, client: FlaskClient) -> None:
    read_notes(world, client, "coach_a", "coach_b", "cfo")  # entries to see (or not)
    urls, wrong = routes(world), []
    for route, who, expected in table(ROUTES):
        r = client.get(urls[route], headers=world.headers(who))
        leaked = any(s in r.get_data(as_text=True) for s in SECRETS)
        if r.status_code != expected or leaked:
            wrong.append((route, who, expected, r.status_code, leaked))
    assert wrong == [], "\n".join(map(str, wrong))


def commands(world: World, store: PrincipalStore) -> dict[str, Callable[[str], int]]:
    def add(who: str) -> int:
        body = {"role": "auditor", "name": f"added by {who}"}
        return (
            world.flask.test_client()
            .post("/principals", json=body, headers=world.headers(who))
            .status_code
        )

    def revoke(who: str) -> int:
        victim, _ = store.add("report_reader", f"revoked by {who}")
        path = f"/principals/{victim.id}/revoke"
        return world.flask.test_client().post(path, headers=world.headers(who)).status_code

    return {"principals_add": add, "principals_revoke": revoke}


def test_principals_command_matrix(world: World) -> None:
    store = world.flask.extensions["trustpath.principals"]
    run, wrong = commands(world, store), []
    for route, who, expected in table(COMMANDS):
        status = run[route](who)
        if status != expected:
            wrong.append((route, who, expected, status))
    assert wrong == [], "\n".join(map(str, wrong))
    added = [p.name for p in store.list() if p.name.startswith("added by")]
    assert added == ["added by admin"]
