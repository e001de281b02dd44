"""Notes and intentions in a real Chromium: shown only after a purpose, exactly one access
record per read (counted in the store), errors in words next to the purpose field; who
read my file lists that read for the protagonist."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.support.browser import Console


def access_records(console: Console) -> int:
    path = console.store_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        query = "SELECT count(*) FROM stored_events WHERE topic LIKE '%:ContentAccessed'"
        return int(db.execute(query).fetchone()[0])


def notes_page(page: Page, console: Console) -> Page:
    page.goto(f"{console.url}/console/engagements/{console.eid}/notes")
    return page


def items(page: Page) -> set[str]:
    return set(page.locator("input[name=item]").evaluate_all("ns => ns.map(n => n.value)"))


def test_notes_are_read_only_after_a_purpose_and_record_exactly_one_access(
    signed_in_page: Callable[..., Page],
    console: Console,
    check_accessibility: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page = notes_page(signed_in_page("coach-amelie"), console)
    check_accessibility(page)
    screenshot(page, "notes-list-coach-amelie")
    before = access_records(console)
    first = page.locator("form.read-form").first
    first.get_by_role("button", name="Read").click()  # no purpose
    page.wait_for_load_state()
    error = page.locator("p.error[id$=-error]")
    assert error.inner_text() == "Say why you read this."
    assert page.locator("input[aria-invalid=true]").count() == 1
    assert access_records(console) == before  # refused before anything was read
    check_accessibility(page)
    form = page.locator("form.read-form").first
    form.get_by_label("Why do you read it?").fill("preparing the next individual session")
    form.get_by_role("button", name="Read").click()
    page.wait_for_load_state()
    recorded = page.get_by_role("status").inner_text()
    assert "recorded in the access log at position" in recorded
    assert access_records(console) == before + 1
    position = int(recorded.split("position ")[1].split(",")[0])
    assert position > 0
    check_accessibility(page)
    screenshot(page, "notes-read-coach-amelie")
    page.goto(f"{console.url}/console/engagements/{console.eid}/notes")
    assert "recorded in the access log" not in page.content()  # nothing kept for later
    assert access_records(console) == before + 1


def test_notes_list_only_the_persons_own_file_when_each_party_opens_it(
    signed_in_page: Callable[..., Page], console: Console
) -> None:
    seen = {name: items(notes_page(signed_in_page(name), console)) for name in PARTIES}
    assert seen["claire"]
    assert seen["omar"]
    assert seen["claire"] == seen["coach-amelie"]  # P and P's own coach
    assert seen["omar"] == seen["coach-bruno"]
    assert not seen["claire"] & seen["omar"]
    page = notes_page(signed_in_page("claire"), console)
    source = page.content()
    assert not any(field in source for field in seen["omar"])


PARTIES = ("claire", "omar", "coach-amelie", "coach-bruno")


@pytest.mark.parametrize("name", ["admin", "sponsor", "auditor"])
def test_notes_page_is_refused_in_words_when_the_role_has_no_file(
    signed_in_page: Callable[..., Page], console: Console, name: str
) -> None:
    page = signed_in_page(name)
    response = page.goto(f"{console.url}/console/engagements/{console.eid}/notes")
    assert response is not None
    assert response.status == 403
    assert "Notes are for a protagonist and their coach." in page.inner_text("main")


def test_who_read_my_file_lists_a_coachs_read_with_its_purpose_for_the_protagonist(
    signed_in_page: Callable[..., Page],
    console: Console,
    check_accessibility: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    coach = notes_page(signed_in_page("coach-bruno"), console)
    form = coach.locator("form.read-form").first
    form.get_by_label("Why do you read it?").fill("checking the plan before the session")
    form.get_by_role("button", name="Read").click()
    coach.wait_for_load_state()
    page = signed_in_page("omar")
    page.goto(f"{console.url}/console/engagements/{console.eid}/who-read")
    table = page.locator("table").inner_text()
    assert "coach-bruno (coach)" in table
    assert "checking the plan before the session" in table
    check_accessibility(page)
    screenshot(page, "who-read-omar")
    claire = signed_in_page("claire")
    claire.goto(f"{console.url}/console/engagements/{console.eid}/who-read")
    assert "checking the plan before the session" not in claire.content()
