"""An auditor over real HTTP (gunicorn, two workers, PostgreSQL), holding only the ledger's
public key and their own token: the confidentiality report's checkpoint and every entry's
proof verify, until someone edits an access record behind trustpath's back. And the admin
manages principals over HTTP: a revoked token is refused by every worker at once."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa

from projections.engine import make_engine
from projections.ledger.audit_log import check_entry
from projections.ledger.checkpoints import (
    KEY_ENV,
    Checkpoint,
    Signer,
    load_public_key,
    load_signer,
    verify_checkpoint,
)
from projections.ledger.store import LedgerStore
from tests.support.served import Server

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
PURPOSE = "preparing the audit e2e"


def operator_signs_a_checkpoint(server: Server) -> str:
    """What `trustpath ledger checkpoint` does once the ledger sealed every stored event;
    returns the public key PEM the operator hands to the auditor."""
    signer: Signer = load_signer(False, {KEY_ENV: str(server.ledger_key_file)})
    engine = make_engine(server.database_url)
    try:
        store = LedgerStore(engine)
        for _ in range(200):  # the in-process read side seals as it goes: bounded wait
            with engine.connect() as conn:
                stored = conn.execute(sa.text("SELECT count(*) FROM trustpath_events")).scalar()
            if store.size() >= int(stored or 0):
                break
            time.sleep(0.05)
        store.checkpoint(signer)
    finally:
        engine.dispose()
    return signer.public_pem()


def report(server: Server) -> list[dict[str, Any]]:
    eid = server.demo.engagement_id
    pages, cursor = [], None
    for _ in range(100):
        query = f"?limit=1&cursor={cursor}" if cursor else "?limit=1"
        answer = server.call("GET", f"/audit/engagements/{eid}/confidentiality{query}", "auditor")
        assert answer.status == 200, answer.body
        pages.append(answer.body)
        cursor = answer.body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the cursor never ended")


def problems(pages: list[dict[str, Any]], public_pem: str) -> list[str]:
    """The auditor's check: the checkpoint's signature, then every entry against it."""
    key = load_public_key(public_pem)
    found = []
    for page in pages:
        checkpoint = Checkpoint.from_json(page["checkpoint"])
        if not verify_checkpoint(checkpoint, key):
            found.append("the checkpoint's signature does not verify")
        found += [p for e in page["items"] for p in check_entry(e, checkpoint, key)]
    return found


def test_auditor_verifies_the_report_over_http_and_sees_a_tampered_record_fail(
    server: Server,
) -> None:
    eid, cfo = server.demo.engagement_id, server.demo.protagonists["cfo"]
    path = f"/engagements/{eid}/protagonists/{cfo}/intention"
    assert server.call("GET", path, "coach_a", headers={"X-Purpose": PURPOSE}).status == 200
    assert server.call("GET", path, "coach_b", headers={"X-Purpose": PURPOSE}).status == 403
    public_pem = operator_signs_a_checkpoint(server)
    pages = report(server)
    entries = [e for p in pages for e in p["items"]]
    assert [(e["kind"], e["principal_id"]) for e in entries] == [
        ("access", "coach-amelie"),
        ("refusal", "coach-bruno"),
    ]
    assert pages[0]["summary"]["matrix_respected"] is True
    assert "ambushes" not in str(pages)
    assert problems(pages, public_pem) == []
    tamper(server, entries[0]["notification_id"])
    tampered = report(server)
    assert tampered[0]["items"][0]["purpose"] == "routine"
    assert "the stored event is not the leaf" in problems(tampered, public_pem)


def tamper(server: Server, notification_id: int) -> None:
    engine = make_engine(server.database_url)
    try:
        with engine.begin() as conn:
            state = conn.execute(
                sa.text("SELECT state FROM trustpath_events WHERE notification_id = :n"),
                {"n": notification_id},
            ).scalar_one()
            changed = bytes(state).replace(PURPOSE.encode(), b"routine")
            conn.execute(
                sa.text("UPDATE trustpath_events SET state = :s WHERE notification_id = :n"),
                {"s": changed, "n": notification_id},
            )
    finally:
        engine.dispose()


def test_a_principal_revoked_over_http_is_refused_by_every_worker(server: Server) -> None:
    added = server.call("POST", "/principals", "admin", {"role": "auditor", "name": "Temp e2e"})
    assert added.status == 201, added.body
    token = added.body["token"]
    auth = {"Authorization": f"Bearer {token}"}
    before = [server.call("GET", "/audit/access-log", headers=auth).status for _ in range(6)]
    assert before == [200] * 6
    revoked = server.call("POST", f"/principals/{added.body['id']}/revoke", "admin")
    assert revoked.status == 200
    after = [server.call("GET", "/audit/access-log", headers=auth).status for _ in range(6)]
    assert after == [401] * 6
