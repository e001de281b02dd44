"""Authentication, rate limiting and body checks, run before every request.

    request ── public route (health, /openapi.json, /docs)? ──────────────► view
         └── Authorization: Bearer <token> → PrincipalStore.authenticate
                 none / unknown / revoked → 401 (recorded on a confidential route)
                 over the principal's token bucket → 429
                 a body that is not JSON → 415
                 → g.principal → view

Every request has exactly one principal; its `Actor` is the actor of what it does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request

from api.principals import Principal, PrincipalStore
from api.problems import Problem

PUBLIC_BLUEPRINTS = {"health", "api-docs", "swagger_ui"}
WRITE_METHODS = {"POST", "PUT", "PATCH"}


class TokenBucket:
    """A per-principal token bucket: `rate` requests a second, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, who: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(who, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1
            self._buckets[who] = (tokens - 1 if allowed else tokens, now)
        return allowed


def register(app: Flask, store: PrincipalStore) -> None:
    app.extensions["trustpath.principals"] = store
    limit = app.config["RATE_LIMIT"]
    app.extensions["trustpath.bucket"] = TokenBucket(limit, app.config["RATE_BURST"])
    app.before_request(_before)


def principal() -> Principal:
    found: Principal = g.principal
    return found


def _before() -> None:
    if request.blueprint in PUBLIC_BLUEPRINTS or request.url_rule is None:
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
    if not current_app.extensions["trustpath.bucket"].take(found.id):
        raise Problem(429, "Too Many Requests", "slow down", headers={"Retry-After": "1"})
    _check_body()


def _refuse_anonymous_flood() -> None:
    """Unauthenticated callers share a bucket per address: refusals are recorded, so a
    flood of them must not flood the audit trail."""
    who = f"anonymous@{request.remote_addr}"
    if not current_app.extensions["trustpath.bucket"].take(who):
        raise Problem(429, "Too Many Requests", "slow down", headers={"Retry-After": "1"})


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
    view = current_app.view_functions.get(request.endpoint or "")
    recorder: Callable[[dict[str, Any]], None] | None = getattr(view, "record_refusal", None)
    if recorder is not None:
        recorder(dict(request.view_args or {}))
