"""The wire shapes of the access log: entries, their stored events, proofs, checkpoints.

An entry is dumped through `AuditEntryOut`, whose fields are the whole list of what may
leave: metadata of the audit records (names of items, purposes, rules), never content.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.pages import MAX_POSITION, PageQuery
from projections.ledger.audit_log import KINDS

ENTRY_KINDS = sorted(set(KINDS.values()))


class CheckpointOut(Schema):
    """A signed checkpoint of the ledger (Ed25519 over tree size, root and time)."""

    tree_size = fields.Integer(required=True)
    root_hash = fields.String(required=True, metadata={"description": "hex"})
    signed_at = fields.String(required=True)
    key_id = fields.String(required=True)
    signature = fields.String(required=True, metadata={"description": "hex, trustpath's own"})
    note = fields.String(metadata={"description": "the C2SP tlog-checkpoint signed note"})


class StoredEventOut(Schema):
    """The stored event the ledger hashed into the entry's leaf (no content in it)."""

    notification_id = fields.Integer(required=True)
    originator_id = fields.String(required=True)
    originator_version = fields.Integer(required=True)
    topic = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "the stored bytes, base64"})


class InclusionProofOut(Schema):
    """RFC 6962 inclusion proof of the entry's leaf in the page's checkpoint."""

    leaf_index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    leaf_hash = fields.String(required=True)
    audit_path = fields.List(fields.String(), required=True)
    root_hash = fields.String(required=True)
    notification_id = fields.Integer()


class AuditEntryOut(Schema):
    """One access record, refusal, erasure or disclosure: who, when, what, under which rule."""

    kind = fields.String(required=True, validate=validate.OneOf(ENTRY_KINDS))
    notification_id = fields.Integer(required=True, metadata={"description": "its position"})
    occurred_at = fields.String(required=True)
    engagement_id = fields.String(required=True)
    principal_id = fields.String(required=True)
    role = fields.String(required=True)
    protagonist_id = fields.String()
    item = fields.String(metadata={"description": "the name of what was read, never its text"})
    purpose = fields.String()
    rule = fields.String(metadata={"description": "the matrix rule that allowed it"})
    reason = fields.String()
    count = fields.Integer(
        metadata={"description": "refusals this record stands for (repeats within a minute)"}
    )
    client = fields.String(metadata={"description": "the address of a caller without a token"})
    window = fields.String(metadata={"description": "the minute the refusals fell in (UTC)"})
    request_reference = fields.String()
    recipient = fields.String()
    basis = fields.String()
    description = fields.String()
    event = fields.Nested(StoredEventOut, allow_none=True)
    proof = fields.Nested(InclusionProofOut, allow_none=True)
    pending = fields.Boolean(metadata={"description": "no signed checkpoint covers it yet"})


class ReportSummaryOut(Schema):
    accesses = fields.Integer(required=True)
    refusals = fields.Integer(required=True)
    erasures = fields.Integer(required=True)
    disclosures = fields.Integer(required=True)
    outside_matrix = fields.List(fields.Integer(), required=True)
    matrix_respected = fields.Boolean(required=True)


class EntryPageOut(Schema):
    checkpoint = fields.Nested(CheckpointOut, allow_none=True)
    items = fields.List(fields.Nested(AuditEntryOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ConfidentialityOut(EntryPageOut):
    """An engagement's confidentiality report: its verdict, then its entries page by page."""

    engagement_id = fields.String(required=True)
    summary = fields.Nested(ReportSummaryOut, required=True)


class WhoReadOut(EntryPageOut):
    protagonist_id = fields.String(required=True)


class ProvedPageQuery(PageQuery):
    tree_size = fields.Integer(
        validate=validate.Range(1, MAX_POSITION),
        metadata={
            "description": "prove against the checkpoint signed of this size "
            "(default: the latest), e.g. the first page's, to walk every page against one"
        },
    )


class AccessLogQuery(ProvedPageQuery):
    since = fields.AwareDateTime(metadata={"description": "from this time (inclusive)"})
    until = fields.AwareDateTime(metadata={"description": "before this time"})
    principal = fields.String(validate=validate.Length(1, 200))
    engagement = fields.UUID()
    kind = fields.String(validate=validate.OneOf(ENTRY_KINDS))

    @validates_schema
    def _ordered(self, data: dict[str, object], **_: object) -> None:
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until <= since:  # type: ignore[operator]
            raise ValidationError("must be after since", "until")
