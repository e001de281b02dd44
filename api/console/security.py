"""The console's guards: CSRF tokens, security headers, sign-in throttling.

CSRF (synchronizer tokens, nothing to store): a form's token is an HMAC keyed by the
session's random id (only the browser holding that session's cookie can know it); before a
session exists (the sign-in and invitation forms), by a random pre-session cookie's id.
Every POST to the console must carry the token of the session, or of the pre-session when
there is no session: otherwise a 403 page naming the rule.

Throttling: failed sign-ins spend tokens from two buckets shared by the server's workers
(api.limits): one per typed name (whether it exists or not: the answer must not tell) and
one per client address. An empty bucket refuses further attempts, even right ones, until
it refills.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Flask, Response, g, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from api.console.cookies import PRESESSION_COOKIE, set_cookie
from api.console.sessions import load_session
from api.limits import TokenBucket

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _token(key: str, purpose: bytes) -> str:
    return hmac.new(key.encode(), purpose, hashlib.sha256).hexdigest()


def expected_token() -> str:
    """The token this request's forms carry: the session's, else the pre-session's."""
    load_session()
    session_id = g.get("console_session_id")
    if session_id:
        return _token(session_id, b"console-csrf")
    return _token(presession_id(), b"console-presession-csrf")


def presession_id() -> str:
    """The browser's pre-session id (a new one is set on the response if it has none)."""
    found = g.get("presession_id") or request.cookies.get(PRESESSION_COOKIE, "")
    if not found or len(found) > 100:
        found = g.new_presession = secrets.token_urlsafe(32)
    g.presession_id = found
    return found


def csrf_field() -> Markup:
    """The hidden input every console form includes."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, expected_token())


def check_csrf() -> Response | None:
    """Before every console POST: refuse one without this browser's token (403 page)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if load_session() is None and request.endpoint == "console.sign_out":
        return None  # no live session to end (it expired): nothing a forger could do
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, "")
    has_key = g.get("console_session_id") or request.cookies.get(PRESESSION_COOKIE)
    if has_key and sent and hmac.compare_digest(sent.encode(), expected_token().encode()):
        return None
    return refusal(
        403,
        "Form refused: missing or wrong security token",
        "Every form of the console carries a security token tied to your browser's "
        "session (protection against cross-site request forgery). This form's token was "
        "missing or did not match. Reload the page and send the form again.",
    )


def refusal(status: int, title: str, detail: str) -> Response:
    """A console error page: the rule in words, never a stack trace."""
    page = render_template("console/error.html", title=title, detail=detail)
    return Response(page, status=status, mimetype="text/html")


def add_headers(response: BaseResponse) -> BaseResponse:
    """After every /console response: the security headers; pages are never cached."""
    if not request.path.startswith("/console"):
        return response
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    new = g.get("new_presession")
    if new:
        set_cookie(response, PRESESSION_COOKIE, new)
    return response


class Throttle:
    """Failed sign-ins per typed name and per client address (shared buckets)."""

    def __init__(self, names: TokenBucket, addresses: TokenBucket) -> None:
        self.names, self.addresses = names, addresses

    def allows(self, login: str, address: str) -> bool:
        return self.names.has_tokens(_key("name", login)) and self.addresses.has_tokens(
            _key("address", address)
        )

    def failed(self, login: str, address: str) -> None:
        self.names.take(_key("name", login))
        self.addresses.take(_key("address", address))

    def retry_after(self, login: str, address: str) -> int:
        return max(
            self.names.retry_after(_key("name", login)),
            self.addresses.retry_after(_key("address", address)),
        )


def _key(kind: str, value: str) -> str:
    return f"{kind}:{value[:200]}"


def install(app: Flask) -> None:
    app.after_request(add_headers)
