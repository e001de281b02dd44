"""Nothing stored lets anyone confirm a guess of confidential content, on both stores.

The attacker of the first tests holds the database alone (the SQLite file, or every table
of the PostgreSQL database) and a guess list that contains the true plaintexts of every
sealed note and intention. For each sealed event they rebuild the command that wrote it
(command name, arguments, actor: all readable in the event) with each guess in place of
the sealed text, fingerprint it every way the database allows (as trustpath once did,
under a key derived from the master key's id stored in clear in `trustpath_data_keys`; under
the key store's other values; unkeyed), and look for the result anywhere in the stored
bytes. No guess may be confirmed, before the protagonist's erasure or after it.

A positive control shows the scan would see a match: with the real keys (the master key
and the protagonist's data key, before erasure) the fingerprint of the true command is
found in the stored bytes. After erasure not even the master key's holder can confirm a
guess: recomputing is impossible without the destroyed data key, and re-sending the
command with its idempotency key is refused the same way for every guess.
"""

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
import pytest
from psycopg.rows import dict_row

from domain import errors
from domain.ciphers import MasterKey, MasterKeyError, Place, Sealed
from domain.commands import DeclareIntention, ExecuteErasure, HoldIndividualSession
from domain.trustpath import Trustpath
from domain.values import Actor
from ops.demo import play
from tests.conftest import make_app
from tests.unit.builders import ADMIN, EngagementBuilder

pytestmark = pytest.mark.integration

DECOYS = ["Feels fine.", "Wants a new job.", "To work together again.", "x"]
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


# -- reading the database alone ---------------------------------------------------------------


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


# -- the attacker ---------------------------------------------------------------------------------


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


# -- the world ------------------------------------------------------------------------------------


@dataclass
class World:
    url: str
    master_key: MasterKey
    demo_eid: str
    demo_cfo: str
    builder: EngagementBuilder
    keyed: list[tuple[str, str, str]]  # (key, protagonist, text) of keyed sealed commands
    guesses: list[str]


def _keyed_content(b: EngagementBuilder) -> list[tuple[str, str, str]]:
    """A note and an intention for each protagonist, sent with idempotency keys."""
    b.contracted()
    keyed = []
    for i, pid in enumerate(b.protagonists):
        notes, intention = f"Keyed notes {i}: afraid of the board.", f"Keyed intention {i}."
        b.run(
            b.coach(pid),
            HoldIndividualSession(
                occurred_at=b.at(),
                protagonist_id=pid,
                duration_minutes=45,
                challenges=["presence"],
                notes=notes,
                key=f"session-{i}",
            ),
        )
        b.run(
            b.coach(pid),
            DeclareIntention(
                occurred_at=b.at(), protagonist_id=pid, text=intention, key=f"intent-{i}"
            ),
        )
        keyed += [(f"session-{i}", pid, notes), (f"intent-{i}", pid, intention)]
    return keyed


@pytest.fixture
def world(app: Trustpath, store_url: str, master_key: MasterKey) -> World:
    demo = play(app)
    builder = EngagementBuilder(app)
    keyed = _keyed_content(builder)
    truths = [app.vault.open(e.sealed, e.place) for e in sealed_events(read(store_url))]
    assert len(truths) > len(keyed) > 0, "the demo's and the keyed content are guessed"
    return World(
        store_url,
        master_key,
        str(demo.engagement_id),
        demo.protagonists["cfo"],
        builder,
        keyed,
        [*truths, *DECOYS],
    )


def _erase(w: World) -> None:
    app, b = w.builder.app, w.builder
    app.execute(
        UUID(w.demo_eid),
        ADMIN,
        ExecuteErasure(occurred_at=b.at(), protagonist_id=w.demo_cfo, request_reference="R-1"),
    )
    app.execute(
        b.eid,
        ADMIN,
        ExecuteErasure(occurred_at=b.at(), protagonist_id=b.p1, request_reference="R-2"),
    )


# -- the tests -------------------------------------------------------------------------------------


def test_database_alone_confirms_no_guess_of_sealed_content_before_or_after_erasure(
    world: World,
) -> None:
    assert confirmed_guesses(read(world.url), world.guesses) == []
    _erase(world)
    assert confirmed_guesses(read(world.url), world.guesses) == []


def test_fingerprint_of_a_sealed_command_is_found_when_recomputed_with_the_keys(
    world: World,
) -> None:
    """The positive control: the scan sees a stored fingerprint when the keys are known."""
    stored = read(world.url)
    app = world.builder.app
    keyed = [e for e in sealed_events(stored) if e.engagement_id == str(world.builder.eid)]
    assert len(keyed) == len(world.keyed)
    for event, (_, pid, text) in zip(keyed, world.keyed, strict=True):
        args = {**event.args, event.text_arg: text}
        fingerprint = app.fingerprint(
            event.command, args, Actor(**event.actor), {event.text_arg: pid}
        )
        assert stored.holds(fingerprint)


def test_after_erasure_even_the_master_key_holder_confirms_no_guess(world: World) -> None:
    _erase(world)
    stored = read(world.url)
    holder = make_app(world.url, world.master_key)
    try:
        erased_ids = {world.builder.p1, world.demo_cfo}
        erased = [e for e in sealed_events(stored) if e.place.protagonist_id in erased_ids]
        assert {e.place.protagonist_id for e in erased} == erased_ids
        for event in erased:
            actor = Actor(**event.actor)
            for guess in world.guesses:
                args = {**event.args, event.text_arg: guess}
                assert not stored.holds(holder.fingerprint(event.command, args, actor)), guess
            with pytest.raises(MasterKeyError):
                holder.fingerprint(
                    event.command,
                    {**event.args, event.text_arg: "x"},
                    actor,
                    {event.text_arg: event.place.protagonist_id},
                )
        for key, pid, _ in world.keyed:
            if pid != world.builder.p1:
                continue
            for guess in world.guesses:
                with pytest.raises(errors.ContentErasedError):
                    _resend(holder, world.builder, key, pid, guess)
    finally:
        holder.close()


def _resend(app: Trustpath, b: EngagementBuilder, key: str, pid: str, text: str) -> object:
    if key.startswith("session"):
        return app.execute(
            b.eid,
            b.coach(pid),
            HoldIndividualSession(
                occurred_at=b.at(),
                protagonist_id=pid,
                duration_minutes=45,
                challenges=["presence"],
                notes=text,
                key=key,
            ),
        )
    return app.execute(
        b.eid,
        b.coach(pid),
        DeclareIntention(occurred_at=b.at(), protagonist_id=pid, text=text, key=key),
    )
