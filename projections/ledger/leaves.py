"""The canonical leaf: an event exactly as the event store holds it, as bytes.

    leaf data = 0x01                                  encoding version
              | u64  notification id                  (big-endian, as every integer here)
              | u32  len | originator id              UTF-8; a UUID in its canonical
              |                                       lowercase 8-4-4-4-12 text form
              | u64  originator version
              | u32  len | topic                      UTF-8
              | u32  len | state                      the stored bytes, ciphertext included

The state is hashed as stored, so erasing a protagonist (destroying a key) changes no leaf.
The notification id is inside the leaf, so moving a row to another position changes it.
Both backends give the same bytes: SQLite keeps a UUID as 32 hex digits, PostgreSQL as a
uuid; `canonical_id` turns either into the same text.
"""

from __future__ import annotations

import struct
from uuid import UUID

from projections.ledger.merkle import leaf_hash

VERSION = 1
_HEAD = struct.Struct(">BQI")


def canonical_id(value: object) -> str:
    """The originator id as the leaf spells it."""
    if isinstance(value, UUID):
        return str(value)
    text = str(value)
    try:
        return str(UUID(text))
    except ValueError:
        return text


def encode_leaf(
    notification_id: int, originator_id: str, version: int, topic: str, state: bytes
) -> bytes:
    oid, top = originator_id.encode(), topic.encode()
    return b"".join(
        (
            _HEAD.pack(VERSION, notification_id, len(oid)),
            oid,
            struct.pack(">QI", version, len(top)),
            top,
            struct.pack(">I", len(state)),
            state,
        )
    )


def hash_event(
    notification_id: int, originator_id: str, version: int, topic: str, state: bytes
) -> bytes:
    """The leaf hash of one stored event (`originator_id` already canonical)."""
    return leaf_hash(encode_leaf(notification_id, originator_id, version, topic, state))
