"""The terminal views of the three projections: status, commitment ledger, trust timeline.

`trustpath demo` ends with them, and `trustpath timeline` prints the last one (now or as of
a past time). Each reads the projection through the read side, never the events.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rich.console import Console
from rich.table import Table

from ops.terminal import console
from projections.errors import ReadSideError
from projections.read_side import ReadSide


def names_of(read_side: ReadSide, eid: UUID) -> dict[str, str]:
    from projections.status import get_status

    found = get_status(read_side, eid)
    return {p["protagonist_id"]: p["name"] for p in (found or {}).get("protagonists", [])}


def print_status(read_side: ReadSide, eid: UUID, out: Console = console) -> None:
    from projections.status import get_status

    s = get_status(read_side, eid)
    if s is None:
        raise ReadSideError(f"no engagement {eid}")
    out.print(f"[bold]{s['title']}[/bold] ({s['organisation']}) phase [bold]{s['phase']}[/bold]")
    table = Table(title="status (from the projection)")
    for column in ("protagonist", "coach", "individual sessions", "intention"):
        table.add_column(column)
    for p in s["protagonists"]:
        shared = (
            "shared" if p["intention_shared"] else "declared" if p["intention_declared"] else "-"
        )
        table.add_row(p["name"], p["coach_name"], str(p["individual_sessions"]), shared)
    out.print(table)
    per = ", ".join(f"{c} {n}" for c, n in s["relationship_sessions_per_challenge"].items())
    out.print(
        f"relationship sessions {s['relationship_sessions']}"
        + (f" ({per})" if per else "")
        + f"; setbacks "
        f"{s['presence_setbacks']}; gate {'open' if s['gate_open'] else 'closed'}; "
        f"minimums {'met' if s['minimums_met'] else 'not met'}; next: {s['next_step']}"
    )


def print_ledger(read_side: ReadSide, eid: UUID, out: Console = console) -> None:
    from projections.commitment_ledger import get_ledger

    names = names_of(read_side, eid)
    ledger = get_ledger(read_side, eid)
    table = Table(title="commitment ledger")
    for column in ("challenge", "owner(s)", "what", "due", "state", "history"):
        table.add_column(column)
    for c in ledger["commitments"]:
        owners = " + ".join(names.get(o, o) for o in c["owners"])
        state = c["state"] + (" (overdue)" if c["overdue"] else "")
        history = " → ".join(line["line"] for line in c["history"])
        table.add_row(c["challenge"], owners, c["what"], c["due_on"], state, history)
    out.print(table)
    rates = Table(title="who keeps their word")
    for column in ("protagonist", "made", "honoured", "broken", "honour rate", "on time"):
        rates.add_column(column)
    for pid, r in ledger["per_protagonist"].items():
        cells = [r["made"], r["honoured"], r["broken"], _pct(r["honour_rate"])]
        rates.add_row(names.get(pid, pid), *map(str, cells), _pct(r["on_time_rate"]))
    out.print(rates)


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def print_timeline(read_side: ReadSide, eid: UUID, out: Console = console) -> None:
    from projections.timeline import get_timeline

    names = names_of(read_side, eid)
    table = Table(title="trust timeline (score toward the other, 0-10)")
    for column in ("when", "protagonist", "toward", "challenge", "score", "moved", "around it"):
        table.add_column(column)
    for a in get_timeline(read_side, eid)["assessments"]:
        moved = "" if a["moved"] is None else f"{a['moved']:+d}"
        who, toward = names.get(a["protagonist_id"], "?"), names.get(a["toward_id"], "?")
        cells = (a["occurred_at"][:10], who, toward, a["challenge"], str(a["score"]), moved)
        table.add_row(*cells, around(a["milestones"]))
    out.print(table)


SHORT = {
    "individual_session": "individual",
    "relationship_session": "relationship",
    "presence_setback": "setback",
    "intention_declared": "intention",
    "intention_revised": "intention",
    "intention_shared": "shared",
}


def around(milestones: list[dict[str, Any]]) -> str:
    """What happened since the previous assessment, counted by kind."""
    counts: dict[str, int] = {}
    for m in milestones:
        kind = SHORT.get(m["kind"], m["kind"].removeprefix("commitment_"))
        counts[kind] = counts.get(kind, 0) + 1
    return " ".join(f"{kind} x{n}" if n > 1 else kind for kind, n in counts.items())
