"""Master-key rotation on both stores: content readable, erasures final, retries replayed.

A rotation rewraps every data key (and the derivation root) under the new master key while
the service runs (`domain.rotation`). A process holding both keys reads everything
throughout; a process still holding only the old key fails one read with one line and
never writes; after the rotation only the new key is needed. Idempotency fingerprints and
ids derived from idempotency keys come from the derivation root, so a retried command and
a retried opening find what the first one did.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.adapters.keystore import SQLKeyStore
from domain.ciphers import ERASED, MasterKey, MasterKeyError, Place
from domain.commands import ExecuteErasure, HoldIndividualSession, OpenEngagement
from domain.keyring import ROOT_KEY_ID, Keyring
from domain.rotation import rotate_master
from domain.trustpath import Trustpath
from tests.support.apps import make_app
from tests.support.builders import ADMIN, COACH_A, COACH_B, SPONSOR, EngagementBuilder

pytestmark = pytest.mark.integration


@pytest.fixture
def new_key() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture
def both(store_url: str, new_key: MasterKey, master_key: MasterKey) -> Iterator[Trustpath]:
    """A process restarted with the new key current and the old one retired."""
    yield from _running(store_url, Keyring(new_key, [master_key]))


def _running(url: str, key: MasterKey | Keyring) -> Iterator[Trustpath]:
    app = make_app(url, key)  # type: ignore[arg-type]
    yield app
    app.close()


def _keys(app: Trustpath) -> SQLKeyStore:
    return SQLKeyStore(app.recorder.datastore)  # type: ignore[attr-defined]


def _erase(b: EngagementBuilder, protagonist_id: str) -> None:
    b.run(
        ADMIN,
        ExecuteErasure(occurred_at=b.at(), protagonist_id=protagonist_id, request_reference="R-1"),
    )


def _world(app: Trustpath) -> tuple[EngagementBuilder, str, str]:
    """Two protagonists' notes, the second protagonist erased."""
    b = EngagementBuilder(app)
    b.contracted()
    kept = b.individual_session(b.p1, notes="Kept across the rotation.")
    gone = b.individual_session(b.p2, notes="Erased before the rotation.")
    _erase(b, b.p2)
    return b, app.session_notes_field(kept), app.session_notes_field(gone)


def test_rotate_master_keeps_content_readable_and_erasures_final_when_only_the_new_key_is_left(
    app: Trustpath, both: Trustpath, store_url: str, master_key: MasterKey, new_key: MasterKey
) -> None:
    b, kept, gone = _world(app)
    keys = _keys(both)
    before = keys.census()
    done = rotate_master(keys, Keyring(new_key, [master_key]))
    assert set(before) == {master_key.id, ""}
    assert before[""] == 1
    assert done.rewrapped == before[master_key.id]
    assert keys.census() == {new_key.id: before[master_key.id], "": 1}
    assert keys.is_destroyed(f"dk-{b.p2}")
    assert keys.get(f"dk-{b.p2}") is None
    for reader in _running(store_url, new_key):
        assert reader.read_content(b.eid, COACH_A, kept, "check").text == (
            "Kept across the rotation."
        )
        assert reader.read_content(b.eid, COACH_B, gone, "check").text == ERASED


def test_process_with_only_the_old_key_refuses_to_start_once_the_store_was_rotated(
    app: Trustpath, both: Trustpath, store_url: str, master_key: MasterKey, new_key: MasterKey
) -> None:
    _world(app)
    rotate_master(_keys(both), Keyring(new_key, [master_key]))
    with pytest.raises(MasterKeyError) as refused:
        make_app(store_url, master_key)
    assert new_key.id in str(refused.value)
    assert "\n" not in str(refused.value)


def test_process_still_running_with_the_old_key_fails_a_read_clearly_and_leaves_keys_alone(
    app: Trustpath, both: Trustpath, master_key: MasterKey, new_key: MasterKey
) -> None:
    b, kept, _ = _world(app)
    keys = _keys(both)
    assert both.read_content(b.eid, COACH_A, kept, "before").text == "Kept across the rotation."
    rotate_master(keys, Keyring(new_key, [master_key]))
    rows = keys.census()
    with pytest.raises(MasterKeyError) as failed:
        app.read_content(b.eid, COACH_A, kept, "after")
    assert new_key.id in str(failed.value)
    assert "\n" not in str(failed.value)
    assert keys.census() == rows
    assert both.read_content(b.eid, COACH_A, kept, "after").text == "Kept across the rotation."


