"""The verifier: recompute every leaf from the stored events and check every signed root.

    events table ──▶ leaf hashes ──▶ root at each checkpoint size ══ signed root?
    ledger leaves ─▶ root at each checkpoint size ══ signed root?   (authenticates them)
    first leaf where the events and the authenticated ledger differ ──▶ what is wrong there

It trusts nothing in the database: only the checkpoints (each signature checked with the
public key, or with the key of a key set valid for it, `keyset.py`) and the stored bytes.
The ledger's own leaf rows are used to *name* the first bad position once the signed roots
vouch for them; when they do not (the ledger was tampered with too, or is absent, as in a
bare export), the verifier still fails and names the first checkpoint interval whose root
does not match.

    changed     the event at that notification id is not the one that was sealed
    missing     a sealed event is gone from the log
    inserted    an event is in the log that was never sealed there
    reordered   a sealed event is intact but sits at another position
    truncated   the log ends before the size a checkpoint signed

After a restore from backup, the signed restore records (restores.py) count as checkpoints
at their size, and checkpoints the lost system signed beyond it are reported apart, as the
restore gap (`Report.restore_gap`), not as findings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.ledger.checkpoints import Checkpoint
from projections.ledger.keyset import KeySet
from projections.ledger.leaves import hash_event
from projections.ledger.recompute import Leaves, Locate, Progress, recompute, roots_at
from projections.ledger.restores import RestoreRecord, gap_message, set_apart
from projections.ledger.source import Row, events_at

LedgerLeaves = Callable[[], "tuple[Leaves, Locate] | None"]


def _nowhere(_oid: str, _version: int) -> int | None:
    return None


@dataclass(frozen=True)
class Finding:
    kind: str
    position: int | None
    detail: str

    def __str__(self) -> str:
        where = f"position {self.position}: " if self.position is not None else ""
        return f"{self.kind}: {where}{self.detail}"


@dataclass
class Report:
    events: int = 0
    checkpoints: int = 0
    signed_size: int = 0
    gaps: int = 0
    findings: list[Finding] = field(default_factory=list)
    beyond_restore: list[tuple[Checkpoint, RestoreRecord]] = field(default_factory=list)

    @property
    def restore_gap(self) -> str | None:
        return gap_message(self.beyond_restore)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None


def verify(
    url: str,
    checkpoints: Sequence[Checkpoint],
    public_key: Ed25519PublicKey | KeySet,
    ledger: LedgerLeaves | None = None,
    progress: Progress | None = None,
    restores: Sequence[RestoreRecord] = (),
) -> Report:
    """Check every signature, every signed root, every leaf; the first failure named first.

    `ledger` loads the ledger's own leaves; it is called to locate a failure, and to tell
    whether a timeless note beyond a restore is this branch's. With a `KeySet` (after key
    rotations) each checkpoint is checked under the key valid for it, and a restore record
    under any key of the set.
    """
    keys = public_key if isinstance(public_key, KeySet) else KeySet.of(public_key)
    report = Report(checkpoints=len(checkpoints))
    problems = [(c, keys.problem(c)) for c in checkpoints]
    report.findings += [Finding(p[0], None, p[1]) for _, p in problems if p is not None]
    signed = [c for c, p in problems if p is None]
    report.signed_size = max((c.tree_size for c in signed), default=0)
    events = recompute(url, progress)
    report.events = len(events)
    report.gaps = sum(1 for a, b in zip(events.ids, events.ids[1:], strict=False) if b != a + 1)
    if restores:
        restore_key = cast(Ed25519PublicKey, _AnyKeyOf(keys))  # duck-typed: .verify only
        signed = _apart_from_restore_gap(report, events, signed, restores, restore_key, ledger)
    bad = _first_bad_checkpoint(events, signed)
    if bad is None:
        return report
    loaded = ledger() if ledger is not None else None
    found = None
    if loaded is not None and _trusted_size(loaded[0], signed) >= bad.tree_size:
        found = _diagnose(url, events, loaded[0], loaded[1], _trusted_size(loaded[0], signed))
    report.findings.insert(0, found or _interval_finding(events, signed, bad))
    return report


def _apart_from_restore_gap(
    report: Report,
    events: Leaves,
    signed: list[Checkpoint],
    restores: Sequence[RestoreRecord],
    key: Ed25519PublicKey,
    ledger: LedgerLeaves | None,
) -> list[Checkpoint]:
    """The checkpoints to check: the restore records' roots included, the gap set apart."""
    own: list[Leaves] = []

    def own_root(size: int) -> bytes | None:
        if not own:  # the ledger's own leaves, loaded once and only if a note needs them
            loaded = ledger() if ledger is not None else None
            own.append(loaded[0] if loaded is not None else Leaves())
        return roots_at(own[0], [size]).get(size)

    roots = roots_at(events, [c.tree_size for c in signed])
    kept, report.beyond_restore, unsigned = set_apart(signed, restores, key, roots, own_root)
    report.findings += [Finding("signature", None, line) for line in unsigned]
    return kept


