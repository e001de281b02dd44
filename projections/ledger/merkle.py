"""RFC 6962 §2.1 Merkle trees: hashes, roots, inclusion and consistency proofs.

    leaf hash   SHA-256(0x00 || data)
    node hash   SHA-256(0x01 || left || right)
    empty root  SHA-256("")
    MTH(D[n])   = NODE(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n

Every subtree the recursion ever needs whole is a *complete, aligned* subtree: the 2^level
leaves starting at index * 2^level. Trees are therefore read through a `NodeSource`
(`node(level, index)`), so the same code works over leaf hashes held in memory and over
the ledger's stored node table. Proof functions run twice: once to collect the nodes they
need (so that a database source fetches them in one round trip), once to compute.

`Frontier` is the incremental form: push leaf hashes one by one, get the completed nodes
back as they close (the ledger stores them) and the root at any size on the way (the
verifier checks every checkpoint in one pass).

Why not `pymerkle` (evaluated, 7.0): it recomputes every subtree from its leaves on each
cold proof (only a per-process LRU cache of subroots), stores one leaf per call outside our
transaction, numbers leaves from 1 and has its own proof format; a proof at 200k leaves
from a fresh CLI process, or a rebuild, would rehash the whole tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey = tuple[int, int]


class ProofError(ValueError):
    """A proof was asked for an index or size outside the tree."""


class NodeSource(Protocol):
    def node(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree of 2**level leaves starting at index * 2**level."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class MemoryTree:
    """A `NodeSource` over leaf hashes in memory, with every complete level precomputed."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    def __len__(self) -> int:
        return len(self.levels[0])

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]


class _Recorder:
    """A `NodeSource` that only notes which nodes were asked for."""

    def __init__(self) -> None:
        self.keys: set[NodeKey] = set()

    def node(self, level: int, index: int) -> bytes:
        self.keys.add((level, index))
        return EMPTY_ROOT


def needed_nodes(compute: Callable[[NodeSource], object]) -> set[NodeKey]:
    """The (level, index) nodes that `compute` reads."""
    recorder = _Recorder()
    compute(recorder)
    return recorder.keys


def subtree_root(source: NodeSource, start: int, end: int) -> bytes:
    """MTH of leaves [start, end) (start aligned to the recursion, as RFC 6962 makes it)."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return source.node(level, start >> level)
    k = split(n)
    return node_hash(subtree_root(source, start, start + k), subtree_root(source, start + k, end))


def root(source: NodeSource, size: int) -> bytes:
    return subtree_root(source, 0, size)


def inclusion_path(source: NodeSource, index: int, size: int) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n]): sibling hashes from the leaf upwards."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append(subtree_root(source, start + k, end))
            end = start + k
        else:
            path.append(subtree_root(source, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(source: NodeSource, first: int, second: int) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF(m, D[n])."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    return _subproof(source, first, 0, second, True)


def _subproof(source: NodeSource, m: int, start: int, end: int, whole: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [subtree_root(source, start, end)]
    k = split(n)
    if m <= k:
        return [
            *_subproof(source, m, start, start + k, whole),
            subtree_root(source, start + k, end),
        ]
    return [
        *_subproof(source, m - k, start + k, end, False),
        subtree_root(source, start, start + k),
    ]


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root that `path` proves `leaf` at `index` belongs to."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("the audit path is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the audit path is too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], expected_root: bytes
) -> bool:
    try:
        return root_from_inclusion(index, size, leaf, path) == expected_root
    except ProofError:
        return False


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return first_root == second_root and not proof
    if first == 0:
        return first_root == EMPTY_ROOT and not proof
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


class Frontier:
    """The right edge of a growing tree: complete subtrees, largest first."""

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        """Resume at `size` from its complete subtrees, highest level first."""
        self.size = size
        self.stack: list[tuple[int, bytes]] = []
        levels = [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
        if len(levels) != len(nodes):
            raise ValueError(f"a tree of size {size} has {len(levels)} frontier nodes")
        self.stack = list(zip(levels, nodes, strict=True))

    @staticmethod
    def keys(size: int) -> list[NodeKey]:
        """The (level, index) of the frontier nodes of a tree of `size`, highest first."""
        keys, offset = [], 0
        for bit in range(size.bit_length() - 1, -1, -1):
            if size >> bit & 1:
                keys.append((bit, offset >> bit))
                offset += 1 << bit
        return keys

    def push(self, leaf: bytes, closed: list[tuple[int, int, bytes]] | None = None) -> None:
        """Append a leaf hash; nodes it completes are added to `closed` as (level, index, hash)."""
        index, level, value = self.size, 0, leaf
        stack = self.stack
        while stack and stack[-1][0] == level:
            value = node_hash(stack.pop()[1], value)
            level += 1
            index >>= 1
            if closed is not None:
                closed.append((level, index, value))
        stack.append((level, value))
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.push(leaf)

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        value = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            value = node_hash(left, value)
        return value
