"""Hypothesis: random sequences of commands on SQLite obey the command side's laws.

- every command is accepted or refused with a `TrustpathError`, never another exception,
  and a refusal records nothing;
- reloading the engagement in a new application on the same store (a cold cache) yields
  the same state as the live one;
- re-sending any accepted command with its idempotency key changes nothing and returns
  the first receipt; a command that carried a protagonist's confidential content, re-sent
  after that protagonist's erasure, is refused as erased content (its fingerprint can no
  longer be compared) and changes nothing either.

The same property runs, smaller, on PostgreSQL in tests/integration/test_idempotency.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.ciphers import MasterKey
from domain.errors import ContentErasedError
from domain.trustpath import Trustpath
from tests.conftest import make_app
from tests.support.builders import recorded
from tests.support.sequences import STAGES, SequenceRun, Step, state_of, steps

pytestmark = pytest.mark.unit


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


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stage=st.sampled_from(STAGES), sequence=st.lists(steps, min_size=8, max_size=25))
def test_command_sequences_are_accepted_or_refused_and_replay_changes_nothing(
    sqlite_app: Trustpath,
    sqlite_url: str,
    master_key: MasterKey,
    stage: str,
    sequence: list[Step],
) -> None:
    check_command_sequence(sqlite_app, sqlite_url, master_key, stage, sequence)
