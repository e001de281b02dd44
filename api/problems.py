"""Every error the API answers, as `application/problem+json` (RFC 9457), mapped in one place.

    domain error / HTTP condition                 status  problem type
    malformed JSON                                400     about:blank
    no or unknown bearer token                    401     about:blank
    ActionNotAllowedError, refused by the matrix  403     ActionNotAllowedError
    NotFoundError (+ subclasses), unknown route   404     the error's class name
    method not allowed                            405     about:blank
    RuleBrokenError (+ subclasses)                409     the broken rule's class name
    ConcurrentUpdateError                         409     ConcurrentUpdateError
    VersionMismatchError (a failed If-Match)      412     VersionMismatchError
    body over MAX_CONTENT_LENGTH                  413     about:blank
    a body that is not JSON                       415     about:blank
    field errors, InvalidValueError               422     the error's class name, `errors`
    rate limit                                    429     about:blank
    the access record could not be written        503     AccessNotRecorded
    MasterKeyError (a data key this server cannot 503     MasterKeyError
      unwrap: the master key was rotated)
    anything else                                 500     about:blank, no internals

Problem types are relative URIs `/problems/<Name>`; the title is the error's one-line
docstring, the detail its message. Domain messages never carry confidential content.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from domain import errors
from domain.ciphers import MasterKeyError

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
        problem.extra["errors"] = {"json": [str(error)]}
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


def internal() -> Problem:
    return Problem(500, "Internal Server Error", "something went wrong; it has been logged")


def register(app: Flask) -> None:
    """Install the one error mapping on the Flask app (after flask-smorest's own)."""
    app.register_error_handler(Problem, lambda e: e.response())
    app.register_error_handler(errors.TrustpathError, lambda e: from_domain(e).response())
    app.register_error_handler(HTTPException, lambda e: from_http(e).response())
    app.register_error_handler(MasterKeyError, _master_key_missing)
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
