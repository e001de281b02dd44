"""`trustpath demo`: a realistic engagement played through the application.

Two members of an executive committee (a CFO and a COO who no longer speak), two coaches,
the HR director's organisation as sponsor; five months of work compressed into the past so
that every `occurred_at` is real and in order. Each run opens a new engagement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import UUID

from domain.commands import (
    AssessTrust,
    AssignCoach,
    BreakCommitment,
    CompleteEngagement,
    DeclareIntention,
    EngagementCommand,
    EnrolProtagonist,
    GiveConsent,
    HoldIndividualSession,
    HoldRelationshipSession,
    HonourCommitment,
    MakeCommitment,
    OpenEngagement,
    RecordPresenceSetback,
    RenegotiateCommitment,
    ShareIntention,
    SignAgreement,
)
from domain.runs import Receipt
from domain.trustpath import Trustpath
from domain.values import Actor

Do = Callable[[Actor, EngagementCommand], Receipt]
"""Runs one command on the demo's engagement."""

ADMIN = Actor("practice-admin", "admin")
COACH_A = Actor("coach-amelie", "coach")
COACH_B = Actor("coach-bruno", "coach")


@dataclass
class DemoRun:
    """What the demo created, for the summary and for later steps (API tokens, tests)."""

    engagement_id: UUID
    protagonists: dict[str, str] = field(default_factory=dict)
    commitments: dict[str, str] = field(default_factory=dict)
    last_position: int = 0


class Clock:
    """Walks forward through the engagement's past, one step at a time."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def next(self, days: float = 3) -> datetime:
        self.at += timedelta(days=days)
        return self.at


def play(app: Trustpath, now: datetime | None = None) -> DemoRun:
    """Play the whole engagement; returns what it created."""
    now = now or datetime.now(UTC)
    clock = Clock(now - timedelta(days=160))
    receipt = app.execute(
        None,
        ADMIN,
        OpenEngagement(
            occurred_at=clock.at,
            title="Executive committee: finance and operations",
            organisation="Norwind Logistics",
            context="CFO and COO have stopped speaking since the 2026 budget freeze.",
            sponsor="norwind-hr",
        ),
    )
    run = DemoRun(receipt.engagement_id)
    do = partial(app.execute, receipt.engagement_id)
    _contract(do, run, clock)
    _individual_space(do, run, clock)
    _relationship_space(do, run, clock)
    _complete(do, run, clock)
    return run


def _contract(do: Do, run: DemoRun, clock: Clock) -> None:
    do(
        ADMIN,
        SignAgreement(
            occurred_at=clock.next(1),
            parties=["Claire (CFO)", "Omar (COO)", "coach-amelie", "coach-bruno", "norwind-hr"],
            confidentiality="Individual sessions stay between each protagonist and their coach.",
            sponsor_may_be_told=["phase", "session dates"],
            retention_days=730,
        ),
    )
    for label, name, coach in (("cfo", "Claire Martin", COACH_A), ("coo", "Omar Haddad", COACH_B)):
        pid = do(ADMIN, EnrolProtagonist(occurred_at=clock.next(0.1), name=name)).item_id
        run.protagonists[label] = pid
        do(
            ADMIN,
            AssignCoach(
                occurred_at=clock.next(0.1),
                protagonist_id=pid,
                coach_id=coach.id,
                coach_name=coach.id.replace("coach-", "").title(),
            ),
        )
        protagonist = Actor(pid, "protagonist")
        for scope in ("coaching", "sponsor_reporting"):
            do(
                protagonist,
                GiveConsent(occurred_at=clock.next(0.1), protagonist_id=pid, scope=scope),
            )


INDIVIDUAL = [
    ("cfo", ["presence", "confrontation"], "Feels ambushed in committee; fears losing face."),
    ("coo", ["presence", "responsibility"], "Sees the CFO as blocking every hire since March."),
    ("cfo", ["commitment"], "Ready to meet if the agenda is agreed beforehand."),
    ("coo", ["confrontation", "recognition"], "Admits he went to the CEO behind her back."),
    ("cfo", ["responsibility"], "Recognises the freeze was announced without warning."),
    ("coo", ["commitment"], "Wants a weekly slot, short and fixed."),
]


def _individual_space(do: Do, run: DemoRun, clock: Clock) -> None:
    p = run.protagonists
    coach = {"cfo": COACH_A, "coo": COACH_B}
    _individual_sessions(do, run, INDIVIDUAL[:2], 75, clock)
    baseline = {"presence": 3, "confrontation": 2, "commitment": 3, "responsibility": 2}
    for label, other, shift in (("cfo", "coo", 0), ("coo", "cfo", -1)):
        for challenge, score in (*baseline.items(), ("recognition", 1 - shift)):
            _assess(do, run, (label, other), challenge, score + shift, clock)
    intentions = {
        "cfo": ("I want to work with Omar without fearing ambushes.", "To work together openly."),
        "coo": ("I want Claire to trust my hiring plans.", "To rebuild a working trust."),
    }
    for label, (text, shared) in intentions.items():
        do(
            coach[label],
            DeclareIntention(occurred_at=clock.next(1), protagonist_id=p[label], text=text),
        )
        do(
            Actor(p[label], "protagonist"),
            ShareIntention(occurred_at=clock.next(1), protagonist_id=p[label], shared_text=shared),
        )
    _individual_sessions(do, run, INDIVIDUAL[2:], 60, clock)


def _individual_sessions(
    do: Do, run: DemoRun, sessions: list[tuple[str, list[str], str]], minutes: int, clock: Clock
) -> None:
    coach = {"cfo": COACH_A, "coo": COACH_B}
    for label, challenges, notes in sessions:
        session = HoldIndividualSession(
            occurred_at=clock.next(),
            protagonist_id=run.protagonists[label],
            duration_minutes=minutes,
            challenges=challenges,
            notes=notes,
        )
        do(coach[label], session)


def _assess(
    do: Do, run: DemoRun, who: tuple[str, str], challenge: str, score: int, clock: Clock
) -> None:
    """`who[0]`'s coach records their trust toward `who[1]`."""
    p, coach = run.protagonists, {"cfo": COACH_A, "coo": COACH_B}[who[0]]
    assessment = AssessTrust(
        occurred_at=clock.next(0.2),
        protagonist_id=p[who[0]],
        toward_id=p[who[1]],
        challenge=challenge,
        score=score,
    )
    do(coach, assessment)


