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

from dataclasses import dataclass
from uuid import UUID

import pytest

from domain import errors
from domain.ciphers import MasterKey, MasterKeyError
from domain.commands import DeclareIntention, ExecuteErasure, HoldIndividualSession
from domain.trustpath import Trustpath
from domain.values import Actor
from ops.demo import play
from tests.support.apps import make_app
from tests.support.builders import ADMIN, EngagementBuilder
from tests.support.fingerprint_attacker import (
    confirmed_guesses,
    read,
    sealed_events,
)

pytestmark = pytest.mark.integration

DECOYS = ["Feels fine.", "Wants a new job.", "To work together again.", "x"]


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
