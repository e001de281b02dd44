"""Who reaches the auditor's page and its JSON, and what hostile query strings get: only
auditors (others a 403 page, or problem+json); a bad cursor, size, limit or engagement is a
4xx naming it, never a 500; the JSON carries metadata and proofs, never content."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.support.browser import Console
from tests.support.browser_audit_world import SECRETS, Audited
from tests.support.browser_audit_world import audited as audited  # the session's fixture

OpenPage = Callable[..., Page]


@pytest.mark.parametrize("name", ["claire", "coach-amelie", "sponsor", "admin"])
def test_audit_page_is_refused_with_403_when_the_person_is_not_an_auditor(
    console: Console, signed_in_page: OpenPage, name: str
) -> None:
    page = signed_in_page(name)
    response = page.goto(f"{console.url}/console/audit")
    assert response is not None
    assert response.status == 403
    assert "auditors" in page.inner_text("main")
    for path in ("/console/audit/entries.json", "/console/audit/checkpoints.json"):
        answer = page.request.get(f"{console.url}{path}")
        assert answer.status == 403, path
        assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("entries.json?cursor=not-a-cursor!", "cursor"),
        ("entries.json?cursor=OTk5OTk5OTk5", "cursor"),
        ("entries.json?tree_size=0", "tree_size"),
        ("entries.json?tree_size=-3", "tree_size"),
        ("entries.json?tree_size=99999999999999999999999", "tree_size"),
        ("entries.json?tree_size=987654", "tree_size"),
        ("entries.json?limit=0", "limit"),
        ("entries.json?limit=lots", "limit"),
        ("entries.json?engagement=../../etc", "engagement"),
        ("checkpoints.json?cursor=%00%ff", "cursor"),
        ("checkpoints.json?limit=100000", "limit"),
    ],
)
def test_audit_json_answers_422_naming_the_field_when_the_query_is_hostile(
    audited: Audited, console: Console, signed_in_page: OpenPage, path: str, field: str
) -> None:
    page = signed_in_page("auditor")
    answer = page.request.get(f"{console.url}/console/audit/{path}")
    assert answer.status == 422, (path, answer.text())
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in answer.text()


def test_audit_json_carries_metadata_and_proofs_but_never_content(
    audited: Audited, console: Console, signed_in_page: OpenPage
) -> None:
    page = signed_in_page("auditor")
    answer = page.request.get(f"{console.url}/console/audit/entries.json?engagement={console.eid}")
    assert answer.status == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["checkpoint"]["note"]
    assert body["items"]
    assert all(e["proof"] and e["event"] for e in body["items"])
    stored = [base64.b64decode(e["event"]["state"]).decode() for e in body["items"]]
    assert not any(s in text for s in SECRETS for text in [answer.text(), *stored])


def test_audit_page_answers_422_in_words_when_the_engagement_is_not_an_id(
    audited: Audited, console: Console, signed_in_page: OpenPage
) -> None:
    page = signed_in_page("auditor")
    response = page.goto(f"{console.url}/console/audit?engagement=%3Cscript%3E")
    assert response is not None
    assert response.status == 422
    assert "must be an engagement id" in page.inner_text("main")
    assert "<script>" not in response.text()


def test_audit_page_answers_404_when_the_engagement_is_unknown(
    audited: Audited, console: Console, signed_in_page: OpenPage
) -> None:
    page = signed_in_page("auditor")
    unknown = "00000000-0000-4000-8000-000000000000"
    response = page.goto(f"{console.url}/console/audit?engagement={unknown}")
    assert response is not None
    assert response.status == 404
    assert "No engagement has this id" in page.inner_text("main")
    answer = page.request.get(f"{console.url}/console/audit/entries.json?engagement={unknown}")
    assert answer.status == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
