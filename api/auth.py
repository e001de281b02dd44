"""Authentication, rate limiting and body checks, run before every request.

    request ── public route (health, /openapi.json, /docs)? ──────────────► view
         └── Authorization: Bearer <token> → PrincipalStore.authenticate
                 none / unknown / revoked:
                     over the client address's anonymous bucket → 429, nothing written
                     → 401 (a confidential route: the refusal counted, api.refusals)
                 over the principal's token bucket → 429
                 a confidential route, the principal's refusal budget spent → 429
                 a body that is not JSON → 415
                 → g.principal → view

The buckets (api.limits) are shared by every worker of the server.

Every request has exactly one principal; its `Actor` is the actor of what it does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request

from api.limits import ServerLimits, TokenBucket
from api.principals import Principal, PrincipalStore
from api.problems import Problem

__all__ = ["TokenBucket", "charge", "principal", "register", "spend_refusal"]

PUBLIC_BLUEPRINTS = {"health", "api-docs", "swagger_ui"}
OWN_SIGN_IN = {"console"}
"""The console signs people in with passwords and sessions (api.console.sessions)."""
WRITE_METHODS = {"POST", "PUT", "PATCH"}


def register(app: Flask, store: PrincipalStore, limits: ServerLimits) -> None:
    app.extensions["trustpath.principals"] = store
    app.extensions.update(limits.buckets(app.config))
    app.before_request(_before)


def principal() -> Principal:
    found: Principal = g.principal
    return found


def _before() -> None:
    if request.url_rule is None or request.endpoint == "console_root":
        return
    if request.blueprint in PUBLIC_BLUEPRINTS or request.blueprint in OWN_SIGN_IN:
        return
    found = _authenticate()
    if found is None:
        _refuse_anonymous_flood()
        _record_unauthenticated()
        raise Problem(
            401,
            "Unauthorized",
            "send a valid bearer token: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="trustpath"'},
        )
    g.principal = found
    _limit("trustpath.bucket", found.id)
    if _refusal_recorder() is not None:
        refusals: TokenBucket = current_app.extensions["trustpath.refusal_bucket"]
        if not refusals.has_tokens(found.id):
            _too_many(refusals, found.id)
    _check_body()


def charge(cost: float) -> None:
    """Take `cost` more tokens from the caller's bucket for an expensive answer (429 if
    none is left)."""
    _limit("trustpath.bucket", principal().id, cost)


def spend_refusal() -> None:
    """A confidential read was refused to the caller: it spends their refusal budget."""
    current_app.extensions["trustpath.refusal_bucket"].take(principal().id)


def _refuse_anonymous_flood() -> None:
    """Unauthenticated callers share a small bucket per address, taken before anything is
    looked up or written: their refusals are recorded, and must not flood the log."""
    _limit("trustpath.anonymous_bucket", f"anonymous@{request.remote_addr}")


def _limit(bucket_name: str, who: str, cost: float = 1.0) -> None:
    bucket: TokenBucket = current_app.extensions[bucket_name]
    if not bucket.take(who, cost):
        _too_many(bucket, who)


def _too_many(bucket: TokenBucket, who: str) -> None:
    retry = str(bucket.retry_after(who))
    raise Problem(429, "Too Many Requests", "slow down", headers={"Retry-After": retry})


def _refusal_recorder() -> Callable[[dict[str, Any]], None] | None:
    view = current_app.view_functions.get(request.endpoint or "")
    found: Callable[[dict[str, Any]], None] | None = getattr(view, "record_refusal", None)
    return found


def _authenticate() -> Principal | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    store: PrincipalStore = current_app.extensions["trustpath.principals"]
    return store.authenticate(token.strip())


def _check_body() -> None:
    if request.method not in WRITE_METHODS:
        return
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding")
    if has_body and not request.is_json:
        raise Problem(415, "Unsupported Media Type", "send the body as application/json")


def _record_unauthenticated() -> None:
    recorder = _refusal_recorder()
    if recorder is not None:
        recorder(dict(request.view_args or {}))
