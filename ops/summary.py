"""A readable summary of one engagement, for the terminal (used by `trustpath demo`)."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from rich.console import Console
from rich.table import Table

from domain.commitments import CommitmentMade
from domain.individual_space import TrustAssessed
from domain.trustpath import Trustpath


def print_summary(app: Trustpath, engagement_id: UUID, console: Console) -> None:
    engagement = app.engagement(engagement_id)
    names = {pid: p["name"] for pid, p in engagement.protagonists.items()}
    console.print(f"[bold]{engagement.title}[/bold] ({engagement.organisation})")
    console.print(f"engagement {engagement_id}  phase: [bold]{engagement.phase.value}[/bold]")
    sessions = ", ".join(
        f"{names[pid]} {p['sessions']}" for pid, p in engagement.protagonists.items()
    )
    console.print(f"individual sessions: {len(engagement.individual_sessions)} ({sessions})")
    per_challenge: dict[str, int] = defaultdict(int)
    for challenge in engagement.relationship_sessions.values():
        per_challenge[challenge] += 1
    console.print(
        f"relationship sessions: {len(engagement.relationship_sessions)} ("
        + ", ".join(f"{c} {n}" for c, n in per_challenge.items())
        + f"); presence setbacks: {engagement.presence_setbacks}"
    )
    events = list(app.events.get(engagement_id))
    _commitments(console, engagement.commitments, events, names)
    _trust(console, events, names)


def _commitments(console: Console, commitments: dict, events: list, names: dict) -> None:  # type: ignore[type-arg]
    table = Table(title="commitments")
    for column in ("challenge", "owner(s)", "what", "due", "state"):
        table.add_column(column)
    for event in events:
        if isinstance(event, CommitmentMade):
            owners = " + ".join(names[o] for o in event.owners)
            state = commitments[event.commitment_id]["state"]
            table.add_row(event.challenge, owners, event.what, str(event.due_on), state)
    console.print(table)


def _trust(console: Console, events: list, names: dict) -> None:  # type: ignore[type-arg]
    moves: dict[tuple[str, str], list[int]] = defaultdict(list)
    for event in events:
        if isinstance(event, TrustAssessed):
            moves[(names[event.protagonist_id], event.challenge)].append(event.score)
    table = Table(title="how trust moved (score toward the other, 0-10)")
    for column in ("protagonist", "challenge", "scores", "moved"):
        table.add_column(column)
    for (who, challenge), scores in moves.items():
        moved = scores[-1] - scores[0]
        table.add_row(who, challenge, " → ".join(map(str, scores)), f"{moved:+d}")
    console.print(table)
