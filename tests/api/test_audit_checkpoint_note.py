"""A checkpoint asked for by its tree size is the one signed: with its signed note."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from projections.ledger.checkpoints import Checkpoint, Signer
from tests.support.api_world import World
from tests.support.audit_world import pages, read_notes, sign

pytestmark = pytest.mark.api
SIGNER = Signer.generate()


def test_access_log_serves_the_checkpoint_of_a_tree_size_with_its_signed_note(
    world: World, client: FlaskClient
) -> None:
    read_notes(world, client, "coach_a", "cfo")
    first = sign(world, SIGNER)
    read_notes(world, client, "coach_a")
    sign(world, SIGNER)
    path = f"/audit/access-log?limit=1&tree_size={first.tree_size}"
    served = pages(client, world, "auditor", path)
    assert first.note_signature  # what the ledger signs: the checkpoint and its note
    assert {p["checkpoint"].get("note") == first.note() for p in served} == {True}
    assert Checkpoint.from_json(served[0]["checkpoint"]) == first
