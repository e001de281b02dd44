"""Every error the API answers, as `application/problem+json` (RFC 9457), mapped in one place.

    domain error / HTTP condition                 status  problem type
    malformed JSON                                400     about:blank
    no or unknown bearer token                    401     about:blank
    ActionNotAllowedError (+ subclasses: who may  403     the error's class name (the rule)
    do what), refused by the matrix
    NotFoundError (+ subclasses), unknown route   404     the error's class name
    method not allowed                            405     about:blank
    RuleBrokenError (+ subclasses)                409     the broken rule's class name
    ConcurrentUpdateError                         409     ConcurrentUpdateError
    VersionMismatchError (a failed If-Match)      412     VersionMismatchError
    body over MAX_CONTENT_LENGTH                  413     about:blank
    a body that is not JSON                       415     about:blank
    field errors, InvalidValueError               422     the error's class name, `errors`
                                                          (keyed by the field when known)
    rate limit                                    429     about:blank
    the access record could not be written        503     AccessNotRecorded
    the store cannot be reached, or refused       503     StoreUnavailable, Retry-After
    SQLite: disk full / read-only / busy          503     StoreFull / StoreReadOnly / StoreBusy
    connection lost while a command was stored    503     CommandOutcomeUnknown, Retry-After:
                                                          retry with the same Idempotency-Key
    MasterKeyError (a data key this server cannot 503     MasterKeyError
      unwrap: the master key was rotated)
    anything else                                 500     about:blank, no internals

Problem types are relative URIs `/problems/<Name>`; the title is the error's one-line
docstring, the detail its message. Domain messages never carry confidential content.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import Flask, Response, json
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from domain import errors
from domain.adapters.pgrecorder import WriteOutcomeUnknownError
from domain.ciphers import MasterKeyError
from projections.errors import STORE_ERRORS

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("trustpath.api")


class ProblemOut(Schema):
    """An RFC 9457 problem document."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "field errors (422)"})


class Problem(Exception):
    """An HTTP answer that is not a success, raised from anywhere in the API."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.type = status, title, detail, type_
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> Response:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extra)
        resp = Response(json.dumps(body), status=self.status, mimetype=PROBLEM_JSON)
        resp.headers.update(self.headers)
        return resp


def _typed(error: errors.TrustpathError, status: int) -> Problem:
    return Problem(status, error.title, str(error), type_=f"/problems/{error.rule}")


def from_domain(error: errors.TrustpathError) -> Problem:
    """The one mapping from a domain error to its problem."""
    if isinstance(error, errors.VersionMismatchError):
        return _typed(error, 412)
    if isinstance(error, errors.InvalidValueError):
        problem = _typed(error, 422)
        named = {error.field: [str(error)]} if error.field else [str(error)]
        problem.extra["errors"] = {"json": named}
        return problem
    if isinstance(error, errors.NotFoundError):
        return _typed(error, 404)
    if isinstance(error, errors.ActionNotAllowedError):
        return _typed(error, 403)
    if isinstance(error, errors.ConcurrentUpdateError | errors.RuleBrokenError):
        return _typed(error, 409)
    return _typed(error, 400)  # pragma: no cover - every TrustpathError is one of the above


def from_http(error: HTTPException) -> Problem:
    """Werkzeug's and webargs' HTTP errors (400, 404, 405, 413, 422 ...) as problems."""
    status = error.code or 500
    if status >= 500:
        return internal()
    data = getattr(error, "data", None) or {}
    problem = Problem(status, error.name, _detail(status, error))
    if status == 422 and "messages" in data:
        problem.extra["errors"] = data["messages"]
        problem.detail = "the request has invalid fields"
    allowed = getattr(error, "valid_methods", None)
    if status == 405 and allowed:
        problem.headers["Allow"] = ", ".join(sorted(allowed))
    return problem


def _detail(status: int, error: HTTPException) -> str:
    if status == 400:
        return "the request body is not valid JSON"
    return str(error.description or "")


RETRY_AFTER_S = "2"
STORE_PROBLEMS = {
    "StoreUnavailable": "The store cannot be reached or refused the change; nothing was changed.",
    "StoreFull": "The store's disk is full; nothing was stored.",
    "StoreReadOnly": "The store is read-only; nothing was stored.",
    "StoreBusy": "The store is busy with another writer; nothing was stored.",
    "CommandOutcomeUnknown": "The store was lost while the command was being stored; it may "
    "or may not have been stored.",
}
SQLITE_REASONS = {"disk is full": "StoreFull", "readonly": "StoreReadOnly", "locked": "StoreBusy"}


def from_store(error: Exception) -> Problem:
    """A store that cannot serve (an outage, a full or read-only disk): 503, Retry-After."""
    name, detail = "StoreUnavailable", "retry after a moment"
    if isinstance(error, WriteOutcomeUnknownError):
        name = "CommandOutcomeUnknown"
        detail = (
            "retry with the same Idempotency-Key: a command that was stored answers with its "
            "first response and is never stored twice"
        )
    cause = error if isinstance(error, sqlite3.Error) else error.__cause__
    if isinstance(cause, sqlite3.OperationalError):
        text = str(cause)
        name = next((n for key, n in SQLITE_REASONS.items() if key in text), name)
    log.warning("store error answered 503 %s: %s", name, type(error).__name__)
    headers = {"Retry-After": RETRY_AFTER_S}
    return Problem(503, STORE_PROBLEMS[name], detail, type_=f"/problems/{name}", headers=headers)


def internal() -> Problem:
    return Problem(500, "Internal Server Error", "something went wrong; it has been logged")


def register(app: Flask) -> None:
    """Install the one error mapping on the Flask app (after flask-smorest's own)."""
    app.register_error_handler(Problem, lambda e: e.response())
    app.register_error_handler(errors.TrustpathError, lambda e: from_domain(e).response())
    app.register_error_handler(HTTPException, lambda e: from_http(e).response())
    app.register_error_handler(MasterKeyError, _master_key_missing)
    for store_error in (*STORE_ERRORS, sqlite3.OperationalError):
        app.register_error_handler(store_error, lambda e: from_store(e).response())
    app.register_error_handler(Exception, _unexpected)


def _master_key_missing(error: MasterKeyError) -> Response:
    # a server still running with a retired master key: the operator must restart it with
    # the current one; the message names only key ids, which the key store shows anyway
    log.error("master key: %s", error)
    return Problem(
        503,
        "Service Unavailable",
        "this server does not hold the master key the content is now wrapped by; "
        "it must be restarted with the current master key",
        type_="/problems/MasterKeyError",
    ).response()


def _unexpected(error: Exception) -> Response:
    log.error("unexpected %s", type(error).__name__, exc_info=error)
    return internal().response()
