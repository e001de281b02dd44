"""Fixtures of the browser suite: a real server, a real Chromium (Playwright).

console           `trustpath serve --demo` (gunicorn, 2 workers) on a fresh SQLite file
                  under tmp, for the whole session: .url, .engagement_id, .people (the demo
                  people of ops.demo_people: name, password, role, subject), .store_url
browser           Playwright's Chromium: the system /usr/bin/chromium (installed if missing)
signed_in_page    signed_in_page("claire") -> a page of a fresh context, signed in through
                  the real form (at the console's home page)
check_accessibility(page)   axe-core: fails on any serious or critical violation
screenshot(page, name)      writes var/screenshots/<name>.png
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support.browser import (
    CHROMIUM_ARGS,
    ROOT,
    Console,
    ensure_chromium,
    running_console,
    sign_in,
)

SCREENSHOTS = ROOT / "var" / "screenshots"
BLOCKING = ("serious", "critical")
PATIENCE_MS = 90_000
"""An upper bound for a page to answer on a busy 2-core machine (never a timed assertion)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with running_console(tmp_path_factory.mktemp("console")) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = ensure_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def signed_in_page(browser: Browser, console: Console) -> Iterator[Callable[..., Page]]:
    contexts: list[BrowserContext] = []

    def open_as(name: str, **context_options: Any) -> Page:
        context = browser.new_context(**context_options)
        context.set_default_timeout(PATIENCE_MS)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, console, name)
        if "/console/sign-in" in page.url:
            raise AssertionError(f"{name} could not sign in: {page.inner_text('main')}")
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def fresh_page(browser: Browser) -> Iterator[Page]:
    """A page of a fresh context (no cookies): a person who has not signed in."""
    context = browser.new_context()
    context.set_default_timeout(PATIENCE_MS)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def check_accessibility(axe: Axe) -> Callable[[Page], None]:
    def check(page: Page) -> None:
        results = axe.run(page)
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
        listed = "\n".join(
            f"{v['impact']}: {v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
            f"{', '.join(str(n['target']) for n in v['nodes'][:3])})"
            for v in blocking
        )
        assert not blocking, f"axe found serious/critical violations on {page.url}:\n{listed}"

    return check


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
