"""Each demo person's pages in a real Chromium: exactly what the matrix allows them, and not
a byte more in the page source; axe finds no serious or critical violation; screenshots."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from domain.sponsor import FIELDS, IDENTITY
from ops.demo_people import DEMO_PEOPLE
from tests.support.browser import Console

PARTIES = {"coach-amelie", "coach-bruno", "claire", "omar"}
"""Who sees the relationship space (the ledger, the trust timeline) of the demo."""
OWN_PANEL = {"claire": "Claire Martin toward", "omar": "Omar Haddad toward"}
COMMITMENT_TEXT = "Share the budget draft a week before committee"


def visit(page: Page, console: Console, path: str) -> tuple[int, str]:
    response = page.goto(f"{console.url}/console/engagements{path}")
    assert response is not None
    return response.status, page.content()


@pytest.mark.parametrize("name", [p.name for p in DEMO_PEOPLE])
def test_engagement_pages_show_what_the_matrix_allows_when_each_person_signs_in(
    signed_in_page: Callable[..., Page],
    console: Console,
    check_accessibility: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
    name: str,
) -> None:
    page = signed_in_page(name)
    status, listed = visit(page, console, "")
    assert status == 200
    assert str(console.eid) in listed
    check_accessibility(page)
    screenshot(page, f"pages-engagements-{name}")
    status, html = visit(page, console, f"/{console.eid}")
    assert status == 200
    assert "Status" in html
    assert (COMMITMENT_TEXT in html) == (name in PARTIES)
    assert ("Commitment ledger" in html) == (name in PARTIES)
    check_accessibility(page)
    screenshot(page, f"pages-engagement-{name}")
    status, html = visit(page, console, f"/{console.eid}/timeline")
    assert status == (200 if name in PARTIES else 403)
    if name in OWN_PANEL:  # a protagonist sees their own assessments only
        other = next(v for k, v in OWN_PANEL.items() if k != name)
        assert OWN_PANEL[name] in html
        assert other not in html
    if status == 200:
        check_accessibility(page)
        screenshot(page, f"pages-timeline-{name}")
    else:
        assert COMMITMENT_TEXT not in html


@pytest.mark.parametrize("name", [p.name for p in DEMO_PEOPLE])
def test_replay_json_holds_nothing_more_than_the_page_when_each_person_asks(
    signed_in_page: Callable[..., Page], console: Console, name: str
) -> None:
    page = signed_in_page(name)
    response = page.request.get(
        f"{console.url}/console/engagements/{console.eid}/replay.json?step=40"
    )
    assert response.status == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    text = json.dumps(body)
    assert (body["ledger"] is not None) == (name in PARTIES)
    assert (COMMITMENT_TEXT in text) == (name in PARTIES)
    if name in OWN_PANEL:
        other = next(v for k, v in OWN_PANEL.items() if k != name)
        assert [p["title"].startswith(OWN_PANEL[name][:-7]) for p in body["panels"]] == [True]
        assert other not in text
    if name == "sponsor":
        assert set(body["status"]) <= IDENTITY.union(*FIELDS.values())
        assert body["panels"] == []
        assert "note_length" not in text


def test_engagements_search_finds_by_title_and_says_so_when_nothing_matches(
    signed_in_page: Callable[..., Page], console: Console
) -> None:
    page = signed_in_page("coach-amelie")
    page.goto(f"{console.url}/console/engagements")
    page.get_by_label("Search by title, organisation or phase").fill("norwind")
    page.get_by_role("button", name="Search").click()
    assert str(console.eid) in page.content()
    page.get_by_label("Search by title, organisation or phase").fill("no such words")
    page.get_by_role("button", name="Search").press("Enter")
    page.wait_for_load_state()
    assert str(console.eid) not in page.content()
    assert "No engagement you may see matches" in page.inner_text("main")


@pytest.mark.parametrize("path", ["", "/{eid}", "/{eid}/timeline", "/{eid}/notes"])
def test_pages_fit_a_360_pixel_screen_when_read_on_a_phone(
    signed_in_page: Callable[..., Page],
    console: Console,
    screenshot: Callable[[Page, str], Path],
    path: str,
) -> None:
    page = signed_in_page("claire", viewport={"width": 360, "height": 740})
    status, _ = visit(page, console, path.format(eid=console.eid))
    assert status == 200
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path}: the page is {width} px wide"
    name = path.split("/")[-1] if path.count("/") > 1 else ("engagement" if path else "list")
    screenshot(page, f"pages-360px-{name}-claire")
