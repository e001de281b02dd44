"""RFC 6962 Merkle tree: known values, and the laws of proofs (Hypothesis)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.ledger.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryTree,
    consistency_proof,
    inclusion_path,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

pytestmark = pytest.mark.unit


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def tree_of(items: list[bytes]) -> MemoryTree:
    return MemoryTree([leaf_hash(x) for x in items])


def test_empty_tree_root_is_the_hash_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root(tree_of([]), 0) == EMPTY_ROOT


def test_leaf_hash_prefixes_a_zero_byte() -> None:
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


def test_three_leaf_tree_splits_at_the_largest_power_of_two_below() -> None:
    a, b, c = (sha(b"\x00" + x) for x in (b"a", b"b", b"c"))
    by_hand = sha(b"\x01" + sha(b"\x01" + a + b) + c)
    assert root(tree_of([b"a", b"b", b"c"]), 3) == by_hand


def test_five_leaf_tree_and_its_proofs_match_a_hand_computation() -> None:
    h = [sha(b"\x00" + bytes([i])) for i in range(5)]
    ab, cd = sha(b"\x01" + h[0] + h[1]), sha(b"\x01" + h[2] + h[3])
    abcd = sha(b"\x01" + ab + cd)
    tree = tree_of([bytes([i]) for i in range(5)])
    assert root(tree, 5) == sha(b"\x01" + abcd + h[4])
    assert inclusion_path(tree, 2, 5) == [h[3], ab, h[4]]
    assert inclusion_path(tree, 4, 5) == [abcd]
    assert consistency_proof(tree, 3, 5) == [h[2], h[3], ab, h[4]]
    assert consistency_proof(tree, 4, 5) == [h[4]]


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(items=leaf_lists, data=st.data())
def test_every_inclusion_proof_verifies_and_a_flipped_bit_fails(
    items: list[bytes], data: st.DataObject
) -> None:
    tree, n = tree_of(items), len(items)
    r = root(tree, n)
    i = data.draw(st.integers(0, n - 1))
    path = inclusion_path(tree, i, n)
    leaf = leaf_hash(items[i])
    assert verify_inclusion(i, n, leaf, path, r)
    assert not verify_inclusion(i, n, flip(leaf, data), path, r)
    assert not verify_inclusion(i, n, leaf, path, flip(r, data))
    if path:
        k = data.draw(st.integers(0, len(path) - 1))
        assert not verify_inclusion(i, n, leaf, [*path[:k], flip(path[k], data), *path[k + 1 :]], r)


@settings(max_examples=60, deadline=None)
@given(items=leaf_lists, data=st.data())
def test_every_consistency_proof_verifies_and_a_flipped_bit_fails(
    items: list[bytes], data: st.DataObject
) -> None:
    tree, n = tree_of(items), len(items)
    m = data.draw(st.integers(1, n))
    first, second = root(tree, m), root(tree, n)
    proof = consistency_proof(tree, m, n)
    assert verify_consistency(m, n, first, second, proof)
    if m < n:
        assert not verify_consistency(m, n, flip(first, data), second, proof)
        assert not verify_consistency(m, n, first, flip(second, data), proof)
        k = data.draw(st.integers(0, len(proof) - 1))
        tampered = [*proof[:k], flip(proof[k], data), *proof[k + 1 :]]
        assert not verify_consistency(m, n, first, second, tampered)


@settings(max_examples=40, deadline=None)
@given(items=leaf_lists)
def test_frontier_root_equals_the_recursive_root_at_every_size(items: list[bytes]) -> None:
    tree, frontier = tree_of(items), Frontier()
    closed: list[tuple[int, int, bytes]] = []
    for size, item in enumerate(items, 1):
        frontier.push(leaf_hash(item), closed)
        assert frontier.root() == root(tree, size)
    assert all(tree.node(level, index) == value for level, index, value in closed)


@settings(max_examples=30, deadline=None)
@given(items=leaf_lists)
def test_frontier_resumes_from_its_stored_nodes(items: list[bytes]) -> None:
    tree, n = tree_of(items), len(items)
    keys = Frontier.keys(n)
    resumed = Frontier(n, [tree.node(level, index) for level, index in keys])
    assert resumed.root() == root(tree, n)


def flip(value: bytes, data: st.DataObject) -> bytes:
    bit = data.draw(st.integers(0, len(value) * 8 - 1))
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)
