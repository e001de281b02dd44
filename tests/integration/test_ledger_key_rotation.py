"""Ledger key rotation on both stores: every checkpoint verifies under the key valid for it.

The world's first checkpoint is signed by the original key; a successor is registered (as
`trustpath keys rotate-ledger` does) and signs the next one. Earlier checkpoints still
verify under the earlier key, the key set (with validity ranges) is exportable, and a
checkpoint the retired key signs after its successor took over is reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ops.demo import play
from ops.ledger_files import read_keys
from projections.ledger.checkpoints import Checkpoint, Signer
from projections.ledger.keyset import KeySet, LedgerKey, load_key_set, register_keys
from projections.ledger.recompute import read_ledger
from projections.ledger.verify import Report, verify
from tests.support.ledger_world import World, sealed_world

pytestmark = pytest.mark.integration


@pytest.fixture
def rotated(store_url: str, tmp_path: Path) -> Iterator[tuple[World, Signer]]:
    """One checkpoint under the original key, then one under its registered successor."""
    with sealed_world(store_url, tmp_path) as world:
        successor = Signer.generate()
        register_keys(world.store.engine, world.signer, successor)
        play(world.app)
        world.seal()
        world.store.checkpoint(successor)
        yield world, successor


def _verify(world: World, checkpoints: list[Checkpoint], keys: object) -> Report:
    return verify(world.url, checkpoints, keys, lambda: read_ledger(world.store.engine))  # type: ignore[arg-type]


def test_ledger_verify_checks_each_checkpoint_under_its_own_key_after_a_rotation(
    rotated: tuple[World, Signer],
) -> None:
    world, successor = rotated
    checkpoints = world.store.checkpoints()
    keys = load_key_set(world.store.engine)
    report = _verify(world, checkpoints, KeySet(keys))
    assert report.ok, report.findings
    assert report.signed_size == checkpoints[-1].tree_size
    old, new = keys
    assert (old.key_id, old.status, old.retired_at) == (
        world.signer.key_id,
        "retired",
        checkpoints[1].signed_at,
    )
    assert (old.first_size, old.last_size) == (checkpoints[0].tree_size,) * 2
    assert (new.key_id, new.status, new.first_size) == (
        successor.key_id,
        "current",
        checkpoints[1].tree_size,
    )
    only_old = _verify(world, checkpoints, world.signer.public_key)
    assert [f.kind for f in only_old.findings] == ["signature"]


def test_checkpoint_signed_by_a_retired_key_after_its_successor_took_over_is_reported(
    rotated: tuple[World, Signer],
) -> None:
    world, _ = rotated
    play(world.app)
    world.seal()
    world.store.checkpoint(world.signer)  # a signer that was never restarted
    report = _verify(world, world.store.checkpoints(), KeySet(load_key_set(world.store.engine)))
    assert [f.kind for f in report.findings] == ["validity"]
    assert world.signer.key_id in str(report.first)
    assert "retired" in str(report.first)


def test_exported_key_set_verifies_bare_signed_notes_and_bounds_a_retired_keys_sizes(
    rotated: tuple[World, Signer], tmp_path: Path
) -> None:
    world, _ = rotated
    exported = tmp_path / "keys.json"
    keys = load_key_set(world.store.engine)
    exported.write_text(json.dumps({"keys": [k.as_json() for k in keys]}))
    from_file = read_keys(exported)
    assert isinstance(from_file, KeySet)
    signed = world.store.checkpoints()
    notes = [Checkpoint.from_note(c.note() or "") for c in signed]
    assert _verify(world, notes, from_file).ok
    late = world.signer.sign(signed[-1].tree_size, signed[-1].root_hash)
    bare = Checkpoint.from_note(late.note() or "")
    report = _verify(world, [*notes, bare], from_file)
    assert [f.kind for f in report.findings] == ["validity"]


def test_checkpoint_naming_a_key_outside_the_set_is_reported(
    rotated: tuple[World, Signer],
) -> None:
    world, _ = rotated
    stranger = Signer.generate()
    last = world.store.checkpoints()[-1]
    forged = stranger.sign(last.tree_size, last.root_hash)
    keys = KeySet(load_key_set(world.store.engine))
    report = _verify(world, [*world.store.checkpoints(), forged], keys)
    assert [f.kind for f in report.findings] == ["signature"]
    assert "not in the key set" in str(report.first)
    swapped = replace(forged, key_id=world.signer.key_id)
    assert "is not signed by key" in str(keys.problem(swapped))


def test_key_set_round_trips_through_its_json_with_its_ranges(
    rotated: tuple[World, Signer],
) -> None:
    world, _ = rotated
    keys = load_key_set(world.store.engine)
    again = [LedgerKey.from_json(json.loads(json.dumps(k.as_json()))) for k in keys]
    assert [k.as_json() for k in again] == [k.as_json() for k in keys]
