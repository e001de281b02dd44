"""The web console: server-rendered pages for people, on the same app as the API.

    /console/sign-in, /console/sign-out, /console/invitation/<token>   api.console.signin
    /console/...   pages by role                                      api.console.pages, ...

A person signs in with a name and password (api.console.accounts) and holds a server-side
session (api.console.sessions); every page acts as that person's principal, through the
same `decide` and recorded reads as the bearer-token API. Every POST carries a CSRF token
and every response the security headers (api.console.security).
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from flask import Blueprint, Flask, g, redirect
from werkzeug.wrappers import Response

from api.limits import TokenBucket
from api.principals import PrincipalStore

blueprint = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)


def install(app: Flask, store: PrincipalStore) -> None:
    """Register the console on the app, on the principals' database (after api.auth)."""
    from api.console.accounts import Accounts
    from api.console.security import Throttle
    from api.console.security import install as install_headers
    from api.console.session_store import SessionStore

    clock = app.config.get("CONSOLE_CLOCK") or (lambda: datetime.now(UTC))
    hasher = app.config.get("CONSOLE_PASSWORD_HASHER") or PasswordHasher()
    app.extensions["trustpath.console.accounts"] = Accounts(store.engine, hasher, clock)
    app.extensions["trustpath.console.sessions"] = SessionStore(
        store.engine,
        clock,
        idle=timedelta(seconds=app.config.get("CONSOLE_IDLE_SECONDS", 30 * 60)),
        absolute=timedelta(seconds=app.config.get("CONSOLE_ABSOLUTE_SECONDS", 12 * 3600)),
    )
    names: TokenBucket = app.extensions["trustpath.signin_name_bucket"]
    addresses: TokenBucket = app.extensions["trustpath.signin_address_bucket"]
    app.extensions["trustpath.console.throttle"] = Throttle(names, addresses)
    install_headers(app)
    app.register_blueprint(blueprint)
    app.add_url_rule("/", "console_root", lambda: redirect("/console/", code=303))


@blueprint.context_processor
def _globals() -> dict[str, object]:
    from api.console.security import csrf_field

    return {"csrf_field": csrf_field, "principal": g.get("principal")}


@blueprint.before_request
def _guard() -> Response | None:
    from api.console.security import check_csrf

    return check_csrf()


@blueprint.after_request
def _forget(response: Response) -> Response:
    from api.console.sessions import forget_dead_cookie

    return forget_dead_cookie(response)


# The views: sign-in (auth), then the pages' modules when they are part of this tree.
from api.console import signin  # noqa: E402, F401

for _module in ("pages", "audit_pages"):
    if importlib.util.find_spec(f"api.console.{_module}") is not None:
        importlib.import_module(f"api.console.{_module}")