def _relationship_space(do: Do, run: DemoRun, clock: Clock) -> None:
    p = run.protagonists
    both = [p["cfo"], p["coo"]]
    do(
        COACH_A,
        RecordPresenceSetback(
            occurred_at=clock.next(),
            challenge="confrontation",
            present=[p["cfo"]],
            note="Omar cancelled an hour before: quarterly close.",
        ),
    )
    plan: list[tuple[str, str, list[tuple[str, list[str], str]]]] = [
        (
            "confrontation",
            "Each told the other how March felt.",
            [("cfo", ["coo"], "Share the budget draft a week before committee")],
        ),
        (
            "commitment",
            "Agreed a weekly 30-minute slot.",
            [("coo", ["cfo"], "Send hiring plans before announcing them")],
        ),
        (
            "responsibility",
            "Both named their own share.",
            [("group", [], "Hold the weekly slot for two months")],
        ),
        ("recognition", "Claire thanked Omar for the logistics turnaround.", []),
    ]
    for challenge, notes, commitments in plan:
        sid = do(
            COACH_A,
            HoldRelationshipSession(
                occurred_at=clock.next(10),
                challenge=challenge,
                present=both,
                duration_minutes=120,
                shared_notes=notes,
                made_explicit=[notes],
                decisions=["continue"],
            ),
        ).item_id
        for owner, to_whom, what in commitments:
            owners = both if owner == "group" else [p[owner]]
            cid = do(
                COACH_B,
                MakeCommitment(
                    occurred_at=clock.next(0.1),
                    session_id=sid,
                    owners=owners,
                    to_whom=[p[t] for t in to_whom],
                    what=what,
                    due_on=(clock.at + timedelta(days=14)).date(),
                    challenge=challenge,
                ),
            ).item_id
            run.commitments[challenge] = cid
        _after_session(do, run, challenge, clock)


def _after_session(do: Do, run: DemoRun, challenge: str, clock: Clock) -> None:
    c = run.commitments
    scores = {"confrontation": 4, "commitment": 5, "responsibility": 6, "recognition": 8}
    for who, other in (("cfo", "coo"), ("coo", "cfo")):
        _assess(do, run, (who, other), challenge, scores[challenge], clock)
        _assess(do, run, (who, other), "presence", scores[challenge] - 1, clock)
    if challenge == "commitment":
        do(
            COACH_A,
            HonourCommitment(
                occurred_at=clock.next(5),
                commitment_id=c["confrontation"],
                evidence="Draft sent eight days before committee.",
                assessed_by="parties",
                assessors=[run.protagonists["coo"]],
            ),
        )
    if challenge == "responsibility":
        do(
            COACH_B,
            BreakCommitment(
                occurred_at=clock.next(2),
                commitment_id=c["commitment"],
                reason="Two hires announced before the plan was shared.",
            ),
        )
        renegotiated = do(
            COACH_A,
            RenegotiateCommitment(
                occurred_at=clock.next(1),
                commitment_id=c["responsibility"],
                owners=[run.protagonists["cfo"], run.protagonists["coo"]],
                what="Hold the weekly slot, every other week during closing",
                due_on=(clock.at + timedelta(days=30)).date(),
                reason="Closing weeks clash.",
            ),
        )
        c["renegotiated"] = renegotiated.item_id
    if challenge == "recognition":
        do(
            COACH_B,
            HonourCommitment(
                occurred_at=clock.next(5),
                commitment_id=c["renegotiated"],
                evidence="Seven of eight slots held.",
            ),
        )


def _complete(do: Do, run: DemoRun, clock: Clock) -> None:
    run.last_position = do(ADMIN, CompleteEngagement(occurred_at=clock.next(2))).position
