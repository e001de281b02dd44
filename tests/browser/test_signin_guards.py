"""The sign-in's guards in a real browser: throttling per name, revocation of an open
session, the security headers the browser receives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page

from api.console.accounts import Accounts
from api.console.security import CSP
from api.principals import Principal, PrincipalStore
from tests.support.browser import Console, sign_in

PASSWORD = "mallory-password-1"


@pytest.fixture
def extra_person(console: Console) -> Iterator[tuple[PrincipalStore, Principal]]:
    """A person of their own, added to the running server's store (revoking them or
    spending their name's sign-in budget leaves the demo people alone)."""
    store = PrincipalStore.for_url(console.store_url)
    principal, _ = store.add("auditor", f"guest-{datetime.now(UTC).timestamp():.6f}")
    Accounts.on(store.engine).set_password(principal, PASSWORD)
    yield store, principal
    store.close()


def test_revoking_a_person_signs_their_open_page_out_at_the_next_click(
    fresh_page: Page, console: Console, extra_person: tuple[PrincipalStore, Principal]
) -> None:
    store, principal = extra_person
    sign_in(fresh_page, console, principal.name, PASSWORD)
    assert fresh_page.url == f"{console.url}/console/"
    assert store.revoke(principal.id)
    fresh_page.get_by_role("link", name="Home").click()
    fresh_page.wait_for_url(f"{console.url}/console/sign-in?next=/console/")


def test_sign_in_is_throttled_for_a_name_after_five_failures_even_with_the_password(
    fresh_page: Page, console: Console, extra_person: tuple[PrincipalStore, Principal]
) -> None:
    _, principal = extra_person
    for _ in range(5):
        sign_in(fresh_page, console, principal.name, "not-the-password")
        assert fresh_page.get_by_role("alert").inner_text() == "The name or password is wrong."
    sign_in(fresh_page, console, principal.name, PASSWORD)
    assert fresh_page.url.startswith(f"{console.url}/console/sign-in")
    assert "Too many failed sign-ins" in fresh_page.get_by_role("alert").inner_text()


def test_the_browser_receives_the_security_headers_with_every_console_page(
    signed_in_page: Callable[..., Page], console: Console
) -> None:
    page = signed_in_page("coach-bruno")
    answer = page.goto(f"{console.url}/console/")
    assert answer is not None
    headers = answer.headers
    assert headers["content-security-policy"] == CSP
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert page.evaluate("getComputedStyle(document.body).display") == "flex"  # the CSS loaded
