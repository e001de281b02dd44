"""Signing in through the real form, in a real Chromium, against a real server."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from ops.demo_people import DEMO_PEOPLE
from tests.browser.conftest import sign_in
from tests.browser.harness import Console


@pytest.mark.parametrize("name", [p.name for p in DEMO_PEOPLE])
def test_sign_in_lands_on_the_home_page_when_a_demo_person_gives_their_password(
    signed_in_page: Callable[..., Page], name: str, console: Console
) -> None:
    page = signed_in_page(name)
    assert page.url == f"{console.url}/console/"
    assert f"Signed in as {name}" in page.inner_text("header")


def test_sign_in_page_passes_axe_and_is_screenshotted_when_nobody_is_signed_in(
    fresh_page: Page,
    console: Console,
    check_accessibility: Callable[[Page], None],
    screenshot: Callable[[Page, str], object],
) -> None:
    fresh_page.goto(f"{console.url}/console/sign-in")
    check_accessibility(fresh_page)
    screenshot(fresh_page, "signin-form-anonymous")


def test_sign_in_shows_the_error_next_to_the_form_when_the_password_is_wrong(
    fresh_page: Page, console: Console, check_accessibility: Callable[[Page], None]
) -> None:
    sign_in(fresh_page, console, "claire", "not-claires-password")
    assert fresh_page.url.startswith(f"{console.url}/console/sign-in")
    assert fresh_page.get_by_role("alert").inner_text() == "The name or password is wrong."
    check_accessibility(fresh_page)
