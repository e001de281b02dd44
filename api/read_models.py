"""The API's adapter to the read side (`projections/`): waiting, visibility, pages.

    wait(min_position)          read-your-writes: ReadSide.wait_for, bounded by READ_WAIT_SECONDS
    visible_engagements(...)    the status rows the caller may see, keyset-paginated
    moment_view(eid, at, pos)   the live read side, or a replay "as of" (projections.asof)
    trust_timeline(...)         the trust timeline filtered per protagonist

Missing upstream (told to the read side's owner): a visibility-aware, keyset-paginated list
of engagements; this adapter reads the status projection's live table for it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from api.context import trustpath
from api.problems import Problem
from domain.access import Parties, Resource, ResourceKind, decide, is_the_sponsor
from domain.errors import InvalidValueError
from domain.rules.parties import parties_of
from domain.sponsor import tell_sponsor
from domain.state import is_active
from domain.values import Actor, check_text

UNSHOWN_MILESTONE_FIELDS = {"note_length"}
"""Even the length of confidential notes stays out of responses."""


def read_side() -> Any:
    found = current_app.extensions["trustpath.read_side"]
    if found is None:
        raise Problem(503, "Service Unavailable", "this server runs no read side")
    return found


def wait(min_position: int | None) -> None:
    """Return once the read side reached `min_position` (503 if it does not in time)."""
    if not min_position:
        return
    from projections.errors import PositionBeyondLogError, ReadSideError

    try:
        read_side().wait_for(min_position, current_app.config["READ_WAIT_SECONDS"])
    except PositionBeyondLogError as error:
        raise Problem(
            422,
            "Unprocessable Content",
            str(error),
            errors={"query": {"min_position": [str(error)]}},
        ) from None
    except ReadSideError:
        raise Problem(
            503,
            "Service Unavailable",
            f"the read side has not reached position {min_position} yet; retry",
            headers={"Retry-After": "1"},
        ) from None


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


MAX_CURSOR_INT = 2**63 - 1
"""Cursors hold positions and versions: they must fit a signed 64-bit SQL parameter."""


def malformed_cursor() -> Problem:
    return Problem(
        422,
        "Unprocessable Content",
        "malformed cursor",
        errors={"query": {"cursor": ["not a cursor this API gave out: follow next_cursor"]}},
    )


def decode_cursor(cursor: str | None) -> Any:
    """What `encode_cursor` encoded: an int or text (or a flat list of them), else 422.

    Decoded strictly, since it becomes an SQL parameter: ints within a signed 64-bit range
    and not negative, texts that every store can carry (no NUL, no lone surrogate).
    """
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError, RecursionError):
        raise malformed_cursor() from None
    items = value if isinstance(value, list) else [value]
    if not all(_plain(item) for item in items):
        raise malformed_cursor()
    return value


def _plain(item: Any) -> bool:
    if isinstance(item, bool):
        return False
    if isinstance(item, int):
        return 0 <= item <= MAX_CURSOR_INT
    try:
        return isinstance(item, str) and check_text(item, "cursor") == item
    except InvalidValueError:
        return False


STATUS_ONLY = {
    "engagement_id",
    "phase",
    "active",
    "opened_at",
    "last_activity",
    "individual_sessions",
    "relationship_sessions",
}
"""What a reader allowed the status but not the engagement record sees of a summary."""


def _parties(row: Any) -> Parties:
    """The parties of a status row's folded state (the aggregate's own values)."""
    state = json.loads(row.state)
    return parties_of(state["protagonists"], state.get("sponsor", ""), state.get("agreement"))


def summary_for(reader: Actor, row: Any, parties: Parties) -> dict[str, Any] | None:
    """A status row's summary as the reader may see it, or None if not at all."""
    from projections.status import summary

    if not decide(reader, parties, Resource(ResourceKind.STATUS)).allowed:
        return None
    found = {**summary(row), "active": is_active(row.phase)}
    if is_the_sponsor(reader, parties):
        return tell_sponsor(found, parties.sponsor_items)
    if not decide(reader, parties, Resource(ResourceKind.ENGAGEMENT_RECORD)).allowed:
        found = {k: v for k, v in found.items() if k in STATUS_ONLY}
    return found


def visible_engagements(
    reader: Actor, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of status summaries the reader may see, oldest first, and the next cursor."""
    from projections.status import StatusProjection

    after = decode_cursor(cursor)
    if after is not None and not (
        isinstance(after, list) and len(after) == 2 and all(isinstance(x, str) for x in after)
    ):
        raise malformed_cursor()
    found: list[dict[str, Any]] = []
    rs = read_side()
    with rs.view(StatusProjection.name) as (conn, suffix):
        table = rs.projection(StatusProjection.name).tables.of(suffix)
        key = sa.tuple_(table.c.opened_at, table.c.engagement_id)
        while len(found) < limit:
            query = sa.select(table).order_by(table.c.opened_at, table.c.engagement_id)
            if after:
                query = query.where(key > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
            rows = conn.execute(query.limit(limit)).all()
            for row in rows:
                after = [row.opened_at, row.engagement_id]
                seen = summary_for(reader, row, _parties(row))
                if seen is not None:
                    found.append(seen)
                    if len(found) == limit:
                        break
            if len(rows) < limit:
                return found, None
    return found, encode_cursor(after)


@contextmanager
def moment_view(eid: UUID, at: datetime | None, position: int | None) -> Iterator[Any]:
    """The live read side, or one replayed "as of" a time / position (projections.asof)."""
    if at is None and position is None:
        yield read_side()
        return
    from projections.asof import EngagementUnknownError, Moment, as_of
    from projections.errors import PositionBeyondLogError

    rs = read_side()
    try:
        with as_of(trustpath(), rs.engine, eid, Moment(position, at)) as replayed:
            yield replayed
    except EngagementUnknownError:
        raise Problem(404, "Not Found", "the engagement had not opened by then") from None
    except PositionBeyondLogError as error:
        raise Problem(422, "Unprocessable Content", str(error)) from None


def trust_timeline(timeline: dict[str, Any], reader: Actor, parties: Parties) -> dict[str, Any]:
    """The trust timeline with only the assessments and milestones the reader may see (an
    individual session or an intention of P reaches only P and P's coach), no note lengths."""
    from projections.timeline import milestone_resource, moves

    assessments = [
        {k: v for k, v in a.items() if k not in ("previous_score", "moved", "milestones")}
        for a in timeline["assessments"]
    ]
    milestones = [
        {k: v for k, v in m.items() if k not in UNSHOWN_MILESTONE_FIELDS}
        for m in timeline["milestones"]
        if (resource := milestone_resource(m)) is not None
        and decide(reader, parties, resource).allowed
    ]
    visible = [
        a
        for a in assessments
        if decide(
            reader, parties, Resource(ResourceKind.TRUST_ASSESSMENTS, a["protagonist_id"])
        ).allowed
    ]
    return {
        "engagement_id": timeline["engagement_id"],
        "assessments": moves(visible, milestones),
        "milestones": milestones,
    }
