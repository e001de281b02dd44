"""What the auditor's page needs on the demo console: recorded reads and refusals (through
the real HTTP API, with a bearer token), sealed into the ledger by the server, and a
checkpoint signed with the server's own ledger key; helpers to tamper with served JSON."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route

from api.principals import PrincipalStore
from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from ops.config import store_env
from projections.engine import make_engine
from projections.ledger.checkpoints import Signer, load_signer
from projections.ledger.store import LedgerStore
from tests.support.browser import Console

PURPOSE = "preparing the next session"
SECRETS = ("Feels ambushed", "without fearing ambushes")
"""Words of the demo's confidential notes: an auditor's page must never carry them."""


@dataclass(frozen=True)
class Audited:
    signer: Signer
    statuses: list[int]
    """The status of each read made (200 granted and recorded, 403 refused and recorded)."""


def _sessions(console: Console) -> list[str]:
    key = MasterKey.from_text(Path(console.env["TRUSTPATH_MASTER_KEY_FILE"]).read_text().strip())
    app = Trustpath(store_env(console.store_url), master_key=key)
    try:
        return list(app.engagement(console.eid).individual_sessions)
    finally:
        app.close()


def _get(url: str, token: str) -> int:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}", "X-Purpose": PURPOSE}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _sealed(console: Console, store: LedgerStore) -> None:
    """Wait (bounded) until the server's ledger projection sealed every stored event."""
    key = MasterKey.from_text(Path(console.env["TRUSTPATH_MASTER_KEY_FILE"]).read_text().strip())
    app = Trustpath(store_env(console.store_url), master_key=key)
    try:
        last = int(app.recorder.max_notification_id() or 0)
    finally:
        app.close()
    for _ in range(600):
        if store.size() >= last:
            return
        time.sleep(0.2)
    raise AssertionError(f"the ledger never sealed {last} events (at {store.size()})")


def make_reads(console: Console) -> Audited:
    """Both coaches ask for the notes of two individual sessions: each read is granted
    (own coach) or refused (the other's), and recorded; then a checkpoint covers them."""
    principals = PrincipalStore.for_url(console.store_url)
    try:
        tokens = [
            principals.add("coach", f"{c}-api", c)[1] for c in ("coach-amelie", "coach-bruno")
        ]
    finally:
        principals.close()
    base = f"{console.url}/engagements/{console.eid}/individual-sessions"
    statuses = [
        _get(f"{base}/{sid}/notes", token) for sid in _sessions(console)[:2] for token in tokens
    ]
    engine = make_engine(console.store_url)
    try:
        store = LedgerStore(engine)
        _sealed(console, store)
        signer = load_signer(False, console.env)
        store.checkpoint(signer)
    finally:
        engine.dispose()
    return Audited(signer, statuses)


@pytest.fixture(scope="session")
def audited(console: Console) -> Audited:
    """Reads made and covered by a checkpoint, once for the browser session."""
    return make_reads(console)


def flip_hex(text: str, at: int = 0) -> str:
    """The same hex string with one byte changed."""
    raw = bytearray.fromhex(text)
    raw[at % len(raw)] ^= 0x01
    return raw.hex()


def flip_base64(text: str, at: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[at % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def flip_note_signature(note: str) -> str:
    """The signed note with one byte of its Ed25519 signature (not the key ID) changed."""
    head, _, last = note.rstrip("\n").rpartition(" ")
    return f"{head} {flip_base64(last, 10)}\n"


def tamper_entries(page: Page, change: Any) -> None:
    """Serve the entries' JSON to the page as `change(body)` leaves it (the page's own fetch,
    intercepted: what a hostile server or a man in the middle would send)."""

    def handle(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        change(body)
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/console/audit/entries.json*", handle)
