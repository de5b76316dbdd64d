"""Login, logout, sessions and cookies; the desk refuses unsafe settings."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

import tracker.cli.web as web_cli
from tests.web.conftest import (
    SECRET,
    Account,
    csrf_token,
    log_in,
    make_user,
    post,
)
from tracker.config import Settings
from tracker.users import add_user, deactivate_user
from tracker.web import WebConfigError, create_app
from tracker.web.app import SESSION_COOKIE
from tracker.web.pages import safe_next

PAGES = ["/queue", "/calls/1", "/sources", "/queue?source=eu_test"]


def session_cookie(response: Any) -> str:
    cookies = [
        v for v in response.headers.get_list("set-cookie") if SESSION_COOKIE in v
    ]
    assert cookies, "no session cookie set"
    return cookies[-1].lower()


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_login(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_the_login_page_is_open_and_polish_by_default(client: TestClient) -> None:
    response = client.get("/login")

    assert response.status_code == 200
    assert '<html lang="pl">' in response.text
    assert "Zaloguj się" in response.text
    assert 'name="csrf_token"' in response.text


def test_login_leads_to_the_page_asked_for(
    client: TestClient, coordinator: Account
) -> None:
    asked = client.get("/sources").headers["location"]
    assert asked == "/login?next=%2Fsources"
    token = csrf_token(client, asked)

    response = client.post(
        "/login",
        data={
            "email": "ANNA@example.org",
            "password": coordinator.password,
            "csrf_token": token,
            "next": "/sources",
        },
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/sources"
    assert client.get("/sources").status_code == 200


def test_session_cookie_is_httponly_and_samesite(
    client: TestClient, coordinator: Account
) -> None:
    cookie = session_cookie(log_in(client, coordinator))

    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http here: WEB_SECURE_COOKIES=false


def test_secure_cookies_over_https(
    sessions: sessionmaker[Session], coordinator: Account
) -> None:
    settings = Settings(SECRET_KEY=SECRET, WEB_SECURE_COOKIES="true")
    app = create_app(sessions, settings, login_delay=0)
    with TestClient(
        app, base_url="https://testserver", follow_redirects=False
    ) as client:
        cookie = session_cookie(log_in(client, coordinator))
        assert "; secure" in cookie
        assert client.get("/queue").status_code == 200


def test_failed_logins_look_the_same(client: TestClient, coordinator: Account) -> None:
    wrong_password = log_in(client, coordinator, password="wrong password!")
    unknown = log_in(client, Account(0, "nobody@example.org"))

    for response in (wrong_password, unknown):
        assert response.status_code == 400
        assert "Nieprawidłowy e-mail lub hasło." in response.text
    assert client.get("/queue").status_code == 303
    strip = [("anna@example.org", ""), ("nobody@example.org", "")]
    texts = [wrong_password.text, unknown.text]
    for old, new in strip:
        texts = [t.replace(old, new) for t in texts]
    # Apart from the echoed email and the per-response nonce, nothing differs.
    assert len(texts[0]) == len(texts[1])


def test_failed_logins_are_slowed_down(
    sessions: sessionmaker[Session], settings: Settings, coordinator: Account
) -> None:
    app = create_app(sessions, settings, login_delay=0.3)
    with TestClient(app, follow_redirects=False) as client:
        started = time.monotonic()
        assert (
            log_in(client, coordinator, password="wrong password!").status_code == 400
        )
        assert time.monotonic() - started >= 0.3


def test_logout_is_a_post_and_ends_the_session(desk: TestClient) -> None:
    assert desk.get("/logout").status_code == 405

    response = post(desk, "/logout")

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert desk.get("/queue").status_code == 303
    assert "Wylogowano." in desk.get("/login").text


def test_deactivating_ends_the_session(
    desk: TestClient, sessions: sessionmaker[Session], coordinator: Account
) -> None:
    assert desk.get("/queue").status_code == 200
    with sessions.begin() as session:
        deactivate_user(session, coordinator.email)

    assert desk.get("/queue").status_code == 303


def test_a_new_password_ends_old_sessions(
    desk: TestClient, sessions: sessionmaker[Session], coordinator: Account
) -> None:
    with sessions.begin() as session:
        add_user(session, coordinator.email, "Anna", "pl", "a changed password")

    assert desk.get("/queue").status_code == 303


def test_a_forged_cookie_is_ignored(
    client: TestClient, coordinator: Account, sessions: sessionmaker[Session]
) -> None:
    other = make_user(sessions, "zofia@example.org", "Zofia")
    log_in(client, coordinator)
    payload, signature = client.cookies[SESSION_COOKIE].split(".", 1)
    data = json.loads(base64.b64decode(payload))
    data["uid"] = other.id  # become someone else, keeping the old signature
    forged = base64.b64encode(json.dumps(data).encode()).decode()
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, f"{forged}.{signature}")

    assert client.get("/queue").status_code == 303


def test_language_follows_the_user_and_can_be_switched(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    english = make_user(sessions, "john@example.org", "John", "en")
    log_in(client, english)

    assert "Review queue" in client.get("/queue").text
    polish = client.get("/queue?lang=pl").text
    assert '<html lang="pl">' in polish
    assert "Kolejka przeglądu" in polish
    assert "Kolejka przeglądu" in client.get("/sources").text  # the choice stays


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/calls/3?x=1", "/calls/3?x=1"),
        ("https://evil.example/", "/queue"),
        ("//evil.example/", "/queue"),
        ("/\\evil.example", "/queue"),
        ("javascript:alert(1)", "/queue"),
        (None, "/queue"),
    ],
)
def test_redirects_stay_on_the_desk(value: object, expected: str) -> None:
    assert safe_next(value, "/queue") == expected


def test_no_start_without_a_secret_key(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(WebConfigError, match="SECRET_KEY is empty"):
        create_app(sessions, Settings(SECRET_KEY=""))
    with pytest.raises(WebConfigError, match="too short"):
        create_app(sessions, Settings(SECRET_KEY="short"))
    with pytest.raises(WebConfigError, match="WEB_SECURE_COOKIES"):
        create_app(sessions, Settings(SECRET_KEY=SECRET, WEB_SECURE_COOKIES="yes"))
    assert create_app(sessions, Settings(SECRET_KEY=""), dev=True) is not None


def test_grants_web_refuses_an_empty_secret_key(
    monkeypatch: pytest.MonkeyPatch, sessions: sessionmaker[Session]
) -> None:
    served: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: served.append(kw))
    monkeypatch.setattr(web_cli, "session_factory", lambda: sessions)
    monkeypatch.setattr(web_cli, "get_settings", lambda: Settings(SECRET_KEY=""))
    runner = CliRunner()

    refused = runner.invoke(web_cli.web, [])
    assert refused.exit_code == 1
    assert "SECRET_KEY is empty" in refused.output
    assert served == []

    started = runner.invoke(web_cli.web, ["--dev", "--port", "8123"])
    assert started.exit_code == 0, started.output
    assert served == [
        {"host": "127.0.0.1", "port": 8123, "proxy_headers": True, "log_level": "info"}
    ]
