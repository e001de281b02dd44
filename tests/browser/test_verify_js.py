"""verify.js, run in Chromium, against the ledger's Python implementation and published
vectors: the same leaf bytes, roots and inclusion proofs for tree sizes 1..20 at every
index; transparency-dev's RFC 6962 inclusion vectors (happy paths and every mutation);
the checkpoint's signed note verified with WebCrypto Ed25519 against a pinned key.

verify.js is served from the package through an intercepted `http://localhost` origin
(a secure context, so WebCrypto is there) with no server in between."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

import api
from projections.ledger.checkpoints import Signer
from projections.ledger.leaves import encode_leaf
from projections.ledger.merkle import MemoryTree, inclusion_path, leaf_hash, root

STATIC = Path(api.__file__).parent / "console" / "static"
VECTORS = Path(__file__).parent / "vectors" / "transparency_dev_inclusion.json"
ORIGIN = "http://localhost:9"


def _serve(route: Route) -> None:
    if route.request.url.endswith("/verify.js"):
        body = (STATIC / "verify.js").read_text()
        route.fulfill(status=200, content_type="text/javascript", body=body)
    else:
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>v</title>")


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    found = context.new_page()
    found.route(f"{ORIGIN}/**", _serve)
    found.goto(f"{ORIGIN}/")
    yield found
    context.close()


def run(page: Page, body: str, arg: Any) -> Any:
    """Evaluate `body` (an async function body of `v`, the module, and `arg`) in the page."""
    return page.evaluate(
        f"async (arg) => {{ const v = await import('{ORIGIN}/verify.js'); {body} }}", arg
    )


def _event(n: int) -> dict[str, Any]:
    state = json.dumps({"n": n, "text": "é" * (n % 3)}).encode()
    return {
        "notification_id": 1000 + n,
        "originator_id": f"00000000-0000-4000-8000-{n:012d}",
        "originator_version": n + 1,
        "topic": "domain.audit:ContentAccessed",
        "state": base64.b64encode(state).decode(),
    }


def _leaf(e: dict[str, Any]) -> bytes:
    return encode_leaf(
        e["notification_id"],
        e["originator_id"],
        e["originator_version"],
        e["topic"],
        base64.b64decode(e["state"]),
    )


def test_verify_js_computes_the_ledgers_leaf_and_root_for_every_index_of_trees_1_to_20(
    page: Page,
) -> None:
    events = [_event(n) for n in range(20)]
    leaves = [leaf_hash(_leaf(e)) for e in events]
    cases = []
    for size in range(1, 21):
        tree = MemoryTree(leaves[:size])
        for index in range(size):
            path = [h.hex() for h in inclusion_path(tree, index, size)]
            cases.append({"event": events[index], "index": index, "size": size, "path": path})
    computed = run(
        page,
        """return Promise.all(arg.map(async (c) => {
             const leaf = await v.leafHash(v.encodeLeaf(c.event));
             const r = await v.rootFromInclusion(c.index, c.size, leaf, c.path.map(v.hexToBytes));
             return [v.bytesToHex(leaf), v.bytesToHex(r)];
           }));""",
        cases,
    )
    expected = [
        [leaves[c["index"]].hex(), root(MemoryTree(leaves[: c["size"]]), c["size"]).hex()]
        for c in cases
    ]
    assert len(computed) == 210
    assert computed == expected


def test_verify_js_rejects_a_path_with_one_flipped_byte_at_every_index_of_trees_1_to_20(
    page: Page,
) -> None:
    leaves = [leaf_hash(_leaf(_event(n))) for n in range(20)]
    cases = []
    for size in range(2, 21):
        tree = MemoryTree(leaves[:size])
        for index in range(size):
            path = [bytearray(h) for h in inclusion_path(tree, index, size)]
            path[index % len(path)][index % 32] ^= 0x01
            cases.append([index, size, leaves[index].hex(), [bytes(h).hex() for h in path]])
    roots = run(
        page,
        """return Promise.all(arg.map(async ([i, n, leaf, path]) => v.bytesToHex(
             await v.rootFromInclusion(i, n, v.hexToBytes(leaf), path.map(v.hexToBytes)))));""",
        cases,
    )
    assert all(
        r != root(MemoryTree(leaves[: c[1]]), c[1]).hex() for r, c in zip(roots, cases, strict=True)
    )


def test_verify_js_agrees_with_every_transparency_dev_inclusion_vector(page: Page) -> None:
    vectors = json.loads(VECTORS.read_text())["vectors"]
    verdicts = run(
        page,
        """const b = (s) => s === null ? new Uint8Array(0) : v.base64ToBytes(s);
           const out = [];
           for (const t of arg) {
             try {
               const r = await v.rootFromInclusion(
                 t.leafIdx, t.treeSize, b(t.leafHash), (t.proof || []).map(b));
               out.push(v.bytesToHex(r) === v.bytesToHex(b(t.root)));
             } catch (e) {
               if (!(e instanceof v.VerifyError)) throw e;
               out.push(false);
             }
           }
           return out;""",
        vectors,
    )
    assert len(verdicts) == len(vectors) == 98
    assert sum(verdicts) == 6
    assert verdicts == [not t["wantErr"] for t in vectors]


SIGNER = Signer(Signer.generate().private_key, "trustpath.example/norwind")
OTHER = Signer(Signer.generate().private_key, "trustpath.example/norwind")


def _check_note(page: Page, note: str, key: str) -> dict[str, Any]:
    result: dict[str, Any] = run(
        page,
        """try {
             const key = await v.parsePublicKey(arg.key);
             const c = await v.verifyCheckpoint(arg.note, key);
             return {ok: true, size: Number(c.size), root: v.bytesToHex(c.root)};
           } catch (e) {
             if (!(e instanceof v.VerifyError)) throw e;
             return {ok: false, reason: e.message};
           }""",
        {"note": note, "key": key},
    )
    return result


def test_verify_js_verifies_a_signed_checkpoint_with_the_pinned_verifier_key_or_pem(
    page: Page,
) -> None:
    checkpoint = SIGNER.sign(42, bytes(range(32)))
    note = checkpoint.note()
    assert note is not None
    for key in (SIGNER.verifier_key(), SIGNER.public_pem()):
        assert _check_note(page, note, key) == {
            "ok": True,
            "size": 42,
            "root": bytes(range(32)).hex(),
        }


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda n: n.replace("\n42\n", "\n43\n"), "does not verify with the pinned key"),
        (lambda n: n[:-6] + ("A" if n[-6] != "A" else "B") + n[-5:], "does not verify"),
        (lambda n: n.replace("norwind\n", "norwind2\n", 1), "the checkpoint is of log"),
        (lambda n: n.replace("\n\n", "\n"), "no blank line"),
    ],
)
def test_verify_js_refuses_a_checkpoint_note_when_it_was_tampered_with(
    page: Page, tamper: Any, reason: str
) -> None:
    note = SIGNER.sign(42, bytes(range(32))).note()
    assert note is not None
    found = _check_note(page, tamper(note), SIGNER.verifier_key())
    assert found["ok"] is False
    assert reason in found["reason"]


def test_verify_js_refuses_every_checkpoint_when_another_key_is_pinned(page: Page) -> None:
    for size in (1, 7, 1000):
        note = SIGNER.sign(size, bytes(32)).note()
        assert note is not None
        for key in (OTHER.verifier_key(), OTHER.public_pem()):
            found = _check_note(page, note, key)
            assert found == {
                "ok": False,
                "reason": "the checkpoint was not signed by the pinned key (another key ID)",
            }


@pytest.mark.parametrize(
    "key",
    [
        "",
        "not a key",
        "a+0000000+AAAA",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    ],
)
def test_verify_js_refuses_a_pinned_key_when_it_is_malformed(page: Page, key: str) -> None:
    note = SIGNER.sign(1, bytes(32)).note()
    assert note is not None
    assert _check_note(page, note, key)["ok"] is False
