"""Hostile input to the console: bounded, refused in words, never a 500."""

from __future__ import annotations

import pytest

from tests.support.console_world import (
    PASSWORDS,
    ConsoleWorld,
    console_world,
    sign_in,
    signed_in,
    token_of,
)

__all__ = ["console_world"]


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("c" * 100_000, "whatever-password"),
        ("claire", "p" * 60_000),
        ("claire\x00", PASSWORDS["claire"]),
        ("claire", PASSWORDS["claire"] + "\x00"),
        ("\x00", "\x00"),
        ("", ""),
    ],
    ids=["overlong-name", "overlong-password", "nul-name", "nul-password", "nul-both", "empty"],
)
def test_sign_in_answers_the_page_with_its_error_when_the_input_is_hostile(
    console_world: ConsoleWorld, name: str, password: str
) -> None:
    client = console_world.client()
    token = token_of(client.get("/console/sign-in"))
    form = {"name": name, "password": password, "csrf_token": token}
    answer = client.post("/console/sign-in", data=form)
    if len(name) + len(password) > 64 * 1024:
        assert answer.status_code == 413  # MAX_CONTENT_LENGTH: refused before any work
        return
    assert answer.status_code == 401
    page = answer.get_data(as_text=True)
    assert "The name or password is wrong." in page
    assert "\x00" not in page
    assert len(page) < 20_000  # an overlong name is not echoed back whole


@pytest.mark.parametrize(
    "cookie",
    ["forged", "A" * 43, "x" * 4000, "\u00e9t\u00e9", "%00"],
    ids=["short", "well-formed", "overlong", "non-ascii", "nul"],
)
def test_a_forged_session_cookie_leads_to_the_sign_in_page_and_is_dropped(
    console_world: ConsoleWorld, cookie: str
) -> None:
    client = console_world.client()
    client.set_cookie("trustpath_session", cookie, path="/console")
    answer = client.get("/console/")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/console/sign-in")
    assert client.get_cookie("trustpath_session", path="/console") is None


def test_an_expired_session_cookie_leads_to_the_sign_in_page(console_world: ConsoleWorld) -> None:
    client = signed_in(console_world, "claire")
    console_world.clock.advance(hours=9)
    answer = client.get("/console/")
    assert answer.status_code == 303
    assert client.get_cookie("trustpath_session", path="/console") is None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/console/",
        "//evil.example/console/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/console/../principals",
        "/consolexyz",
        "/principals",
        "/console/\r\nSet-Cookie: x=y",
        "/console/" + "a" * 1000,
        "",
    ],
)
def test_sign_in_goes_to_the_console_home_when_next_is_not_a_console_path(
    console_world: ConsoleWorld, target: str
) -> None:
    answer = sign_in(console_world.client(), "claire", PASSWORDS["claire"], target)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/"


def test_sign_in_goes_back_to_the_page_asked_for_when_next_is_a_console_path(
    console_world: ConsoleWorld,
) -> None:
    client = console_world.client()
    sent_away = client.get("/console/?q=norwind")
    assert sent_away.headers["Location"] == "/console/sign-in?next=/console/%3Fq%3Dnorwind"
    page = client.get(sent_away.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/console/?q=norwind"' in page
    answer = sign_in(client, "claire", PASSWORDS["claire"], "/console/?q=norwind")
    assert answer.headers["Location"] == "/console/?q=norwind"


def test_the_next_field_is_escaped_when_it_carries_markup(console_world: ConsoleWorld) -> None:
    page = console_world.client().get('/console/sign-in?next=/console/"><script>x</script>')
    assert "<script>x" not in page.get_data(as_text=True)


def test_an_invitation_link_sets_a_password_once_and_is_refused_when_replayed(
    console_world: ConsoleWorld,
) -> None:
    admin = console_world.people["admin"]
    link = f"/console/invitation/{console_world.accounts.invite(admin)}"
    client = console_world.client()
    form = {"csrf_token": token_of(client.get(link)), "password": "a-new-password-1"}
    answer = client.post(link, data={**form, "confirm": "a-new-password-1"})
    assert answer.status_code == 303
    assert sign_in(console_world.client(), "admin", "a-new-password-1").status_code == 303
    replayed = client.post(
        link, data={**form, "password": "taken-over-pw-2", "confirm": "taken-over-pw-2"}
    )
    assert replayed.status_code == 404
    assert "unknown, already used or expired" in replayed.get_data(as_text=True)
    assert sign_in(console_world.client(), "admin", "taken-over-pw-2").status_code == 401


def test_an_invitation_link_is_refused_when_it_has_expired(console_world: ConsoleWorld) -> None:
    link = f"/console/invitation/{console_world.accounts.invite(console_world.people['claire'], 2)}"
    console_world.clock.advance(days=2, seconds=1)
    assert console_world.client().get(link).status_code == 404


def test_an_invitation_link_refuses_a_short_password_in_words(console_world: ConsoleWorld) -> None:
    link = f"/console/invitation/{console_world.accounts.invite(console_world.people['claire'])}"
    client = console_world.client()
    form = {"csrf_token": token_of(client.get(link)), "password": "short", "confirm": "short"}
    answer = client.post(link, data=form)
    assert answer.status_code == 400
    assert "12 to 256 characters" in answer.get_data(as_text=True)
    assert client.get(link).status_code == 200  # still usable


@pytest.mark.parametrize("token", ["nope", "x" * 5000, "%00", "..%2f..%2fprincipals"])
def test_an_unknown_invitation_link_is_a_404_page(console_world: ConsoleWorld, token: str) -> None:
    answer = console_world.client().get(f"/console/invitation/{token}")
    assert answer.status_code == 404
