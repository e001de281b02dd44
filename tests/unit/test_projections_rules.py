"""The read side's own small rules, without a database: rates, moves, pseudonyms."""

from __future__ import annotations

from typing import Any

import pytest

from domain.rules.commitment import rates, tally
from projections.export import Pseudonyms
from projections.sql import safe_suffix
from projections.timeline import moves

pytestmark = pytest.mark.unit


def commitment(owner: str, other: str, state: str, on_time: bool | None = None) -> dict[str, Any]:
    return {"owners": [owner], "to_whom": [other], "state": state, "on_time": on_time}


def test_honour_rate_counts_only_settled_commitments_when_some_are_open_or_withdrawn() -> None:
    got = tally(
        [
            commitment("a", "b", "honoured", True),
            commitment("a", "b", "honoured", False),
            commitment("a", "b", "broken"),
            commitment("a", "b", "open"),
            commitment("a", "b", "withdrawn"),
        ]
    )
    assert (got["made"], got["honoured"], got["broken"], got["open"]) == (5, 2, 1, 1)
    assert got["honour_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert got["on_time_rate"] == 0.5


def test_rates_are_none_when_nothing_was_settled() -> None:
    got = tally([commitment("a", "b", "open")])
    assert (got["honour_rate"], got["on_time_rate"]) == (None, None)


def test_reciprocity_puts_each_protagonists_honour_rate_beside_the_others() -> None:
    got = rates([commitment("a", "b", "honoured", True), commitment("b", "a", "broken")])
    assert got["reciprocity"] == [
        {"protagonist": "a", "other": "b", "honour_rate": 1.0, "other_honour_rate": 0.0}
    ]
    assert got["engagement"]["made"] == 2


def test_a_move_is_measured_against_the_same_pair_and_challenge() -> None:
    trust = [
        {
            "protagonist_id": "a",
            "toward_id": "b",
            "challenge": "presence",
            "score": 2,
            "occurred_at": "1",
        },
        {
            "protagonist_id": "a",
            "toward_id": "b",
            "challenge": "commitment",
            "score": 5,
            "occurred_at": "2",
        },
        {
            "protagonist_id": "a",
            "toward_id": "b",
            "challenge": "presence",
            "score": 6,
            "occurred_at": "4",
        },
    ]
    milestones = [{"occurred_at": "3", "kind": "commitment_honoured"}]
    got = moves(trust, milestones)
    assert [m["moved"] for m in got] == [None, None, 4]
    assert got[2]["milestones"] == milestones
    assert got[1]["milestones"] == []


def test_pseudonyms_are_stable_per_key_and_differ_between_keys() -> None:
    one, same, other = Pseudonyms(b"k1"), Pseudonyms(b"k1"), Pseudonyms(b"k2")
    assert one("protagonist", "p-1") == same("protagonist", "p-1")
    assert one("protagonist", "p-1") != other("protagonist", "p-1")
    assert one("protagonist", "p-1") != one("protagonist", "p-2")
    assert "p-1" not in one("protagonist", "p-1")


def test_table_suffixes_are_safe_identifiers() -> None:
    assert safe_suffix("v1_a3f2c1")
    assert not safe_suffix("v1; DROP TABLE x")
