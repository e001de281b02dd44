"""The Flask app factory: one Trustpath application, one blueprint per resource.

create_app(app, config={...}, read_side=...)
  ├── problems   the one error mapping (problem+json)
  ├── auth       bearer tokens → one principal per request, rate limits, 415
  ├── refusals   repeated refused reads coalesced into one record per minute
  ├── body       JSON nested too deep → 400
  ├── flask-smorest Api → /openapi.json (OpenAPI 3.1), Swagger UI at /docs (local assets)
  └── blueprints health, engagements, agreement, protagonists, consents, intentions,
                 erasure, individual-sessions, trust-assessments,
                 relationship-sessions, presence-setbacks, commitments, lifecycle,
                 follow-ups, views, status, access-log, audit, principals, ledger (auditors)
  └── console    the web console for people: /console (sessions, CSRF, pages by role)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_swagger_ui import get_swaggerui_blueprint

from api import auth, body, console, problems
from api.limits import ServerLimits
from api.principals import PrincipalStore, database_url_of
from api.refusals import RefusalWindows
from api.resources import BLUEPRINTS
from domain.trustpath import Trustpath

DEFAULTS: dict[str, Any] = {
    "API_TITLE": "trustpath",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "RATE_LIMIT": 200.0,
    "RATE_BURST": 400.0,
    "ANONYMOUS_RATE_LIMIT": 2.0,
    "ANONYMOUS_RATE_BURST": 20.0,
    "READ_WAIT_SECONDS": 5.0,
    "PROJECTION_LAG_LIMIT": 1000,
    "API_SPEC_OPTIONS": {
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "info": {
            "description": "The event-sourced backend of trust-crisis coaching engagements. "
            "Errors are application/problem+json (RFC 9457)."
        },
    },
}


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, documenting every error as application/problem+json."""

    ERROR_SCHEMA = problems.ProblemOut
    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"

    def _register_responses(self) -> None:
        original = Api.DEFAULT_RESPONSE_CONTENT_TYPE
        self.DEFAULT_RESPONSE_CONTENT_TYPE = problems.PROBLEM_JSON
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = original


def create_app(
    app: Trustpath,
    *,
    config: Mapping[str, Any] | None = None,
    read_side: Any = None,
    principals: PrincipalStore | None = None,
    limits: ServerLimits | None = None,
) -> Flask:
    """The HTTP API over one Trustpath application (and, optionally, its read side).

    `limits`: the rate-limit tables shared by the server's workers (made before they
    fork); by default this app's own. The app's refused reads are coalesced from now on
    (`app.refusals`, api.refusals)."""
    flask_app = Flask("trustpath")
    flask_app.config.update(DEFAULTS)
    flask_app.config.update(config or {})
    flask_app.extensions["trustpath"] = app
    flask_app.extensions["trustpath.read_side"] = read_side
    store = principals or PrincipalStore.for_url(
        flask_app.config.get("DATABASE_URL") or database_url_of(app.env)
    )
    api = ProblemApi(flask_app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    flask_app.register_blueprint(get_swaggerui_blueprint("/docs", "/openapi.json"))
    limits = limits or ServerLimits.make()
    auth.register(flask_app, store, limits)
    console.install(flask_app, store)
    app.refusals = flask_app.extensions["trustpath.refusals"] = RefusalWindows(app, limits.windows)
    flask_app.before_request(body.check_json_depth)  # after authentication: 401 comes first
    problems.register(flask_app)
    return flask_app
