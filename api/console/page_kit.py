"""What every console page shares: the reader, rendering a page or an error in words, the
engagement id of a URL, and the reading of that engagement (or the page that says why not)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import g, render_template
from werkzeug.wrappers import Response

from api.console.views_data import NotVisibleError, Reading, reading
from api.context import trustpath
from domain.errors import EngagementNotFoundError
from domain.values import Actor
from projections.asof import EngagementUnknownError
from projections.errors import PositionBeyondLogError


def reader() -> Actor:
    actor: Actor = g.principal.actor
    return actor


def page(template: str, status: int = 200, **context: Any) -> Response:
    html = render_template(f"console/{template}", **context)
    return Response(html, status=status, mimetype="text/html")


def problem_page(status: int, title: str, detail: str) -> Response:
    """An error in words, never a stack trace (the same page as the sign-in's)."""
    return page("error.html", status, title=title, detail=detail)


def engagement_id(text: str) -> UUID | None:
    """The engagement id of a URL, or None when it is not one (the page says so)."""
    try:
        return UUID(text) if len(text) <= 40 else None
    except ValueError:
        return None


def not_found() -> Response:
    return problem_page(404, "No such engagement", "There is no engagement you may see there.")


def guarded_reading(text: str, chart: bool = True, **moment: int | None) -> Reading | Response:
    """The reading of the engagement in the URL, or the error page that explains why not."""
    eid = engagement_id(text)
    if eid is None:
        return not_found()
    try:
        return reading(app_of(), eid, reader(), chart=chart, **moment)
    except (EngagementNotFoundError, NotVisibleError):
        return not_found()  # the same answer for both: a stranger learns nothing
    except PositionBeyondLogError:
        return problem_page(422, "No such moment", "That position is beyond the history.")
    except EngagementUnknownError:
        return problem_page(422, "No such moment", "The engagement had not opened by then.")


def app_of() -> Any:
    return trustpath()
