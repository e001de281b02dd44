"""The vocabulary of random command sequences: the commands a step may name (endings drawn
less often, so sequences go deep), the pools every argument is drawn from (the right actor
or a wrong one, good and bad times, texts, numbers and challenges in and out of range),
the stage a run starts from, and `steps`, the Hypothesis strategy of one `Step`."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from domain.commands import (
    ENGAGEMENT_COMMANDS,
    CloseEarly,
    CompleteEngagement,
    EngagementCommand,
    ExecuteErasure,
    PauseEngagement,
    RequestTermination,
)
from domain.values import Challenge

COMMANDS = ENGAGEMENT_COMMANDS
ENDINGS = (RequestTermination, CompleteEngagement, CloseEarly, ExecuteErasure)
"""Commands that end what can happen next; drawn less often so sequences go deep."""
COMMAND_POOL = tuple(
    c for c in COMMANDS for _ in range(1 if c in ENDINGS else 4 if c is PauseEngagement else 8)
)
ACTORS = ("right",) * 30 + ("admin", "coach-a", "coach-b", "p1", "sponsor", "auditor")
TEXTS = ("Plain words.",) * 20 + ("", "  ")
NUMBERS = (3, 5, 10, 60) * 5 + (-1, 0, 11, 481)
WHEN = ("ok",) * 30 + ("future", "before")
CHALLENGES = ("due",) * 12 + (*(c.value for c in Challenge), "trust")
"""`due` is the relational challenge due next (or the last one), so sessions can go on."""
SCOPES = ("coaching", "sponsor_reporting", "recording", "bogus")
COACH_IDS = ("coach-a", "coach-b", "coach-c")
STAGES = ("opened", "contracted", "at_gate", "with_commitment", "with_commitment")


@dataclass(frozen=True)
class Step:
    command: type[EngagementCommand]
    actor: str
    target: int
    other: int
    text: str
    challenge: str
    number: int
    when: str
    ref: int


steps = st.builds(
    Step,
    command=st.sampled_from(COMMAND_POOL),
    actor=st.sampled_from(ACTORS),
    target=st.sampled_from((0, 1) * 6 + (2, 3)),
    other=st.sampled_from((0, 1, 2) * 4 + (3,)),
    text=st.sampled_from(TEXTS),
    challenge=st.sampled_from(CHALLENGES),
    number=st.sampled_from(NUMBERS),
    when=st.sampled_from(WHEN),
    ref=st.integers(0, 3),
)
