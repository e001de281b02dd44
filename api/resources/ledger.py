# mypy: disable-error-code="untyped-decorator"
"""The audit ledger over HTTP, for auditors only: checkpoints, proofs, the public key.

GET /ledger/checkpoints/latest        the latest checkpoint (JSON); with `Accept: text/plain`
GET /ledger/checkpoints/latest/note     its C2SP signed note (text/plain), the same either way
GET /ledger/checkpoints               checkpoints by tree size (from_size, to_size), a cursor
GET /ledger/proofs/inclusion          ?event=N (notification id) or ?index=N (leaf index),
                                        optionally ?tree_size=N; default: the latest checkpoint
GET /ledger/proofs/consistency        ?first=M&second=N (default N: the latest checkpoint)
GET /ledger/public-key                the key (PEM, verifier key, origin); `Accept: text/plain`
GET /ledger/public-key/note             or this path: the note verifier key alone
GET /ledger/public-keys               every signing key across rotations, with its validity
                                        range (from/until tree size and time, retired at)

Role `auditor` only (the matrix's `ledger`): every other role is refused with 403. Nothing
here is content: sizes, hashes, notification ids, signatures.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from api import read_models
from api.context import actor
from api.problems import Problem
from api.resources.audit_schemas import CheckpointOut
from domain.access import Parties, Resource, ResourceKind, decide
from domain.errors import ConfigurationError
from projections.ledger.checkpoints import Checkpoint, Signer
from projections.ledger.merkle import ProofError
from projections.ledger.proofs import prove_consistency, prove_inclusion
from projections.ledger.store import LedgerNotReadyError, LedgerStore

blp = Blueprint("ledger", "ledger", url_prefix="/ledger", description=__doc__)
TEXT = "text/plain"
MOST = 2**62
"""No size or id beyond what a BIGINT column holds: a larger one is a 422, not a 500."""
log = logging.getLogger("trustpath.api")


class CheckpointPageOut(Schema):
    items = fields.List(fields.Nested(CheckpointOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class RangeQuery(Schema):
    from_size = fields.Integer(load_default=0, validate=validate.Range(0, MOST))
    to_size = fields.Integer(validate=validate.Range(0, MOST))
    cursor = fields.String(validate=validate.Length(max=500))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class InclusionQuery(Schema):
    event = fields.Integer(
        validate=validate.Range(1, MOST), metadata={"description": "notification id"}
    )
    index = fields.Integer(validate=validate.Range(0, MOST), metadata={"description": "leaf index"})
    tree_size = fields.Integer(validate=validate.Range(1, MOST))

    @validates_schema
    def one_leaf(self, data: dict[str, Any], **_: Any) -> None:
        if ("event" in data) == ("index" in data):
            raise ValidationError("give exactly one of event or index", "event")


class ConsistencyQuery(Schema):
    first = fields.Integer(required=True, validate=validate.Range(0, MOST))
    second = fields.Integer(validate=validate.Range(0, MOST))


class InclusionOut(Schema):
    leaf_index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    leaf_hash = fields.String(required=True)
    audit_path = fields.List(fields.String(), required=True)
    root_hash = fields.String(required=True)
    notification_id = fields.Integer(required=True)
    checkpoint = fields.Nested(CheckpointOut)


class ConsistencyOut(Schema):
    first_size = fields.Integer(required=True)
    second_size = fields.Integer(required=True)
    first_root = fields.String(required=True)
    second_root = fields.String(required=True)
    proof = fields.List(fields.String(), required=True)


class PublicKeyOut(Schema):
    algorithm = fields.String(required=True)
    key_id = fields.String(required=True, metadata={"description": "as checkpoints name it"})
    origin = fields.String(required=True, metadata={"description": "the notes' first line"})
    pem = fields.String(required=True)
    verifier_key = fields.String(required=True, metadata={"description": "name+id+key"})


class ValidityOut(Schema):
    tree_size = fields.Integer(required=True)
    signed_at = fields.String(required=True)


class LedgerKeyOut(PublicKeyOut):
    status = fields.String(required=True, metadata={"description": "current|retired|pending"})
    registered_at = fields.String(required=True)
    valid_from = fields.Nested(ValidityOut, allow_none=True, required=True)
    valid_until = fields.Nested(ValidityOut, allow_none=True, required=True)
    retired_at = fields.String(allow_none=True, required=True)


class KeySetOut(Schema):
    keys = fields.List(fields.Nested(LedgerKeyOut), required=True)


@blp.before_request
def auditors_only() -> None:
    caller = actor()
    verdict = decide(caller, Parties(), Resource(ResourceKind.LEDGER))
    if not verdict.allowed:
        raise Problem(
            403,
            "Forbidden",
            f"the ledger is for auditors, not for role {caller.role} ({verdict.rule})",
            type_="/problems/ActionNotAllowedError",
        )


@blp.route("/checkpoints/latest", methods=["GET"])
@blp.response(200, CheckpointOut)
@blp.doc(description="`Accept: text/plain` answers the signed note instead, as `/note` does.")
def latest() -> Any:
    """The latest signed checkpoint."""
    checkpoint = _latest()
    return _note(checkpoint) if _wants_text() else checkpoint.as_json()


@blp.route("/checkpoints/latest/note", methods=["GET"])
@blp.response(200, content_type=TEXT)
def latest_note() -> Any:
    """The latest checkpoint as a C2SP tlog-checkpoint signed note (text/plain)."""
    return _note(_latest())


@blp.route("/checkpoints", methods=["GET"])
@blp.arguments(RangeQuery(), location="query", as_kwargs=True)
@blp.response(200, CheckpointPageOut)
def checkpoints(
    from_size: int, limit: int, to_size: int | None = None, cursor: str | None = None
) -> Any:
    """Checkpoints whose tree size is within [from_size, to_size], in signing order."""
    after = read_models.decode_cursor(cursor)
    if after is not None and not (isinstance(after, int) and 0 <= after <= MOST):
        raise Problem(422, "Unprocessable Content", "malformed cursor")
    found, next_id = _call(lambda s: s.checkpoint_page(after or 0, limit, from_size, to_size))
    return {
        "items": [c.as_json() for c in found],
        "next_cursor": None if next_id is None else read_models.encode_cursor(next_id),
    }


@blp.route("/proofs/inclusion", methods=["GET"])
@blp.arguments(InclusionQuery(), location="query", as_kwargs=True)
@blp.response(200, InclusionOut)
def inclusion(
    event: int | None = None, index: int | None = None, tree_size: int | None = None
) -> Any:
    """An inclusion proof of one event (its notification id) or leaf (its index)."""
    return _call(
        lambda s: prove_inclusion(s, index=index, notification_id=event, tree_size=tree_size)
    )


@blp.route("/proofs/consistency", methods=["GET"])
@blp.arguments(ConsistencyQuery(), location="query", as_kwargs=True)
@blp.response(200, ConsistencyOut)
def consistency(first: int, second: int | None = None) -> Any:
    """A consistency proof from tree size `first` to `second`."""

    def prove(store: LedgerStore) -> dict[str, Any]:
        return prove_consistency(store, first, _latest_size(store) if second is None else second)

    return _call(prove)


@blp.route("/public-key", methods=["GET"])
@blp.response(200, PublicKeyOut)
@blp.doc(description="`Accept: text/plain` answers the note verifier key alone.")
def public_key() -> Any:
    """The Ed25519 key that signs checkpoints: PEM, and as a note verifier key."""
    signer = _signer()
    if _wants_text():
        return _text(signer.verifier_key() + "\n")
    return {
        "algorithm": "Ed25519",
        "key_id": signer.key_id,
        "origin": signer.origin,
        "pem": signer.public_pem(),
        "verifier_key": signer.verifier_key(),
    }


@blp.route("/public-keys", methods=["GET"])
@blp.response(200, KeySetOut)
def public_keys() -> Any:
    """Every key that signed (or will sign) checkpoints, with its validity range."""
    from projections.ledger.keyset import key_set_or

    found = key_set_or(read_models.read_side().engine, _signer)
    return {"keys": [k.as_json() for k in found]}


@blp.route("/public-key/note", methods=["GET"])
@blp.response(200, content_type=TEXT)
def public_key_note() -> Any:
    """The note verifier key (`<origin>+<key ID>+<base64 key>`, text/plain)."""
    return _text(_signer().verifier_key() + "\n")


def _wants_text() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", TEXT])
    return best == TEXT


def _text(body: str) -> Response:
    response = Response(body, mimetype=TEXT)
    response.headers["Vary"] = "Accept"
    return response


def _note(checkpoint: Checkpoint) -> Response:
    note = checkpoint.note()
    if note is None:
        raise Problem(
            404, "Not Found", "the latest checkpoint was signed before signed notes; sign a new one"
        )
    return _text(note)


def _store() -> LedgerStore:
    return LedgerStore(read_models.read_side().engine)


def _call(work: Any) -> Any:
    """Run `work(store)`: an unsealed leaf is a 404, a size past the tree a 422."""
    try:
        return work(_store())
    except LedgerNotReadyError as error:
        raise Problem(404, "Not Found", str(error)) from None
    except ProofError as error:
        raise Problem(
            422, "Unprocessable Content", str(error), errors={"query": [str(error)]}
        ) from None


def _latest() -> Checkpoint:
    found: Checkpoint | None = _call(lambda s: s.latest_checkpoint())
    if found is None:
        raise Problem(404, "Not Found", "no checkpoint has been signed yet")
    return found


def _latest_size(store: LedgerStore) -> int:
    found = store.latest_checkpoint()
    if found is None:
        raise LedgerNotReadyError("no checkpoint has been signed yet")
    return found.tree_size


def _signer() -> Signer:
    """This deployment's ledger key (TRUSTPATH_LEDGER_KEY_FILE), loaded once per app."""
    found: Signer | None = current_app.extensions.get("trustpath.ledger_signer")
    if found is None:
        from projections.ledger import configured_signer

        try:
            found = configured_signer()
        except ConfigurationError as error:
            log.error("ledger key: %s", error)
            raise Problem(503, "Service Unavailable", "the ledger key is not configured") from None
        current_app.extensions["trustpath.ledger_signer"] = found
    return found
