"""The engagement a process saved last, used for its next command (`domain.hot_engagements`),
against another process that saved since: on a SQLite file and on PostgreSQL.

`app` (the builder's) keeps the engagement it saved; `second_app` is another process on the
same store. Whatever the second one did, a command of the first decides as the store has
the engagement: it never overwrites, never decides a rule, a guard, a key or a version on
what it kept, and a refused save keeps nothing.
"""

from __future__ import annotations

import threading

import pytest
from eventsourcing.persistence import PersistenceError

from domain import errors
from domain.adapters.keystore import SQLKeyStore
from domain.ciphers import key_id_for
from domain.commands import (
    ExecuteErasure,
    HoldIndividualSession,
    PauseEngagement,
    ResumeEngagement,
)
from domain.engagement import Engagement
from domain.hot_engagements import COOL_DOWN
from domain.trustpath import Trustpath
from tests.support.builders import ADMIN, EngagementBuilder, recorded
from tests.support.store_faults import failing_inserts

pytestmark = pytest.mark.integration


@pytest.fixture
def kept(builder: EngagementBuilder) -> EngagementBuilder:
    """A contracted engagement whose last command ran on `app`, which keeps it."""
    builder.contracted()
    builder.individual_session(builder.p1, notes="Wants to be heard first.")
    assert builder.eid in builder.app.hot
    builder.individual_session(builder.p1)
    return builder


def session(
    builder: EngagementBuilder, protagonist_id: str, **fields: object
) -> HoldIndividualSession:
    return HoldIndividualSession(
        occurred_at=builder.at(),
        protagonist_id=protagonist_id,
        duration_minutes=45,
        challenges=["presence"],
        **fields,  # type: ignore[arg-type]
    )


def test_a_process_saves_after_another_without_overwriting_it(
    kept: EngagementBuilder, second_app: Trustpath
) -> None:
    start = kept.engagement().version
    other = [second_app.execute(kept.eid, kept.coach(kept.p2), session(kept, kept.p2))]
    other.append(second_app.execute(kept.eid, kept.coach(kept.p2), session(kept, kept.p2)))
    mine = kept.run(kept.coach(kept.p1), session(kept, kept.p1))
    assert [r.version for r in (*other, mine)] == [start + 1, start + 2, start + 3]
    versions = [e.originator_version for e in second_app.events.get(kept.eid)]
    assert versions == list(range(1, start + 4))
    sessions = second_app.engagement(kept.eid).individual_sessions
    assert {r.item_id for r in (*other, mine)} <= set(sessions)
    # found stale: the next saves of this engagement are not kept for a while
    assert kept.eid not in kept.app.hot


def test_a_rule_the_other_process_made_true_is_not_missed(
    kept: EngagementBuilder, second_app: Trustpath
) -> None:
    second_app.execute(kept.eid, ADMIN, PauseEngagement(occurred_at=kept.at(), reason="Holiday"))
    kept.refused(
        errors.EngagementPausedError,
        lambda: kept.run(kept.coach(kept.p1), session(kept, kept.p1, notes="Tense.")),
    )


def test_a_rule_the_other_process_lifted_does_not_refuse(
    kept: EngagementBuilder, second_app: Trustpath
) -> None:
    kept.run(ADMIN, PauseEngagement(occurred_at=kept.at(), reason="Holiday"))
    assert kept.eid in kept.app.hot  # kept, paused
    second_app.execute(kept.eid, ADMIN, ResumeEngagement(occurred_at=kept.at()))
    receipt = kept.run(kept.coach(kept.p1), session(kept, kept.p1))
    assert receipt.version == kept.engagement().version
    assert receipt.item_id in second_app.engagement(kept.eid).individual_sessions


def test_a_key_the_other_process_saw_is_replayed_not_run_twice(
    kept: EngagementBuilder, second_app: Trustpath
) -> None:
    command = session(kept, kept.p1, notes="Named two moments.", key="k-1")
    first = second_app.execute(kept.eid, kept.coach(kept.p1), command)
    before = recorded(second_app, kept.eid)
    again = kept.run(kept.coach(kept.p1), command)
    assert again.replayed
    assert (again.position, again.version, again.item_id) == (
        first.position,
        first.version,
        first.item_id,
    )
    assert recorded(second_app, kept.eid) == before


def test_the_expected_version_is_the_stored_one(
    kept: EngagementBuilder, second_app: Trustpath
) -> None:
    seen = second_app.execute(kept.eid, kept.coach(kept.p2), session(kept, kept.p2)).version
    assert kept.eid in kept.app.hot  # one version behind
    coach = kept.coach(kept.p1)
    receipt = kept.app.execute(kept.eid, coach, session(kept, kept.p1), seen)
    assert receipt.version == seen + 1
    assert kept.eid in kept.app.hot
    kept.refused(
        errors.VersionMismatchError,
        lambda: kept.app.execute(kept.eid, coach, session(kept, kept.p1), seen),
    )


