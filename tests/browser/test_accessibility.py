"""Every console page every role can reach, crawled from the navigation in a real Chromium:
axe-core finds no serious or critical violation, every page carries the Content Security
Policy, and no page has inline script, inline event handlers or inline styles (the CSP
would block them, silently breaking the page, so they must not be there at all).

The crawl follows same-origin GET links under /console/ (not sign-out, not static files),
breadth first from the navigation, bounded per role: pages added by any branch are covered
as soon as a navigation link reaches them."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from playwright.sync_api import Page

from ops.demo_people import DEMO_PEOPLE
from tests.support.browser import Console

MAX_PAGES = 40
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<[a-z][^>]*\sstyle\s*=|<style\b", re.IGNORECASE)
SKIPPED = re.compile(r"/(sign-out|static)/?|\.(css|js|png|svg|ico)$")


def inline_problems(html: str) -> list[str]:
    """What in a page's source the CSP forbids: inline script, on*= handlers, style."""
    found = []
    for name, pattern in (
        ("inline script", INLINE_SCRIPT),
        ("inline event handler", EVENT_HANDLER),
        ("inline style", INLINE_STYLE),
    ):
        found += [f"{name}: {m.group(0)[:80]}" for m in pattern.finditer(html)]
    return found


def test_inline_problems_finds_each_kind_the_csp_forbids() -> None:
    assert inline_problems('<script src="/a.js"></script><p class="x">on=1 style=</p>') == []
    assert len(inline_problems("<script>alert(1)</script>")) == 1
    assert len(inline_problems('<button onclick="x()">b</button>')) == 1
    assert len(inline_problems('<p style="color:red">r</p><style>p{}</style>')) == 2


def _links(page: Page, origin: str, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        url = urldefrag(urljoin(page.url, href)).url
        parts = urlsplit(url)
        same = f"{parts.scheme}://{parts.netloc}" == origin
        if same and parts.path.startswith("/console") and not SKIPPED.search(parts.path):
            found.append(url)
    return found


def crawl(
    page: Page, origin: str, check: Callable[[Page, str, int, dict[str, str], str], None]
) -> list[str]:
    """Visit every console page reachable from the navigation (bounded); check each."""
    page.goto(f"{origin}/console/")
    queue = [f"{origin}/console/", *_links(page, origin, "nav a[href]")]
    seen: list[str] = []
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.append(url)
        response = page.goto(url)
        assert response is not None, url
        page.wait_for_load_state("networkidle")
        if page.locator("#audit").count():
            page.wait_for_selector("#audit[data-ready=true]", timeout=60_000)
        check(page, url, response.status, response.headers, response.text())
        queue += [u for u in _links(page, origin, "a[href]") if u not in seen]
    return seen


@pytest.mark.parametrize("name", [p.name for p in DEMO_PEOPLE])
def test_every_console_page_is_accessible_and_free_of_inline_code_for_each_role(
    console: Console,
    signed_in_page: Callable[..., Page],
    check_accessibility: Callable[[Page], None],
    screenshot: Callable[[Page, str], object],
    name: str,
) -> None:
    page = signed_in_page(name)
    problems: list[str] = []

    def check(visited: Page, url: str, status: int, headers: dict[str, str], html: str) -> None:
        if status != 200:  # a broken link is reported as such, not as its error page's axe
            problems.append(f"{url}: a navigation link answered {status}")
            return
        if headers.get("content-type", "").startswith("text/html"):
            csp = headers.get("content-security-policy", "")
            if "script-src 'self'" not in csp or "frame-ancestors 'none'" not in csp:
                problems.append(f"{url}: no CSP header ({csp!r})")
            problems.extend(f"{url}: {p}" for p in inline_problems(html))
        check_accessibility(visited)

    seen = crawl(page, console.url, check)
    assert problems == []
    assert len(seen) >= 2, f"{name} reached no page beyond the home page: {seen}"
    page.goto(f"{console.url}/console/")
    screenshot(page, f"accessibility-home-{name}")
