"""The web console: server-rendered pages for people, on the same app as the API.

    /console/sign-in, /console/sign-out, /console/invitation/<token>   api.console.signin
    /console/...   pages by role                                      api.console.pages, ...

A person signs in with a name and password (api.console.accounts) and holds a server-side
session (api.console.sessions); every page acts as that person's principal, through the
same `decide` and recorded reads as the bearer-token API. Every POST carries a CSRF token
and every response the security headers (api.console.security).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from flask import Flask, redirect

from api.console import audit_pages, notes, pages, replay, signin, timeline_page
from api.console.accounts import Accounts
from api.console.blueprint import blueprint
from api.console.security import Throttle
from api.console.security import install as install_headers
from api.console.session_store import SessionStore
from api.limits import TokenBucket
from api.principals import PrincipalStore


def install(app: Flask, store: PrincipalStore) -> None:
    """Register the console on the app, on the principals' database (after api.auth)."""

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


VIEWS = (signin, pages, notes, replay, timeline_page, audit_pages)
"""The modules whose routes the blueprint carries (imported for their registrations)."""
