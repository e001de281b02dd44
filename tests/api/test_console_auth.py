"""The console's sign-in, sessions, CSRF and headers, through Flask's test client on a real
SQLite store (the browser suite drives the same forms in Chromium)."""

from __future__ import annotations

import pytest

from api.console.security import CSP
from tests.support.console_world import (
    PASSWORDS,
    ConsoleWorld,
    CountingHasher,
    console_world,
    sign_in,
    signed_in,
    token_of,
)

__all__ = ["console_world"]
WRONG = "The name or password is wrong."


def cookie_header(answer: object, name: str) -> str:
    headers = answer.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]
    return next(h for h in headers if h.startswith(f"{name}="))


def test_sign_in_opens_a_strict_httponly_session_when_the_password_is_right(
    console_world: ConsoleWorld,
) -> None:
    client = console_world.client()
    answer = sign_in(client, "claire", PASSWORDS["claire"], "/console/engagements")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/engagements"
    cookie = cookie_header(answer, "trustpath_session")
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/console"):
        assert flag in cookie
    assert "Secure" not in cookie
    home = client.get("/console/")
    assert home.status_code == 200
    assert "Signed in as <strong>claire</strong>" in home.get_data(as_text=True)


def test_sign_in_sets_a_secure_cookie_when_the_request_came_over_tls(
    console_world: ConsoleWorld,
) -> None:
    client = console_world.client()
    answer = sign_in(client, "claire", PASSWORDS["claire"], base_url="https://localhost")
    assert "Secure" in cookie_header(answer, "trustpath_session")


def test_sign_in_matches_names_whatever_their_case(console_world: ConsoleWorld) -> None:
    answer = sign_in(console_world.client(), "  Claire ", PASSWORDS["claire"])
    assert answer.status_code == 303


def test_sign_in_answers_the_same_words_when_the_name_is_unknown_or_the_password_wrong(
    console_world: ConsoleWorld,
) -> None:
    wrong_password = sign_in(console_world.client("10.0.0.1"), "claire", "not-her-password")
    unknown_name = sign_in(console_world.client("10.0.0.2"), "nobody", "not-her-password")
    pages = []
    for answer, name in ((wrong_password, "claire"), (unknown_name, "nobody")):
        assert answer.status_code == 401
        assert "trustpath_session" not in str(answer.headers.getlist("Set-Cookie"))
        page = answer.get_data(as_text=True)
        assert f'<p class="error" id="signin-error" role="alert">{WRONG}</p>' in page
        pages.append(page.replace(token_of(answer), "").replace(f'value="{name}"', ""))
    assert pages[0] == pages[1]


def test_sign_in_checks_a_dummy_hash_when_the_name_is_unknown(
    console_world: ConsoleWorld,
) -> None:
    hasher = console_world.accounts.hasher
    assert isinstance(hasher, CountingHasher)
    checked = hasher.verified
    sign_in(console_world.client(), "nobody", "some-password-1")
    sign_in(console_world.client(), "claire", "some-password-1")
    assert len(checked) == 2  # the same Argon2 work: one verification each
    assert all(h.startswith("$argon2id$") for h in checked)


def test_sign_in_is_refused_429_after_n_failures_for_one_name_even_with_the_right_password(
    console_world: ConsoleWorld,
) -> None:
    for attempt in range(3):  # SIGNIN_FAILURES_PER_NAME, from three addresses
        assert (
            sign_in(console_world.client(f"10.1.0.{attempt}"), "claire", "wrong-one").status_code
            == 401
        )
    refused = sign_in(console_world.client("10.1.0.9"), "claire", PASSWORDS["claire"])
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert sign_in(console_world.client("10.1.0.9"), "admin", PASSWORDS["admin"]).status_code == 303


def test_sign_in_is_refused_429_after_n_failures_from_one_address(
    console_world: ConsoleWorld,
) -> None:
    client = console_world.client("10.2.0.1")
    for attempt in range(6):  # SIGNIN_FAILURES_PER_ADDRESS, each for another name
        assert sign_in(client, f"guess-{attempt}", "wrong-password").status_code == 401
    assert sign_in(client, "admin", PASSWORDS["admin"]).status_code == 429
    other = console_world.client("10.2.0.2")
    assert sign_in(other, "admin", PASSWORDS["admin"]).status_code == 303


def test_sign_in_does_not_count_successes_toward_the_throttle(
    console_world: ConsoleWorld,
) -> None:
    for _ in range(8):
        assert sign_in(console_world.client(), "admin", PASSWORDS["admin"]).status_code == 303


@pytest.mark.parametrize("token", [None, "", "0" * 64, "deadbeef"])
def test_sign_in_is_refused_403_when_the_csrf_token_is_missing_or_wrong(
    console_world: ConsoleWorld, token: str | None
) -> None:
    client = console_world.client()
    client.get("/console/sign-in")  # the pre-session cookie exists
    form = {"name": "claire", "password": PASSWORDS["claire"]}
    if token is not None:
        form["csrf_token"] = token
    answer = client.post("/console/sign-in", data=form)
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "missing or wrong security token" in page
    assert "cross-site request forgery" in page
    assert "trustpath_session" not in str(answer.headers.getlist("Set-Cookie"))


