"""Who is signed in to the console: the session cookie, and the `signed_in` decorator.

    request ─ cookie trustpath_session ─► SessionStore.principal (live session, live principal)
               none / expired / revoked ─► 303 /console/sign-in?next=<this page>
               found ─► g.principal (the same Principal a bearer token yields) ─► view

The principal's actor goes into the same `decide(...)` and the same recorded reads as the
API's: the console has no authorisation path of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import quote

from flask import current_app, g, redirect, request
from werkzeug.wrappers import Response

from api import auth
from api.console.cookies import PRESESSION_COOKIE, set_cookie
from api.console.session_store import SessionStore
from api.principals import Principal

SESSION_COOKIE = "trustpath_session"
SIGN_IN = "/console/sign-in"
View = TypeVar("View", bound=Callable[..., Any])


def store() -> SessionStore:
    found: SessionStore = current_app.extensions["trustpath.console.sessions"]
    return found


def load_session() -> Principal | None:
    """This request's signed-in principal (once per request), or None."""
    if "console_loaded" in g:
        return cast(Principal | None, g.get("principal"))
    g.console_loaded = True
    session_id = request.cookies.get(SESSION_COOKIE, "")
    found = store().principal(session_id) if session_id else None
    if found is not None:
        g.principal, g.console_session_id = found, session_id
    elif session_id:
        g.drop_session_cookie = True  # forged, expired or revoked: the browser forgets it
    return found


def signed_in(view: View) -> View:
    """Only for a signed-in person: others are sent to the sign-in page, then back here."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        found = load_session()
        if found is None:
            back = request.full_path if request.method == "GET" else "/console/"
            return redirect(f"{SIGN_IN}?next={quote(back.rstrip('?'), safe='/')}", code=303)
        auth.charge(1.0)  # the same per-principal rate limit as the API
        return view(*args, **kwargs)

    return cast(View, guarded)


def start(response: Response, principal: Principal) -> Response:
    """Open a session for `principal` and set its cookie on `response`."""
    if g.get("console_session_id"):  # signing in again: the previous session ends
        store().end(g.console_session_id)
    set_cookie(response, SESSION_COOKIE, store().open(principal))
    response.delete_cookie(PRESESSION_COOKIE, path="/console")
    return response


def end(response: Response) -> Response:
    """End this request's session (if any) and make the browser forget its cookie."""
    session_id = g.get("console_session_id")
    if session_id:
        store().end(session_id)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


def forget_dead_cookie(response: Response) -> Response:
    if g.get("drop_session_cookie"):
        response.delete_cookie(SESSION_COOKIE, path="/console")
    return response
