"""The console's Flask blueprint and the hooks every console request goes through: the
template globals, the CSRF check before a view, and forgetting a dead session cookie after it."""

from __future__ import annotations

from flask import Blueprint, g
from werkzeug.wrappers import Response

from api.console.security import check_csrf, csrf_field
from api.console.sessions import forget_dead_cookie

blueprint = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)


@blueprint.context_processor
def _globals() -> dict[str, object]:
    return {"csrf_field": csrf_field, "principal": g.get("principal")}


@blueprint.before_request
def _guard() -> Response | None:
    return check_csrf()


@blueprint.after_request
def _forget(response: Response) -> Response:
    return forget_dead_cookie(response)