def test_retried_commands_and_openings_replay_after_a_master_key_rotation(
    app: Trustpath, both: Trustpath, store_url: str, master_key: MasterKey, new_key: MasterKey
) -> None:
    at = datetime.now(UTC) - timedelta(days=3)
    opening = {"title": "T", "organisation": "O", "context": "C", "sponsor": SPONSOR.id}
    opened = app.execute(None, ADMIN, OpenEngagement(occurred_at=at, key="open-1", **opening))
    b = EngagementBuilder(app)
    b.contracted()
    session = {"protagonist_id": b.p1, "duration_minutes": 50, "challenges": ["presence"]}
    first = app.execute(
        b.eid, COACH_A, HoldIndividualSession(occurred_at=b.at(), notes="N", key="s-1", **session)
    )
    rotate_master(_keys(both), Keyring(new_key, [master_key]))
    for after in _running(store_url, new_key):
        retried = after.execute(
            None, ADMIN, OpenEngagement(occurred_at=at, key="open-1", **opening)
        )
        assert retried == replace(opened, replayed=True)
        again = after.execute(
            b.eid,
            COACH_A,
            HoldIndividualSession(occurred_at=b.at(), notes="N", key="s-1", **session),
        )
        assert again == replace(first, replayed=True)


def test_rotate_master_resumes_where_it_stopped_and_skips_rows_already_rewrapped(
    app: Trustpath, both: Trustpath, master_key: MasterKey, new_key: MasterKey
) -> None:
    _world(app)
    keys, ring = _keys(both), Keyring(new_key, [master_key])
    live = keys.census()[master_key.id]

    def interrupted(done: int, _remaining: int) -> None:
        raise KeyboardInterrupt  # the operator's Ctrl-C after the first page

    with pytest.raises(KeyboardInterrupt):
        rotate_master(keys, ring, interrupted, page=1)
    assert keys.census()[new_key.id] == 1
    resumed = rotate_master(keys, ring)
    assert resumed.rewrapped == live - 1
    assert not resumed.left


def test_rewrap_leaves_a_key_erased_meanwhile_erased(
    app: Trustpath, both: Trustpath, master_key: MasterKey, new_key: MasterKey
) -> None:
    b, _, _ = _world(app)
    keys = _keys(both)
    key_id, wrapped, _ = next(r for r in keys.not_under(new_key.id) if r[0] == f"dk-{b.p1}")
    _erase(b, b.p1)  # between the rotation's read and its write
    assert not keys.rewrap(key_id, wrapped, new_key.wrap(master_key.unwrap(wrapped)), new_key.id)
    assert keys.is_destroyed(key_id)
    assert keys.get(key_id) is None


def test_derivation_root_is_the_original_master_key_so_existing_fingerprints_stay_valid(
    app: Trustpath, both: Trustpath, master_key: MasterKey, new_key: MasterKey
) -> None:
    rotate_master(_keys(both), Keyring(new_key, [master_key]))
    assert _keys(both).get(ROOT_KEY_ID) is not None
    assert both.vault.derivation_root.derive("idempotency") == master_key.derive("idempotency")


def test_rotate_master_reports_keys_a_process_with_only_the_old_key_keeps_wrapping(
    app: Trustpath, both: Trustpath, master_key: MasterKey, new_key: MasterKey
) -> None:
    b, _, _ = _world(app)
    made: list[str] = []

    def stale_process_seals(_done: int, _remaining: int) -> None:
        made.append(f"late-{len(made)}")  # a new protagonist's key, under the old master key
        app.vault.seal("text", Place(str(b.eid), made[-1], "notes"))

    done = rotate_master(_keys(both), Keyring(new_key, [master_key]), stale_process_seals)
    assert done.left == {master_key.id: 1}
    assert _keys(both).get(f"dk-{made[-1]}") is not None
    finished = rotate_master(_keys(both), Keyring(new_key, [master_key]))
    assert not finished.left