class _AnyKeyOf:
    """A restore record's check after key rotations: signed by one of the set's keys."""

    def __init__(self, keys: KeySet) -> None:
        self.keys = [k.public_key for k in keys.keys]

    def verify(self, signature: bytes, message: bytes) -> None:
        for key in self.keys:
            try:
                key.verify(signature, message)
                return
            except InvalidSignature:
                continue
        raise InvalidSignature


def _first_bad_checkpoint(leaves: Leaves, signed: Sequence[Checkpoint]) -> Checkpoint | None:
    roots = roots_at(leaves, [c.tree_size for c in signed])
    bad = [c for c in signed if roots.get(c.tree_size) != c.root_hash]
    return min(bad, key=lambda c: c.tree_size) if bad else None


def _trusted_size(stored: Leaves, signed: Sequence[Checkpoint]) -> int:
    """The largest size up to which every signed root vouches for the ledger's own leaves."""
    roots = roots_at(stored, [c.tree_size for c in signed])
    trusted = 0
    for c in sorted(signed, key=lambda c: c.tree_size):
        if roots.get(c.tree_size) != c.root_hash:
            break
        trusted = c.tree_size
    return trusted


def _interval_finding(events: Leaves, signed: Sequence[Checkpoint], bad: Checkpoint) -> Finding:
    if len(events) < bad.tree_size:
        earlier = [c.tree_size for c in signed if c.tree_size <= len(events)]
        roots = roots_at(events, earlier)
        if all(roots[c.tree_size] == c.root_hash for c in signed if c.tree_size in roots):
            return Finding(
                "truncated",
                len(events),
                f"the log ends at {len(events)} events; a checkpoint signed {bad.tree_size}",
            )
    sizes = sorted(c.tree_size for c in signed if c.tree_size < bad.tree_size)
    good = max((s for s in sizes), default=0)
    return Finding(
        "changed",
        good,
        f"the root at size {bad.tree_size} does not match its checkpoint; the first bad leaf "
        f"lies in [{good}, {bad.tree_size}) (the ledger's own leaves cannot narrow it: they are "
        "absent or not vouched for by the checkpoints)",
    )


def _diagnose(
    url: str, events: Leaves, stored: Leaves, locate: Locate, trusted: int
) -> Finding | None:
    i = _first_difference(events, stored, trusted)
    if i is None:
        return None
    if i >= len(events):
        return Finding(
            "truncated", i, f"the log ends at {len(events)} events; {trusted} were signed"
        )
    got, sealed = events.ids[i], stored.ids[i]
    if got > sealed:
        return Finding(
            "missing", i, f"the event sealed as notification {sealed} is gone from the log"
        )
    if got < sealed:
        return Finding("inserted", i, f"notification {got} is in the log but was never sealed here")
    moved = _moved_from(url, got, stored, locate)
    if moved is not None:
        return Finding(
            "reordered", i, f"notification {got} holds the event sealed at position {moved}"
        )
    return Finding(
        "changed",
        i,
        f"the event at notification {got} is not the one sealed (payload or metadata edited)",
    )


def _first_difference(events: Leaves, stored: Leaves, trusted: int) -> int | None:
    n = min(len(events), trusted)
    a, b = events.hashes, stored.hashes
    if a[: 32 * n] == b[: 32 * n]:
        return n if n < trusted else None
    lo, hi = 0, n  # first differing leaf by bisection on equal prefixes
    while lo < hi:
        mid = (lo + hi) // 2
        if a[: 32 * (mid + 1)] == b[: 32 * (mid + 1)]:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _moved_from(url: str, nid: int, stored: Leaves, locate: Locate) -> int | None:
    """Where the event now at `nid` was sealed, if it is intact but elsewhere."""
    row: Row | None = events_at(url, [nid]).get(nid)
    if row is None:
        return None
    j = locate(row[1], row[2])
    if j is None or stored.ids[j] == nid:
        return None
    return j if hash_event(stored.ids[j], *row[1:]) == stored.hash(j) else None
