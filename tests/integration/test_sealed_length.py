"""Sealed content shows at most a 64-byte bucket of its length, never the exact length.

Two notes of 3 and 60 characters store the same `len`, ciphertexts of the same size, and
the timeline shows the same bucket for both: nothing stored or shown tells them apart.
"""

from __future__ import annotations

import pytest

from domain.ciphers import Sealed
from domain.trustpath import Trustpath
from projections.engine import make_engine
from projections.timeline import get_timeline
from projections.wiring import attach
from tests.support.builders import EngagementBuilder

pytestmark = pytest.mark.integration


def _sealed_notes(b: EngagementBuilder, session_id: str) -> Sealed:
    event = next(e for e in b.events() if getattr(e, "session_id", None) == session_id and e.notes)
    notes: Sealed = event.notes
    return notes


def test_notes_of_3_and_60_characters_store_and_show_the_same_bucket(
    app: Trustpath, store_url: str
) -> None:
    b = EngagementBuilder(app).contracted()
    short = b.individual_session(b.p1, notes="abc")
    long = b.individual_session(b.p1, notes="x" * 60)
    sealed = [_sealed_notes(b, s) for s in (short, long)]
    assert [s.length for s in sealed] == [64, 64]
    assert len(sealed[0].ciphertext) == len(sealed[1].ciphertext)
    engine = make_engine(store_url)
    read_side = attach(app, engine)
    try:
        read_side.catch_up()
        shown = [m["note_length"] for m in get_timeline(read_side, b.eid)["milestones"]]
    finally:
        read_side.close()
        engine.dispose()
    assert shown.count(64) == 2
    assert 3 not in shown
    assert 60 not in shown
