"""Signing in through the real form, in a real Chromium, against a real server."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from ops.demo_people import DEMO_PEOPLE
from tests.support.browser import Console, sign_in


@pytest.mark.parametrize("name", [p.name for p in DEMO_PEOPLE])
def test_sign_in_lands_on_the_home_page_when_a_demo_person_gives_their_password(
    signed_in_page: Callable[..., Page], name: str, console: Console
) -> None:
    page = signed_in_page(name)
    assert page.url == f"{console.url}/console/"
    person = console.people[name]
    assert f"Signed in as {name} ({person.role})" in page.inner_text("header")
    if person.role == "protagonist":  # the demo run's own protagonist id
        assert person.subject in console.output()


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


def test_sign_in_cookie_is_httponly_strict_and_scoped_to_the_console(
    signed_in_page: Callable[..., Page],
) -> None:
    page = signed_in_page("auditor")
    session = [c for c in page.context.cookies() if c["name"] == "trustpath_session"]
    assert len(session) == 1
    assert session[0]["httpOnly"] is True
    assert session[0]["sameSite"] == "Strict"
    assert session[0]["path"] == "/console"
    assert page.evaluate("document.cookie") == ""  # no script can read it


def test_sign_out_returns_to_the_sign_in_page_and_the_console_asks_again(
    signed_in_page: Callable[..., Page], console: Console
) -> None:
    page = signed_in_page("omar")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{console.url}/console/sign-in")
    page.goto(f"{console.url}/console/")
    assert page.url == f"{console.url}/console/sign-in?next=/console/"
    assert page.get_by_role("heading", name="Sign in").is_visible()


def test_sign_in_brings_the_person_back_to_the_page_they_asked_for(
    fresh_page: Page, console: Console
) -> None:
    fresh_page.goto(f"{console.url}/console/?from=bookmark")
    assert "/console/sign-in?next=" in fresh_page.url
    fresh_page.get_by_label("Name").fill("sponsor")
    fresh_page.get_by_label("Password").fill(console.people["sponsor"].password)
    fresh_page.get_by_role("button", name="Sign in").click()
    fresh_page.wait_for_url(f"{console.url}/console/?from=bookmark")


def test_the_home_page_passes_axe_and_reads_at_360_px_for_every_role(
    signed_in_page: Callable[..., Page],
    check_accessibility: Callable[[Page], None],
    screenshot: Callable[[Page, str], object],
) -> None:
    for person in DEMO_PEOPLE:
        page = signed_in_page(person.name, viewport={"width": 360, "height": 740})
        check_accessibility(page)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert overflow is False, f"the home page of {person.name} scrolls sideways at 360 px"
        screenshot(page, f"signin-home-{person.name}")
        page.context.close()


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_main(
    fresh_page: Page, console: Console
) -> None:
    fresh_page.goto(f"{console.url}/console/sign-in")
    fresh_page.keyboard.press("Tab")
    focused = fresh_page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    outline = fresh_page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
    fresh_page.keyboard.press("Enter")
    assert fresh_page.evaluate("document.activeElement.id") == "main"