class Refused(Exception):
    """What the guards of these tests raise."""


def not_while_paused(engagement: Engagement) -> None:
    if engagement.paused:
        raise Refused


def only_while_paused(engagement: Engagement) -> None:
    if not engagement.paused:
        raise Refused


def test_a_guard_refuses_on_the_stored_engagement(
    kept: EngagementBuilder, second_app: Trustpath
) -> None:
    second_app.execute(kept.eid, ADMIN, PauseEngagement(occurred_at=kept.at(), reason="Audit"))
    command = session(kept, kept.p1)
    kept.refused(
        Refused,
        lambda: kept.app.execute(kept.eid, kept.coach(kept.p1), command, guard=not_while_paused),
    )


def test_a_guard_allows_on_the_stored_engagement(
    kept: EngagementBuilder, second_app: Trustpath
) -> None:
    second_app.execute(kept.eid, ADMIN, PauseEngagement(occurred_at=kept.at(), reason="Audit"))
    assert kept.eid in kept.app.hot  # kept before the pause
    resume = ResumeEngagement(occurred_at=kept.at())
    kept.app.execute(kept.eid, ADMIN, resume, guard=only_while_paused)
    assert not second_app.engagement(kept.eid).paused


def test_no_content_is_sealed_in_for_a_protagonist_the_other_process_erased(
    kept: EngagementBuilder, second_app: Trustpath
) -> None:
    erasure = ExecuteErasure(occurred_at=kept.at(), protagonist_id=kept.p1, request_reference="r1")
    second_app.execute(kept.eid, ADMIN, erasure)
    kept.refused(
        errors.ContentErasedError,
        lambda: kept.run(kept.coach(kept.p1), session(kept, kept.p1, notes="After erasure.")),
    )
    keys = SQLKeyStore(kept.app.recorder.datastore)  # type: ignore[attr-defined]
    assert keys.is_destroyed(key_id_for(kept.p1))


def test_a_save_that_failed_keeps_nothing_it_had_changed(kept: EngagementBuilder) -> None:
    before = recorded(kept.app, kept.eid)
    with (
        failing_inserts(kept.app, "IndividualSessionHeld"),
        pytest.raises((PersistenceError, errors.ConcurrentUpdateError)),
    ):
        kept.run(kept.coach(kept.p1), session(kept, kept.p1, notes="Lost in the crash."))
    assert recorded(kept.app, kept.eid) == before
    sessions_before = dict(kept.engagement().individual_sessions)
    receipt = kept.run(kept.coach(kept.p1), session(kept, kept.p1))
    assert receipt.version == before[1] + 1
    assert set(kept.engagement().individual_sessions) == {*sessions_before, receipt.item_id}


def test_a_refused_command_leaves_the_next_one_whole(kept: EngagementBuilder) -> None:
    kept.refused(
        errors.ProtagonistNotFoundError,
        lambda: kept.run(kept.coach(kept.p1), session(kept, "nobody")),
    )
    start = kept.engagement().version
    receipt = kept.run(kept.coach(kept.p1), session(kept, kept.p1))
    assert receipt.version == start + 1
    assert [type(e).__name__ for e in kept.events(after=start)] == ["IndividualSessionHeld"]


def test_processes_taking_turns_lose_and_duplicate_nothing(
    kept: EngagementBuilder, second_app: Trustpath
) -> None:
    start = kept.engagement().version
    apps = (kept.app, second_app)
    items = [
        apps[i % 2].execute(kept.eid, kept.coach(kept.p1), session(kept, kept.p1)).item_id
        for i in range(COOL_DOWN + 6)
    ]
    stored = second_app.engagement(kept.eid)
    assert stored.version == start + len(items)
    assert set(items) <= set(stored.individual_sessions)
    assert len(set(items)) == len(items)


def test_threads_of_one_process_lose_and_duplicate_nothing(kept: EngagementBuilder) -> None:
    start = kept.engagement().version
    commands = [session(kept, kept.p1) for _ in range(8)]
    done: list[int] = []
    failed: list[BaseException] = []

    def hold(command: HoldIndividualSession) -> None:
        try:
            done.append(kept.app.execute(kept.eid, kept.coach(kept.p1), command).version)
        except errors.ConcurrentUpdateError as error:
            failed.append(error)

    threads = [threading.Thread(target=hold, args=(command,)) for command in commands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done, "at least one command must succeed"
    assert len(done) + len(failed) == len(commands)
    assert sorted(done) == list(range(start + 1, start + 1 + len(done)))
    assert kept.engagement().version == start + len(done)
