"""Master-key rotation: rewrap every live key store row under the current master key.

    for each page of rows wrapped by another master key (by key id):
        data key = unwrap(row, the retired key the row names)
        UPDATE row SET wrapped = wrap(data key, current) WHERE wrapped = the old wrapping

Each row is its own atomic compare-and-set, so the service keeps running: a row erased
meanwhile stays a tombstone (the update matches nothing), a row already under the current
key is never selected, and a rotation interrupted anywhere is resumed by running it again.
The data keys themselves do not change, so no sealed content is touched and the caches of
running processes stay valid. The derivation root (`domain.keyring`) is one of the rows.

A row wrapped by a master key the keyring lacks stops the rotation before anything is
written. A process still running with only the old key may wrap a new data key under it
while the rotation runs; the rotation makes a few passes and reports what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from domain.adapters.keystore import SQLKeyStore
from domain.keyring import Keyring

Progress = Callable[[int, int], None]
"""Called with (rows rewrapped so far, rows to rewrap when the pass began)."""
PASSES = 3


@dataclass
class Rotation:
    """What a rotation did and what it left."""

    current: str
    rewrapped: int = 0
    skipped: int = 0
    """Rows that changed under the rotation (erased, or rewrapped by another run)."""
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)

    @property
    def left(self) -> dict[str, int]:
        """Live rows still wrapped by another master key, by that key's id."""
        return {k: n for k, n in self.after.items() if k not in ("", self.current)}


def rotate_master(
    keys: SQLKeyStore, ring: Keyring, progress: Progress | None = None, page: int = 500
) -> Rotation:
    """Rewrap every live row under `ring.current`; see the module docstring."""
    done = Rotation(ring.current.id, before=keys.census())
    ring.check_holds({k for k in done.before if k})
    for _ in range(PASSES):
        remaining = sum(n for k, n in keys.census().items() if k not in ("", ring.current.id))
        if not remaining:
            break
        _one_pass(keys, ring, done, remaining, progress, page)
    done.after = keys.census()
    return done


def _one_pass(
    keys: SQLKeyStore,
    ring: Keyring,
    done: Rotation,
    remaining: int,
    progress: Progress | None,
    page: int,
) -> None:
    after, current, moved = "", ring.current, 0
    while rows := keys.not_under(current.id, after, page):
        for key_id, wrapped, master_key_id in rows:
            data_key = ring.unwrap(wrapped, master_key_id)
            if keys.rewrap(key_id, wrapped, current.wrap(data_key), current.id):
                done.rewrapped += 1
                moved += 1
            else:
                done.skipped += 1
        after = rows[-1][0]
        if progress is not None:
            progress(moved, remaining)
