"""Signing in and out, and setting a password from an invitation link.

    GET  /console/sign-in?next=/console/...   the form (a pre-session CSRF token)
    POST /console/sign-in                     name + password → session → 303 to next
    POST /console/sign-out                    ends the session → 303 to the sign-in page
    GET/POST /console/invitation/<token>      a one-time link: choose a password
    GET  /console/                            the home page: where to go, by role

A failed sign-in answers the same page with the same words whether the name exists or
not, after the same Argon2 work; failures are throttled per name and per address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from api.console.accounts import MAX_NAME, MAX_PASSWORD, Accounts, login_of
from api.console.blueprint import blueprint
from api.console.security import Throttle
from api.console.sessions import end, load_session, signed_in, start
from domain.errors import InvalidValueError

WRONG = "The name or password is wrong."
MAX_NEXT = 500


def accounts() -> Accounts:
    found: Accounts = current_app.extensions["trustpath.console.accounts"]
    return found


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path inside the console, never another site."""
    default = "/console/"
    if not target or len(target) > MAX_NEXT or any(c in target for c in "\\\x00\r\n\t"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return default
    if not (parts.path == "/console" or parts.path.startswith("/console/")):
        return default
    if "/../" in parts.path or parts.path.endswith("/.."):
        return default
    return target


def _form(error: str = "", status: int = 200, name: str = "") -> Response:
    page = render_template(
        "console/signin.html",
        error=error,
        name="".join(c for c in name[:MAX_NAME] if c.isprintable()),
        next=safe_next(request.values.get("next")),
    )
    return Response(page, status=status, mimetype="text/html")


@blueprint.get("/sign-in")
def sign_in_form() -> Response:
    return _form()


@blueprint.post("/sign-in")
def sign_in() -> BaseResponse:
    name, password = request.form.get("name", ""), request.form.get("password", "")
    login, address = login_of(name[: MAX_NAME + 1]), request.remote_addr or "unknown"
    throttle: Throttle = current_app.extensions["trustpath.console.throttle"]
    if not throttle.allows(login, address):
        minutes = -(-throttle.retry_after(login, address) // 60)
        error = (
            "Too many failed sign-ins for this name or from this address. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        return _form(error, 429, name)
    if "\x00" in name or "\x00" in password or len(password) > MAX_PASSWORD:
        found = accounts().verify("", "")  # never a valid login; the same work as a failure
    else:
        found = accounts().verify(name, password)
    if found is None:
        throttle.failed(login, address)
        return _form(WRONG, 401, name)
    response = redirect(safe_next(request.form.get("next")), code=303)
    return start(response, found)


@blueprint.post("/sign-out")
def sign_out() -> BaseResponse:
    load_session()
    return end(redirect("/console/sign-in", code=303))


@blueprint.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str) -> BaseResponse:
    principal = accounts().invitation(token) if len(token) <= 100 else None
    if principal is None:
        page = render_template("console/invitation.html", invalid=True, error="")
        return Response(page, status=404, mimetype="text/html")
    error, status = "", 200
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("confirm", ""):
            error, status = "The two passwords differ.", 400
        else:
            try:
                accounts().redeem(token, password)
            except InvalidValueError as refused:
                error, status = f"{refused}.", 400
            else:
                return redirect("/console/sign-in", code=303)
    page = render_template(
        "console/invitation.html", invalid=False, error=error, who=principal.name
    )
    return Response(page, status=status, mimetype="text/html")


@blueprint.get("/")
@signed_in
def home() -> str:
    return render_template("console/home.html")
