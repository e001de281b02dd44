"""The auditor's page in a real Chromium, on a real `trustpath serve --demo`: every entry's
inclusion proof and the checkpoint's Ed25519 signature are verified in the browser against
the key the auditor pinned; a proof, a leaf or a signature changed on the way turns entries
red with the reason in words; a wrong key fails every signature; only auditors come in;
hostile query strings are 4xx, never 500."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route

from projections.ledger.checkpoints import Signer
from tests.support.browser import ROOT
from tests.support.browser_audit_world import (
    SECRETS,
    Audited,
    flip_base64,
    flip_hex,
    flip_note_signature,
    tamper_entries,
)
from tests.support.browser_audit_world import audited as audited  # the session's fixture

README_SHOT = ROOT / "tests" / "browser" / "screenshots" / "audit.png"
OpenPage = Callable[..., Page]


def open_audit(
    open_as: OpenPage, key: str | None, before: Callable[[Page], None] | None = None
) -> Page:
    """The auditor's page, after pinning `key` through the page's own form (None: no key)."""
    page = open_as("auditor")
    if before is not None:
        before(page)
    page.goto(page.url.split("/console")[0] + "/console/audit")
    page.wait_for_selector("#audit[data-ready=true]", timeout=60_000)
    if key is not None:
        page.get_by_label("The log's public key").fill(key)
        page.get_by_role("button", name="Pin this key").click()
        page.wait_for_selector("#audit[data-ready=true]", timeout=60_000)
    return page


def verdicts(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#entries td.verdict").all_inner_texts()]


def failed_rows(page: Page) -> int:
    return page.locator("#entries tr.failed").count()


def test_audit_page_verifies_every_entry_here_when_the_proofs_and_signature_hold(
    audited: Audited,
    signed_in_page: OpenPage,
    check_accessibility: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    assert sorted(audited.statuses) == [200, 200, 403, 403]
    page = open_audit(signed_in_page, audited.signer.verifier_key())
    found = verdicts(page)
    assert len(found) >= 4
    assert found == ["Verified here"] * len(found)
    assert failed_rows(page) == 0
    assert page.inner_text("#checkpoint-status") == "Verified here with the pinned key"
    assert page.inner_text("#key-fingerprint").count(" ") == 7
    kinds = page.locator("#entries tbody tr td:nth-child(3)").all_inner_texts()
    assert {"access", "refusal"} <= set(kinds)
    checkpoints = page.locator("#checkpoints td.verdict").all_inner_texts()
    assert checkpoints
    assert set(checkpoints) == {"Verified here"}
    assert not any(s in page.content() for s in SECRETS)
    check_accessibility(page)
    shot = screenshot(page, "audit-page-auditor")
    README_SHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, README_SHOT)


def _first_proved(body: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in body["items"] if e.get("proof") and e["proof"]["audit_path"])


def _flip_path(body: dict[str, Any]) -> None:
    proof = _first_proved(body)["proof"]
    proof["audit_path"][0] = flip_hex(proof["audit_path"][0], 5)


def _flip_leaf(body: dict[str, Any]) -> None:
    event = _first_proved(body)["event"]
    event["state"] = flip_base64(event["state"], 40)


def _change_who(body: dict[str, Any]) -> None:
    _first_proved(body)["principal_id"] = "someone-else"


def _flip_signature(body: dict[str, Any]) -> None:
    body["checkpoint"]["note"] = flip_note_signature(body["checkpoint"]["note"])


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_flip_path, "do not lead to the signed root"),
        (_flip_leaf, "the stored event does not hash to the proof's leaf"),
        (_change_who, "the entry's fields are not what its stored event says"),
    ],
)
def test_audit_page_turns_one_entry_red_when_its_proof_or_leaf_was_changed_on_the_way(
    audited: Audited, signed_in_page: OpenPage, tamper: Any, reason: str
) -> None:
    page = open_audit(
        signed_in_page, audited.signer.verifier_key(), lambda p: tamper_entries(p, tamper)
    )
    found = verdicts(page)
    bad = [v for v in found if v != "Verified here"]
    assert len(bad) == 1
    assert failed_rows(page) == 1
    assert bad[0].startswith("Not verified: ")
    assert reason in bad[0]
    assert len(found) - 1 == found.count("Verified here")


def test_audit_page_turns_every_entry_red_when_the_checkpoint_signature_was_changed(
    audited: Audited,
    signed_in_page: OpenPage,
    check_accessibility: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page = open_audit(
        signed_in_page,
        audited.signer.verifier_key(),
        lambda p: tamper_entries(p, _flip_signature),
    )
    found = verdicts(page)
    assert found
    assert failed_rows(page) == len(found)
    expected = "Not verified: the checkpoint's signature does not verify with the pinned key"
    assert set(found) == {expected}
    assert page.inner_text("#checkpoint-status").startswith("NOT verified")
    check_accessibility(page)
    screenshot(page, "audit-tampered-auditor")


@pytest.mark.parametrize("form", ["pem", "verifier key of the same log name"])
def test_audit_page_fails_every_signature_when_another_key_is_pinned(
    audited: Audited, signed_in_page: OpenPage, form: str
) -> None:
    other = Signer(Signer.generate().private_key, audited.signer.origin)
    key = other.public_pem() if form == "pem" else other.verifier_key()
    page = open_audit(signed_in_page, key)
    found = verdicts(page)
    assert found
    assert failed_rows(page) == len(found)
    assert all("not signed by the pinned key" in v for v in found)
    checkpoints = page.locator("#checkpoints td.verdict").all_inner_texts()
    assert checkpoints
    assert all(c.startswith("Not verified") for c in checkpoints)


def test_audit_page_says_it_cannot_verify_here_when_webcrypto_is_unavailable(
    audited: Audited, signed_in_page: OpenPage
) -> None:
    def insecure(page: Page) -> None:
        page.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false})")

    page = open_audit(signed_in_page, audited.signer.verifier_key(), insecure)
    assert page.is_visible("#crypto-status")
    assert "cannot verify here" in page.inner_text("#crypto-status")
    found = verdicts(page)
    assert found
    assert all(v.startswith("Cannot verify here") for v in found)
    for shown in ("#entries", "#checkpoints", "#checkpoint-status"):
        assert "verified here" not in page.inner_text(shown).lower()


def test_audit_page_cannot_verify_until_a_key_is_pinned(
    audited: Audited, signed_in_page: OpenPage
) -> None:
    page = open_audit(signed_in_page, None)
    found = verdicts(page)
    assert found
    assert set(found) == {"Cannot verify: pin the log's public key first"}
    page.get_by_label("The log's public key").fill("not a key")
    page.get_by_role("button", name="Pin this key").click()
    assert "Not pinned:" in page.inner_text("#pin-error")
    assert page.get_attribute("#pin-key", "aria-invalid") == "true"


def test_audit_page_walks_every_page_against_the_first_pages_checkpoint(
    audited: Audited, signed_in_page: OpenPage
) -> None:
    asked: list[str] = []

    def small_pages(page: Page) -> None:
        def two_by_two(route: Route) -> None:
            url = route.request.url
            asked.append(url)
            route.continue_(url=url + ("&" if "?" in url else "?") + "limit=2")

        page.route("**/console/audit/entries.json*", two_by_two)

    page = open_audit(signed_in_page, audited.signer.verifier_key(), small_pages)
    more = page.locator("#more-entries")
    for _ in range(50):  # bounded: a cursor that never ends fails below
        if not more.is_visible():
            break
        shown = page.locator("#entries tbody tr").count()
        more.click()
        page.locator("#entries tbody tr").nth(shown).wait_for(timeout=60_000)
    assert not more.is_visible()
    found = verdicts(page)
    assert len(found) >= 4
    assert found == ["Verified here"] * len(found)
    later = [u for u in asked if "cursor=" in u]
    assert later
    assert all("tree_size=" in u for u in later)
    positions = page.locator("#entries tbody tr").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.position))"
    )
    assert positions == sorted(set(positions))


def test_audit_page_fits_a_360_pixel_wide_screen(
    audited: Audited, signed_in_page: OpenPage, screenshot: Callable[[Page, str], Path]
) -> None:
    page = open_audit(
        lambda name: signed_in_page(name, viewport={"width": 360, "height": 800}),
        audited.signer.verifier_key(),
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    assert set(verdicts(page)) == {"Verified here"}
    screenshot(page, "audit-page-auditor-360px")
