"""The laws a random command sequence must obey (tests/integration/test_command_sequences.py
runs it on SQLite, tests/integration/test_idempotency.py on PostgreSQL): every command
accepted or refused, a cold reload equal to the live state, a re-send changing nothing."""

from __future__ import annotations

from domain.ciphers import MasterKey
from domain.errors import ContentErasedError
from domain.trustpath import Trustpath
from tests.support.apps import make_app
from tests.support.builders import recorded
from tests.support.sequences import SequenceRun, state_of
from tests.support.steps import Step


def check_command_sequence(
    app: Trustpath, url: str, key: MasterKey, stage: str, sequence: list[Step]
) -> SequenceRun:
    """Play `sequence`, then check reloading and re-sending; returns the run."""
    run = SequenceRun.start(app, stage)
    for step in sequence:
        run.play(step)
    eid = run.builder.eid
    live = state_of(app.engagement(eid))
    fresh_app = make_app(url, key)
    try:
        assert state_of(fresh_app.engagement(eid)) == live
    finally:
        fresh_app.close()
    before = recorded(app, eid)
    for accepted in run.accepted:
        try:
            again = accepted.send()
        except ContentErasedError:
            assert any(p["erased"] for p in app.engagement(eid).protagonists.values())
            continue
        first = accepted.receipt
        assert again.replayed
        assert (again.position, again.version, again.item_id) == (
            first.position,
            first.version,
            first.item_id,
        )
    assert recorded(app, eid) == before
    assert state_of(app.engagement(eid)) == live
    return run
