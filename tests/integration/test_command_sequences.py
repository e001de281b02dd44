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
from domain.trustpath import Trustpath
from tests.support.sequence_checks import check_command_sequence
from tests.support.steps import STAGES, Step, steps

pytestmark = pytest.mark.integration


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
