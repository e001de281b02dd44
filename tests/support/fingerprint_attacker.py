"""The attacker of tests/integration/test_fingerprint_oracle.py, who holds the database
alone: every stored byte read straight from the SQLite file or every PostgreSQL table, the
sealed events with the commands that wrote them rebuilt, and every fingerprint of a guess
the stored values allow (under a key derived from the master key's id, under the key
store's other values, unkeyed) looked for in the stored bytes."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.ciphers import Place, Sealed

SEALED_COMMANDS = {
    "domain.individual_space:IndividualSessionHeld": ("hold_individual_session", "notes"),
    "domain.individual_space:IntentionDeclared": ("declare_intention", "intention"),
    "domain.individual_space:IntentionRevised": ("declare_intention", "intention"),
}


@dataclass(frozen=True)
class Stored:
    """What the attacker has: every stored byte, the events, the key store's rows."""

    text: str
    events: list[tuple[str, str, dict[str, Any]]]  # (engagement id, topic, state)
    key_rows: list[dict[str, Any]]

    def holds(self, needle: str) -> bool:
        """Whether `needle` is stored anywhere, as text or as hex (PostgreSQL's bytea)."""
        return needle in self.text or needle.encode().hex() in self.text


@dataclass(frozen=True)
class SealedEvent:
    """A stored event with sealed content, and the command that wrote it, text left out."""

    engagement_id: str
    command: str
    actor: dict[str, Any]
    args: dict[str, Any]
    text_arg: str
    sealed: Sealed
    place: Place


def _decode(state: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(bytes(state))
    return loaded


def read_sqlite(url: str) -> Stored:
    path = Path(url.removeprefix("sqlite:///"))
    data = b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT originator_id, topic, state FROM stored_events ORDER BY rowid"
        ).fetchall()
        conn.row_factory = sqlite3.Row
        keys = [dict(r) for r in conn.execute("SELECT * FROM trustpath_data_keys")]
    events = [(str(UUID(str(oid))), topic, _decode(state)) for oid, topic, state in rows]
    return Stored(data.decode("latin-1"), events, keys)


def read_postgres(url: str) -> Stored:
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema = 'public'"
        ).fetchall()
        text = "\n".join(
            str(row[0])
            for (table,) in tables
            for row in conn.execute(f'SELECT t::text FROM "{table}" AS t')
        )
        rows = conn.execute(
            "SELECT originator_id, topic, state FROM trustpath_events ORDER BY notification_id"
        ).fetchall()
        cursor = conn.cursor(row_factory=dict_row)
        keys = list(cursor.execute("SELECT * FROM trustpath_data_keys"))
    events = [(str(UUID(str(oid))), topic, _decode(state)) for oid, topic, state in rows]
    return Stored(text, events, keys)


def read(url: str) -> Stored:
    return read_sqlite(url) if url.startswith("sqlite") else read_postgres(url)


def sealed_events(stored: Stored) -> list[SealedEvent]:
    """Every sealed event, with the command (minus its text) as an attacker rebuilds it."""
    out = []
    for eid, topic, state in stored.events:
        command, field = SEALED_COMMANDS.get(topic, ("", ""))
        if not command or state.get(field) is None:
            continue
        sealed = Sealed.from_dict(state[field]["_data_"])
        pid = state["protagonist_id"]
        if command == "hold_individual_session":
            names = ("session_id", "protagonist_id", "duration_minutes", "challenges")
            args, text_arg = {n: state[n] for n in names}, "notes"
            place = Place(eid, pid, f"individual_session/{state['session_id']}/notes")
        else:
            args, text_arg = {"protagonist_id": pid}, "text"
            place = Place(eid, pid, f"intention/{pid}/{state['intention_version']}")
        out.append(SealedEvent(eid, command, state["actor"], args, text_arg, sealed, place))
    return out


def candidate_keys(stored: Stored) -> list[bytes]:
    """Every HMAC key the database offers, the one trustpath once derived first."""
    keys = []
    for row in stored.key_rows:
        master_id = str(row["master_key_id"])
        keys.append(hashlib.sha256(b"trustpath-idempotency|" + master_id.encode()).digest())
        keys += [master_id.encode(), str(row["key_id"]).encode()]
        if row["wrapped"] is not None:
            keys.append(bytes(row["wrapped"]))
    return list(dict.fromkeys(keys))


def candidates(event: SealedEvent, guess: str, keys: list[bytes]) -> set[str]:
    """Fingerprints of the event's command with `guess` as its text, every way we can."""
    body = {
        "command": event.command,
        "args": {**event.args, event.text_arg: guess},
        "actor": event.actor,
    }
    canonical = json.dumps(body, sort_keys=True, default=str).encode()
    found = {hashlib.sha256(canonical).hexdigest()[:32], hashlib.sha256(guess.encode()).hexdigest()}
    found |= {hmac.new(k, canonical, hashlib.sha256).hexdigest()[:32] for k in keys}
    return found


def confirmed_guesses(stored: Stored, guesses: list[str]) -> list[tuple[str, str]]:
    """(guess, command) for every guess some stored byte confirms."""
    keys = candidate_keys(stored)
    hits = []
    for event in sealed_events(stored):
        for guess in guesses:
            if any(stored.holds(c) for c in candidates(event, guess, keys)):
                hits.append((guess, event.command))
    return hits
