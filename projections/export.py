"""Downstream reports: the projections, pseudonymised, as CSV or JSON Lines, with a manifest.

    DIR/engagements.csv        one row per engagement: phase, counts, gate, compliance
    DIR/commitments.csv        one row per commitment: owners, to whom, challenge, dates, state
    DIR/commitment_rates.csv   per engagement and protagonist: made, honoured, broken, rates
    DIR/trust_moves.csv        per engagement, protagonist, toward whom, challenge: how many
                               assessments, first, last, lowest, highest score, the move
    DIR/manifest.json          what, as of which position, row counts, sha256 of every file

A report reader may see status and pseudonymised aggregates only (domain/README.md, "Who may see
what"): every engagement, protagonist and commitment id becomes a stable pseudonym (HMAC-
SHA256 under a key derived from the derivation root of `domain.keyring`, so it is the same
in every export, across master-key rotations, and cannot be reversed without the
configuration); no names, titles, organisations, commitment
texts, notes, evidence or reasons leave. Everything is read in one transaction, so the
files agree with each other and with the manifest's position.

DIR is opened once (it may itself be a link the operator made: they named it) and held
open; what is inside it is not trusted: each file is written under a fresh name with
O_EXCL|O_NOFOLLOW, mode 0600, synced, then renamed onto its final name, so a link or a
hard link planted at `manifest.json` is replaced and its target left as it was.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.adapters import private_files
from domain.audit import PRACTICE_WIDE, AuditRecord
from domain.rules.commitment import tally
from domain.values import Actor
from projections.commitment_ledger import CommitmentLedgerProjection
from projections.read_side import ReadSide
from projections.status import COUNT_COLUMNS, StatusProjection
from projections.timeline import TimelineProjection

FORMATS = ("csv", "jsonl")
Rows = list[dict[str, Any]]


class ExportDirectoryError(OSError):
    """The export directory cannot be created or written; nothing was disclosed."""


class Pseudonyms:
    """Stable, keyed pseudonyms: the same id always gives the same pseudonym."""

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"trustpath-export-pseudonyms|" + key).digest()

    def __call__(self, kind: str, value: str) -> str:
        digest = hmac.new(self._key, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()
        return f"{kind[0].upper()}-{digest[:16]}"


@dataclass(frozen=True)
class Exported:
    """What an export wrote."""

    directory: Path
    position: int
    manifest: dict[str, Any]
    manifest_sha256: str
    """Of the bytes written, not read back: the directory is not trusted once written."""


def _live_table(read_side: ReadSide, conn: Connection, name: str) -> Any:
    projection: Any = read_side.projection(name)
    return projection.tables.of(read_side.live_suffix(conn, name))


def _engagements(rows: Sequence[Any], p: Pseudonyms) -> Rows:
    kept = ["phase", "opened_at", "last_activity", *COUNT_COLUMNS, "gate_open", "minimums_met"]
    return [
        {"engagement": p("engagement", r.engagement_id), **{k: getattr(r, k) for k in kept}}
        | {"next_challenge": r.next_challenge or ""}
        for r in rows
    ]


def _commitments(rows: Sequence[Any], p: Pseudonyms) -> Rows:
    def people(raw: str) -> str:
        return " ".join(p("protagonist", x) for x in json.loads(raw))

    kept = ("kind", "challenge", "due_on", "state", "made_at", "settled_at", "on_time")
    return [
        {
            "engagement": p("engagement", r.engagement_id),
            "commitment": p("commitment", r.key),
            "owners": people(r.owners),
            "to_whom": people(r.to_whom),
            **{k: getattr(r, k) for k in kept},
        }
        for r in rows
    ]


def _rates(rows: Sequence[Any], p: Pseudonyms) -> Rows:
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        c = {"state": r.state, "on_time": r.on_time}
        for owner in json.loads(r.owners):
            by_pair.setdefault((r.engagement_id, owner), []).append(c)
    return [
        {"engagement": p("engagement", e), "protagonist": p("protagonist", o), **tally(cs)}
        for (e, o), cs in sorted(by_pair.items())
    ]


def _trust_moves(rows: Sequence[Any], p: Pseudonyms) -> Rows:
    series: dict[tuple[str, str, str, str], list[int]] = {}
    for r in rows:
        key = (r.engagement_id, r.protagonist_id, r.toward_id, r.challenge)
        series.setdefault(key, []).append(r.score)
    return [
        {
            "engagement": p("engagement", e),
            "protagonist": p("protagonist", who),
            "toward": p("protagonist", toward),
            "challenge": challenge,
            "assessments": len(s),
            "first": s[0],
            "last": s[-1],
            "lowest": min(s),
            "highest": max(s),
            "moved": s[-1] - s[0],
        }
        for (e, who, toward, challenge), s in sorted(series.items())
    ]


def collect(read_side: ReadSide, p: Pseudonyms) -> tuple[int, dict[str, Rows]]:
    """Every dataset, and the position they reflect, read in one transaction."""
    engine = read_side.engine
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        live = [r for r in read_side.rows(conn) if r.live]
        position = min((int(r.position) for r in live), default=0)
        status = _live_table(read_side, conn, StatusProjection.name)
        ledger = _live_table(read_side, conn, CommitmentLedgerProjection.name)
        timeline = _live_table(read_side, conn, TimelineProjection.name)
        s = conn.execute(sa.select(status).order_by(status.c.engagement_id)).all()
        c = conn.execute(sa.select(ledger.commitments).order_by(ledger.commitments.c.key)).all()
        t = conn.execute(sa.select(timeline.trust).order_by(timeline.trust.c.position)).all()
    return position, {
        "engagements": _engagements(s, p),
        "commitments": _commitments(c, p),
        "commitment_rates": _rates(c, p),
        "trust_moves": _trust_moves(t, p),
    }


def render(rows: Rows, fmt: str) -> bytes:
    if fmt == "jsonl":
        return "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode()
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue().encode()


def export(read_side: ReadSide, directory: Path, fmt: str, key: bytes) -> Exported:
    """Write every dataset and the manifest into `directory` (each a new 0600 file renamed
    onto its name: a link planted there is replaced, never followed)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")
    read_side.catch_up()
    position, datasets = collect(read_side, Pseudonyms(key))
    try:
        return _write(directory, fmt, position, datasets)
    except OSError as error:
        raise ExportDirectoryError(
            f"cannot write the export into {directory}: {error.strerror or error}"
        ) from error


