"""The trust timeline's replay in a real Chromium: the scrubber and the play button redraw
the chart, the status and the ledger as of an earlier moment, and back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.browser import ROOT, Console

README_SHOT = ROOT / "tests" / "browser" / "screenshots" / "timeline-replay.png"


def timeline(page: Page, console: Console) -> Page:
    page.goto(f"{console.url}/console/engagements/{console.eid}/timeline")
    return page


def drawn(page: Page) -> str:
    """The first chart's lines as drawn (their points) and the status's 'as of'."""
    points = page.locator("#replay-chart polyline").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('points')).join('|')"
    )
    return points + " @ " + page.locator("#replay-status [data-field=as-of]").inner_text()


def test_replay_redraws_an_earlier_moment_and_back_when_the_scrubber_moves(
    signed_in_page: Callable[..., Page],
    console: Console,
    check_accessibility: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page = timeline(signed_in_page("coach-amelie"), console)
    steps = int(page.locator("#step").get_attribute("max") or 0)
    now = drawn(page)
    assert f"step {steps} of {steps}" in now
    phase_now = page.locator("#replay-status [data-field=phase]").inner_text()
    slider = page.locator("#step")
    slider.focus()
    page.keyboard.press("Home")  # the keyboard moves the scrubber to the first step
    expect(page.locator("#replay-status [data-field=as-of]")).to_contain_text(f"step 1 of {steps}")
    assert page.locator("#replay-chart polyline").count() == 0  # nothing assessed yet
    assert page.locator("#replay-status [data-field=phase]").inner_text() != phase_now
    slider.fill(str(steps // 2))
    middle = f"step {steps // 2} of {steps}"
    expect(page.locator("#replay-status [data-field=as-of]")).to_contain_text(middle)
    assert drawn(page) != now
    assert page.locator("#step-out").inner_text() == str(steps // 2)
    check_accessibility(page)
    page.screenshot(path=str(README_SHOT), full_page=False)
    screenshot(page, "timeline-replay-coach-amelie")
    page.keyboard.press("End")
    expect(page.locator("#replay-status [data-field=as-of]")).to_contain_text(
        f"step {steps} of {steps}"
    )
    assert drawn(page) == now


def test_play_button_steps_through_the_history_when_pressed_from_the_keyboard(
    signed_in_page: Callable[..., Page], console: Console
) -> None:
    page = timeline(signed_in_page("claire"), console)
    steps = int(page.locator("#step").get_attribute("max") or 0)
    page.locator("#step").fill(str(steps - 3))
    expect(page.locator("#replay-status [data-field=as-of]")).to_contain_text(
        f"step {steps - 3} of {steps}"
    )
    page.locator("#play").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#replay-status [data-field=as-of]")).to_contain_text(
        f"step {steps} of {steps}", timeout=20_000
    )
    expect(page.locator("#play")).to_have_text("Play")
