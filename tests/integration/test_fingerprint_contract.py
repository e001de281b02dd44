"""Idempotency fingerprints are a stored contract: a command stored before a change of how
commands are declared, re-sent after it with the same key, must still replay.

Under a fixed master key, an engagement told with idempotency keys stores the same
fingerprints, byte for byte, as the code that declared each command as a method of the
application (the literals below were computed by that code). Each fingerprint is the HMAC
of the command's label, its argument mapping (defaults included) and its actor, so a
renamed label, a dropped default or a changed argument name changes it. Sealed text (an
intention) enters as a digest under a random data key, so those are left out here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.ciphers import MasterKey
from domain.commands import (
    AssessTrust,
    AssignCoach,
    BreakCommitment,
    CloseEarly,
    DeclareIntention,
    EngagementCommand,
    EnrolProtagonist,
    ExecuteErasure,
    GiveConsent,
    HoldFollowUp,
    HoldIndividualSession,
    HoldRelationshipSession,
    HonourCommitment,
    MakeCommitment,
    OpenEngagement,
    PauseEngagement,
    ReassignCoach,
    RecordPresenceSetback,
    RenegotiateCommitment,
    RequestTermination,
    ResumeEngagement,
    ShareIntention,
    SignAgreement,
    WithdrawCommitment,
    WithdrawConsent,
)
from domain.errors import ContentErasedError
from domain.trustpath import Trustpath
from domain.values import Actor
from tests.support.apps import make_app

pytestmark = pytest.mark.integration

FIXED_KEY = MasterKey(bytes(range(32)))
ADMIN = Actor("practice-admin", "admin")
COACH_A, COACH_B = Actor("coach-a", "coach"), Actor("coach-b", "coach")
DUE = date(2100, 1, 1)

Send = Callable[..., Any]


def story(send: Send) -> None:
    """Every command with a key, most arguments left to their defaults."""
    send(SignAgreement, ADMIN, parties=["both"], confidentiality="C", retention_days=365)
    p1 = send(EnrolProtagonist, ADMIN, name="P1").item_id
    p2 = send(EnrolProtagonist, ADMIN, name="P2", kind="entity").item_id
    for pid, coach in ((p1, COACH_A), (p2, COACH_B)):
        send(AssignCoach, ADMIN, protagonist_id=pid, coach_id=coach.id, coach_name="C")
        send(GiveConsent, Actor(pid, "protagonist"), protagonist_id=pid, scope="coaching")
        send(
            HoldIndividualSession,
            coach,
            protagonist_id=pid,
            duration_minutes=50,
            challenges=["presence"],
        )
        send(DeclareIntention, coach, protagonist_id=pid, text="To talk again.")
    send(ShareIntention, Actor(p1, "protagonist"), protagonist_id=p1, shared_text="S")
    send(AssessTrust, COACH_A, protagonist_id=p1, toward_id=p2, challenge="presence", score=4)
    send(RecordPresenceSetback, COACH_A, challenge="confrontation", present=[p1])
    sid = send(
        HoldRelationshipSession,
        COACH_A,
        challenge="confrontation",
        present=[p1, p2],
        duration_minutes=90,
        shared_notes="N",
    ).item_id
    terms = {"owners": [p1], "what": "W", "due_on": DUE}
    first = send(MakeCommitment, COACH_A, session_id=sid, challenge="confrontation", **terms)
    send(HonourCommitment, COACH_A, commitment_id=first.item_id, evidence="E")
    second = send(MakeCommitment, COACH_A, session_id=sid, challenge="commitment", **terms)
    third = send(RenegotiateCommitment, COACH_A, commitment_id=second.item_id, reason="R", **terms)
    send(BreakCommitment, COACH_A, commitment_id=third.item_id, reason="R")
    fourth = send(MakeCommitment, COACH_A, session_id=sid, challenge="commitment", **terms)
    send(WithdrawCommitment, COACH_A, commitment_id=fourth.item_id, reason="R")
    send(ReassignCoach, ADMIN, protagonist_id=p2, coach_id="coach-c", coach_name="C", reason="R")
    send(WithdrawConsent, Actor(p2, "protagonist"), protagonist_id=p2, scope="recording")
    send(PauseEngagement, ADMIN, reason="R")
    send(ResumeEngagement, ADMIN)
    send(RequestTermination, Actor(p1, "protagonist"))
    send(CloseEarly, ADMIN, reason="R")
    send(HoldFollowUp, COACH_A, months_after=3, trust_lasted=True, shared_notes="N")
    send(ExecuteErasure, ADMIN, protagonist_id=p1, request_reference="R")


PINNED: list[tuple[str, str]] = [
    ("Opened", "v2:55a5cabfb95a81fc05d7d345294979e5"),
    ("AgreementSigned", "v2:b7344c5190432e4eb4062cf84dd93eaf"),
    ("ProtagonistEnrolled", "v2:fc895c2e4a94b9b12f5793cd9dcefa42"),
    ("ProtagonistEnrolled", "v2:b585aca8bea253bcdd70315941c0939f"),
    ("CoachAssigned", "v2:6e4ea102881f84f62a057a62ed5e1d8c"),
    ("ConsentGiven", "v2:eab70c867f931d1df07cf268426d5d3a"),
    ("IndividualSessionHeld", "v2:3d9df2855689247f05549a9298884882"),
    ("CoachAssigned", "v2:68e16c4c6f9ff1b3a617d8796b53cc5f"),
    ("ConsentGiven", "v2:ecf9ac13848bac81d511041b18f80d97"),
    ("IndividualSessionHeld", "v2:e6b8fe53a5d607e637a073f02da8cef5"),
    ("IntentionShared", "v2:23b0ee5a1e941ad7c6b65ef0ac18f6e6"),
    ("TrustAssessed", "v2:105451572e17c2eb984cfa86054ca482"),
    ("PresenceSetbackRecorded", "v2:801c93a397448249e3405cca1562e015"),
    ("RelationshipSessionHeld", "v2:4a7f72b5c2a35ec720cabb4752e3e075"),
    ("CommitmentMade", "v2:ee4305a133297100e0fb276980aec7be"),
    ("CommitmentHonoured", "v2:82de98e7b8bfd8bbcd847d8f0e3ad48f"),
    ("CommitmentMade", "v2:1efaea561256503b94ec80adb7e70fd5"),
    ("CommitmentRenegotiated", "v2:2efeacb9d8b290323df5ea09ae97beff"),
    ("CommitmentMade", "v2:2efeacb9d8b290323df5ea09ae97beff"),
    ("CommitmentBroken", "v2:7e218d5d69ddb9eeb61b80fb091a63d8"),
    ("CommitmentMade", "v2:b58236857b6658813c27c4fc5680ba09"),
    ("CommitmentWithdrawn", "v2:4f8d1e9996f0f3a3532ae07d10ff8f7c"),
    ("CoachReassigned", "v2:79c591e63a32bdc0cdf8aa244915005f"),
    ("ConsentWithdrawn", "v2:00fa465b5a157df0e805a724c2599ed3"),
    ("EngagementPaused", "v2:1761c0485431e39f68c777cd0c3cdbbe"),
    ("EngagementResumed", "v2:da17d7faf21428833f30dde9a77680ae"),
    ("TerminationRequested", "v2:7cb284633a32aa11e97260748215c952"),
    ("EngagementClosedEarly", "v2:c01671e9d3e03a539fcffe4f23815dee"),
    ("FollowUpHeld", "v2:b4b9b352f6049b4bf8ea280178a67b7d"),
    ("ErasureExecuted", "v2:5a43c550fbf6b9f5d426cd249ea4d59e"),
]
"""(event, stored fingerprint) in order, computed by the code before the change."""


@pytest.fixture
def fixed_app(sqlite_url: str) -> Iterator[Trustpath]:
    application = make_app(sqlite_url, FIXED_KEY)
    yield application
    application.close()


def told(app: Trustpath) -> tuple[Any, list[tuple[type[EngagementCommand], Actor, Any]]]:
    """Tell the story with a key per command; what was sent, to send it again."""
    at = datetime.now(UTC) - timedelta(days=1)
    opening = OpenEngagement(occurred_at=at, key="open", title="T", organisation="O", sponsor="s")
    eid = app.execute(None, ADMIN, opening).engagement_id
    sent: list[tuple[type[EngagementCommand], Actor, Any]] = []

    def send(command: type[EngagementCommand], actor: Actor, **args: Any) -> Any:
        made = command(occurred_at=at, key=f"key-{len(sent)}", **args)
        sent.append((command, actor, made))
        return app.execute(eid, actor, made)

    story(send)
    return eid, sent


def test_commands_store_the_fingerprints_the_method_wrappers_stored(
    fixed_app: Trustpath,
) -> None:
    eid, _ = told(fixed_app)
    stored = [
        (type(event).__name__, event.fingerprint)
        for event in fixed_app.events.get(eid)
        if event.fingerprint and type(event).__name__ not in SEALED_TEXT_EVENTS
    ]
    assert stored == PINNED


SEALED_TEXT_EVENTS = {"IntentionDeclared", "IntentionRevised"}


def test_every_command_replays_when_re_sent_with_its_key(fixed_app: Trustpath) -> None:
    """...except an intention of the protagonist the story erased: it can no longer be
    compared with the first (see domain.fingerprints)."""
    eid, sent = told(fixed_app)
    version = fixed_app.engagement(eid).version
    erased = sent[-1][2]
    assert isinstance(erased, ExecuteErasure)
    for _, actor, command in sent:
        if (
            isinstance(command, DeclareIntention)
            and command.protagonist_id == erased.protagonist_id
        ):
            with pytest.raises(ContentErasedError):
                fixed_app.execute(eid, actor, command)
            continue
        assert fixed_app.execute(eid, actor, command).replayed, command
    assert fixed_app.engagement(eid).version == version
