"""Padding, and values sealed before padding existed.

- Padding is undone exactly, whatever the plaintext ends with.
- Values sealed before padding existed (`alg` "A256GCM", exact `len`, no padding inside the
  ciphertext) still open to their exact text, through the vault and through the recorded
  read of an event stored in that form; the read side shows them as a bucket too.
- The golden corpus's sealed values are of that older form and decode as such.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.adapters.keystore import SQLKeyStore
from domain.ciphers import (
    ALGORITHM,
    BUCKET,
    PADDED,
    MasterKey,
    Place,
    Sealed,
    key_id_for,
    pad,
    unpad,
)
from domain.trustpath import Trustpath
from domain.vault import Vault
from tests.support.apps import make_app
from tests.support.builders import COACH_A, EngagementBuilder

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).parent.parent / "golden" / "events_v1.json"


def test_padding_is_undone_exactly_at_every_size_around_a_bucket_edge() -> None:
    for size in (0, 1, 62, 63, 64, 65, 127, 128):
        for data in (os.urandom(size), bytes(size), b"\x80" * size):
            padded = pad(data)
            assert len(padded) % BUCKET == 0
            assert size < len(padded) <= size + BUCKET
            assert unpad(padded) == data


def _sealed_notes(b: EngagementBuilder, session_id: str) -> Sealed:
    event = next(e for e in b.events() if getattr(e, "session_id", None) == session_id)
    notes: Sealed = event.notes
    return notes


def legacy_seal(vault_keys: SQLKeyStore, master: MasterKey) -> Callable[[str, Place], Sealed]:
    """How trustpath sealed before padding: the exact plaintext, `len` its length."""

    def seal(plaintext: str, place: Place) -> Sealed:
        key_id = key_id_for(place.protagonist_id)
        row = vault_keys.get(key_id)
        assert row is not None
        nonce = os.urandom(12)
        data = AESGCM(master.unwrap(row[0])).encrypt(
            nonce, plaintext.encode(), place.associated_data()
        )
        b64 = base64.b64encode
        return Sealed(key_id, b64(nonce).decode(), b64(data).decode(), len(plaintext), ALGORITHM)

    return seal


def test_value_sealed_before_padding_still_opens_to_its_exact_text(
    sqlite_app: Trustpath, master_key: MasterKey
) -> None:
    keys = SQLKeyStore(sqlite_app.recorder.datastore)  # type: ignore[attr-defined]
    vault = Vault(master_key, keys)
    place = Place("e", "p", "individual_session/s/notes")
    vault.seal("creates the data key", place)
    text = "Ends in bytes that look like padding \u0080\x00"
    old = legacy_seal(keys, master_key)(text, place)
    assert (old.alg, old.length) == (ALGORITHM, len(text))
    assert vault.open(old, place) == text
    assert old.bucket == BUCKET


def test_event_stored_with_an_unpadded_note_is_read_back_through_the_recorded_read(
    sqlite_app: Trustpath, sqlite_url: str, master_key: MasterKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = EngagementBuilder(sqlite_app).contracted()
    first = b.individual_session(b.p1, notes="creates the data key")
    keys = SQLKeyStore(sqlite_app.recorder.datastore)  # type: ignore[attr-defined]
    old_seal = legacy_seal(keys, master_key)

    def legacy_sealer(eid: Any) -> Callable[[str, str, str], Sealed]:
        return lambda pid, field, text: old_seal(text, Place(str(eid), pid, field))

    with monkeypatch.context() as patch:
        patch.setattr(sqlite_app, "sealer", legacy_sealer)
        session = b.individual_session(b.p1, notes="Written by the old code.")
    restarted = make_app(sqlite_url, master_key)
    try:
        field = restarted.session_notes_field(session)
        content = restarted.read_content(b.eid, COACH_A, field, "supervision")
    finally:
        restarted.close()
    assert content.text == "Written by the old code."
    assert (_sealed_notes(b, first).alg, _sealed_notes(b, session).alg) == (PADDED, ALGORITHM)


def test_golden_corpus_sealed_values_decode_as_unpadded_and_show_a_bucket(
    sqlite_app: Trustpath,
) -> None:
    found = []
    for record in json.loads(GOLDEN.read_text())["events"]:
        for value in json.loads(record["state"]).values():
            if isinstance(value, dict) and value.get("_type_") == "sealed":
                sealed = Sealed.from_dict(value["_data_"])
                assert sealed.alg == ALGORITHM
                assert sealed.bucket % BUCKET == 0
                assert sealed.bucket > sealed.length
                found.append(sealed)
    assert found