def test_sign_in_is_refused_403_when_the_form_comes_without_its_pre_session_cookie(
    console_world: ConsoleWorld,
) -> None:
    token = token_of(console_world.client().get("/console/sign-in"))
    form = {"name": "claire", "password": PASSWORDS["claire"], "csrf_token": token}
    assert console_world.client().post("/console/sign-in", data=form).status_code == 403


def test_sign_out_is_refused_403_when_the_token_is_another_sessions(
    console_world: ConsoleWorld,
) -> None:
    claire, admin = signed_in(console_world, "claire"), signed_in(console_world, "admin")
    admins_token = token_of(admin.get("/console/"))
    answer = claire.post("/console/sign-out", data={"csrf_token": admins_token})
    assert answer.status_code == 403
    assert claire.get("/console/").status_code == 200  # still signed in


def test_sign_out_ends_the_session_so_its_cookie_opens_nothing(
    console_world: ConsoleWorld,
) -> None:
    client = signed_in(console_world, "claire")
    session = client.get_cookie("trustpath_session", path="/console")
    assert session is not None
    answer = client.post(
        "/console/sign-out", data={"csrf_token": token_of(client.get("/console/"))}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/sign-in"
    assert client.get_cookie("trustpath_session", path="/console") is None
    replayed = console_world.client()
    replayed.set_cookie("trustpath_session", session.value, path="/console")
    assert replayed.get("/console/").status_code == 303


def test_sign_out_of_an_expired_session_goes_to_the_sign_in_page_without_a_403(
    console_world: ConsoleWorld,
) -> None:
    client = signed_in(console_world, "claire")
    token = token_of(client.get("/console/"))
    console_world.clock.advance(hours=1)
    answer = client.post("/console/sign-out", data={"csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/sign-in"


def test_signing_in_again_ends_the_previous_session(console_world: ConsoleWorld) -> None:
    client = signed_in(console_world, "claire")
    first = client.get_cookie("trustpath_session", path="/console")
    assert first is not None
    page = client.get("/console/sign-in")
    form = {"name": "admin", "password": PASSWORDS["admin"], "csrf_token": token_of(page)}
    assert client.post("/console/sign-in", data=form).status_code == 303
    old = console_world.client()
    old.set_cookie("trustpath_session", first.value, path="/console")
    assert old.get("/console/").status_code == 303


def test_session_cookie_is_secure_when_the_setting_says_so(
    console_world: ConsoleWorld,
) -> None:
    console_world.flask.config["CONSOLE_SECURE_COOKIES"] = True
    answer = sign_in(console_world.client(), "claire", PASSWORDS["claire"])
    assert "Secure" in cookie_header(answer, "trustpath_session")


def test_session_ends_when_idle_longer_than_allowed(console_world: ConsoleWorld) -> None:
    client = signed_in(console_world, "claire")
    console_world.clock.advance(minutes=29)
    assert client.get("/console/").status_code == 200  # in use: the idle clock restarts
    console_world.clock.advance(minutes=29)
    assert client.get("/console/").status_code == 200
    console_world.clock.advance(minutes=31)
    answer = client.get("/console/")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/sign-in?next=/console/"


def test_session_ends_at_its_absolute_expiry_even_when_in_use(
    console_world: ConsoleWorld,
) -> None:
    client = signed_in(console_world, "claire")
    for _ in range(16):  # 8 hours, a page every 29 minutes
        console_world.clock.advance(minutes=29)
        assert client.get("/console/").status_code == 200
    console_world.clock.advance(minutes=29)
    assert client.get("/console/").status_code == 303


def test_revoking_a_principal_ends_its_open_session_at_once(console_world: ConsoleWorld) -> None:
    client = signed_in(console_world, "claire")
    assert client.get("/console/").status_code == 200
    admin = {"Authorization": f"Bearer {console_world.tokens['admin']}"}
    claire_id = console_world.people["claire"].id
    api = console_world.client()
    assert api.post(f"/principals/{claire_id}/revoke", headers=admin).status_code in (200, 204)
    assert client.get("/console/").status_code == 303
    assert sign_in(console_world.client(), "claire", PASSWORDS["claire"]).status_code == 401


@pytest.mark.parametrize(
    "path", ["/console/sign-in", "/console/", "/console/static/console.css", "/console/nowhere"]
)
def test_console_responses_carry_the_security_headers(
    console_world: ConsoleWorld, path: str
) -> None:
    answer = signed_in(console_world, "admin").get(path)
    answer.close()  # a static file is streamed
    assert answer.headers["Content-Security-Policy"] == CSP
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["X-Frame-Options"] == "DENY"
    if not path.startswith("/console/static/"):
        assert answer.headers["Cache-Control"] == "no-store"


def test_bearer_tokens_keep_working_for_programs_and_a_session_cookie_is_not_one(
    console_world: ConsoleWorld,
) -> None:
    token = console_world.tokens["admin"]
    api = console_world.client()
    assert api.get("/principals", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    browser = signed_in(console_world, "admin")
    assert browser.get("/principals").status_code == 401


def test_root_sends_people_to_the_console(console_world: ConsoleWorld) -> None:
    answer = console_world.client().get("/")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/"