def _write(directory: Path, fmt: str, position: int, datasets: dict[str, Rows]) -> Exported:
    files = []
    with private_files.directory(directory) as dir_fd:
        for name, rows in datasets.items():
            data = render(rows, fmt)
            private_files.replace(dir_fd, f"{name}.{fmt}", data)
            digest = hashlib.sha256(data).hexdigest()
            files.append({"file": f"{name}.{fmt}", "rows": len(rows), "sha256": digest})
        manifest = {
            "what": "trustpath projections for report readers (pseudonymised)",
            "format": fmt,
            "as_of_position": position,
            "exported_at": datetime.now(UTC).isoformat(),
            "pseudonyms": "HMAC-SHA256, key derived from the configured master key",
            "files": files,
        }
        written = (json.dumps(manifest, indent=2) + "\n").encode()
        private_files.replace(dir_fd, "manifest.json", written)
    return Exported(directory, position, manifest, hashlib.sha256(written).hexdigest())


def check_disclosure(principal_id: str, recipient: str, basis: str) -> None:
    """Refuse, before an export writes anything, the disclosure `record_disclosure` would
    refuse (InvalidValueError naming the field): nothing leaves the system unrecorded."""
    _disclosure(principal_id, recipient, basis, "an export", "its manifest")


def record_disclosure(
    read_side: ReadSide, exported: Exported, principal_id: str, recipient: str, basis: str
) -> int:
    """Record that the export left the system (a DisclosureMade audit record)."""
    description = (
        f"{exported.manifest['format']} export of the projections as of position "
        f"{exported.position}"
    )
    item = f"manifest sha256 {exported.manifest_sha256}"
    record = _disclosure(principal_id, recipient, basis, description, item)
    app: Any = read_side.app
    return int(app.save_and_notify(record))


def _disclosure(
    principal_id: str, recipient: str, basis: str, description: str, item: str
) -> AuditRecord:
    """The practice admin's disclosure of an export, through the audit aggregate's command."""
    return AuditRecord.record_disclosure(
        PRACTICE_WIDE,
        Actor(principal_id, "admin"),
        datetime.now(UTC),
        recipient=recipient,
        basis=basis,
        description=description,
        item=item,
    )
