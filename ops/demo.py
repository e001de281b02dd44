"""`trustpath demo`: a realistic engagement played through the application.

Two members of an executive committee (a CFO and a COO who no longer speak), two coaches,
the HR director's organisation as sponsor; five months of work compressed into the past so
that every `occurred_at` is real and in order. Each run opens a new engagement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.commands import (
    AssessTrust,
    AssignCoach,
    BreakCommitment,
    CompleteEngagement,
    DeclareIntention,
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
from domain.trustpath import Trustpath
from domain.values import Actor

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
    _contract(app, run, clock)
    _individual_space(app, run, clock)
    _relationship_space(app, run, clock)
    _complete(app, run, clock)
    return run


def _contract(app: Trustpath, run: DemoRun, clock: Clock) -> None:
    eid = run.engagement_id
    app.execute(
        eid,
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
        pid = app.execute(
            eid, ADMIN, EnrolProtagonist(occurred_at=clock.next(0.1), name=name, kind="person")
        ).item_id
        run.protagonists[label] = pid
        app.execute(
            eid,
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
            app.execute(
                eid,
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


def _individual_space(app: Trustpath, run: DemoRun, clock: Clock) -> None:
    eid, p = run.engagement_id, run.protagonists
    coach = {"cfo": COACH_A, "coo": COACH_B}
    for label, challenges, notes in INDIVIDUAL[:2]:
        app.execute(
            eid,
            coach[label],
            HoldIndividualSession(
                occurred_at=clock.next(),
                protagonist_id=p[label],
                duration_minutes=75,
                challenges=challenges,
                notes=notes,
            ),
        )
    baseline = {"presence": 3, "confrontation": 2, "commitment": 3, "responsibility": 2}
    for label, other, shift in (("cfo", "coo", 0), ("coo", "cfo", -1)):
        for challenge, score in (*baseline.items(), ("recognition", 1 - shift)):
            _assess(app, run, coach[label], label, other, challenge, score + shift, clock)
    intentions = {
        "cfo": ("I want to work with Omar without fearing ambushes.", "To work together openly."),
        "coo": ("I want Claire to trust my hiring plans.", "To rebuild a working trust."),
    }
    for label, (text, shared) in intentions.items():
        app.execute(
            eid,
            coach[label],
            DeclareIntention(occurred_at=clock.next(1), protagonist_id=p[label], text=text),
        )
        app.execute(
            eid,
            Actor(p[label], "protagonist"),
            ShareIntention(occurred_at=clock.next(1), protagonist_id=p[label], shared_text=shared),
        )
    for label, challenges, notes in INDIVIDUAL[2:]:
        app.execute(
            eid,
            coach[label],
            HoldIndividualSession(
                occurred_at=clock.next(),
                protagonist_id=p[label],
                duration_minutes=60,
                challenges=challenges,
                notes=notes,
            ),
        )


def _assess(
    app: Trustpath,
    run: DemoRun,
    coach: Actor,
    who: str,
    toward: str,
    challenge: str,
    score: int,
    clock: Clock,
) -> None:
    p = run.protagonists
    app.execute(
        run.engagement_id,
        coach,
        AssessTrust(
            occurred_at=clock.next(0.2),
            protagonist_id=p[who],
            toward_id=p[toward],
            challenge=challenge,
            score=score,
        ),
    )


def _relationship_space(app: Trustpath, run: DemoRun, clock: Clock) -> None:
    eid, p = run.engagement_id, run.protagonists
    both = [p["cfo"], p["coo"]]
    app.execute(
        eid,
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
        sid = app.execute(
            eid,
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
            cid = app.execute(
                eid,
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
        _after_session(app, run, challenge, clock)


def _after_session(app: Trustpath, run: DemoRun, challenge: str, clock: Clock) -> None:
    eid, c = run.engagement_id, run.commitments
    coach = {"cfo": COACH_A, "coo": COACH_B}
    scores = {"confrontation": 4, "commitment": 5, "responsibility": 6, "recognition": 8}
    for who, other in (("cfo", "coo"), ("coo", "cfo")):
        _assess(app, run, coach[who], who, other, challenge, scores[challenge], clock)
        _assess(app, run, coach[who], who, other, "presence", scores[challenge] - 1, clock)
    if challenge == "commitment":
        app.execute(
            eid,
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
        app.execute(
            eid,
            COACH_B,
            BreakCommitment(
                occurred_at=clock.next(2),
                commitment_id=c["commitment"],
                reason="Two hires announced before the plan was shared.",
            ),
        )
        renegotiated = app.execute(
            eid,
            COACH_A,
            RenegotiateCommitment(
                occurred_at=clock.next(1),
                commitment_id=c["responsibility"],
                owners=[run.protagonists["cfo"], run.protagonists["coo"]],
                to_whom=[],
                what="Hold the weekly slot, every other week during closing",
                due_on=(clock.at + timedelta(days=30)).date(),
                reason="Closing weeks clash.",
            ),
        )
        c["renegotiated"] = renegotiated.item_id
    if challenge == "recognition":
        app.execute(
            eid,
            COACH_B,
            HonourCommitment(
                occurred_at=clock.next(5),
                commitment_id=c["renegotiated"],
                evidence="Seven of eight slots held.",
                assessed_by="coach",
            ),
        )


def _complete(app: Trustpath, run: DemoRun, clock: Clock) -> None:
    run.last_position = app.execute(
        run.engagement_id, ADMIN, CompleteEngagement(occurred_at=clock.next(2))
    ).position
