"""Every POST carries the session's CSRF token, or is refused with 403."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.web.conftest import Account, add_call, csrf_token, log_in, make_user, post
from tracker.models import Call, ReviewLog
from tracker.vocab import ReviewState


def post_paths(app: Starlette, call_id: int) -> list[str]:
    """Every POST route of the app, path parameters filled in."""
    # Members' pages (the Mount at /m) take a signed link, no CSRF token:
    # tests/web/test_members.py covers them.
    paths = [
        route.path
        for route in app.routes
        if isinstance(route, Route) and "POST" in (route.methods or ())
    ]
    assert len(paths) >= 11  # a new POST route is covered here automatically
    return [re.sub(r"\{[^}]+\}", str(call_id), path) for path in paths]


def log_entries(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return session.scalar(select(func.count(ReviewLog.id))) or 0


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_every_post_without_a_valid_token_is_refused(
    desk: TestClient,
    app: Starlette,
    sessions: sessionmaker[Session],
    token: str | None,
) -> None:
    call_id = add_call(sessions)
    data = {
        "decision": "approve",
        "tag": "health",
        "note": "x",
        "pick": "1",
        "ids": str(call_id),
    }
    if token is not None:
        data["csrf_token"] = token

    for path in post_paths(app, call_id):
        response = desk.post(path, data=data)
        assert response.status_code == 403, path

    assert log_entries(sessions) == 0
    assert desk.get("/queue").status_code == 200  # still logged in: logout refused too


def test_anonymous_posts_are_refused_too(
    client: TestClient, app: Starlette, coordinator: Account
) -> None:
    for path in post_paths(app, 1):
        assert client.post(path, data={"email": coordinator.email}).status_code == 403
    refused = client.post(
        "/login", data={"email": coordinator.email, "password": coordinator.password}
    )
    assert refused.status_code == 403
    assert client.get("/queue").status_code == 303


def test_the_403_page_explains(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    call_id = add_call(sessions)

    response = desk.post(f"/calls/{call_id}/decide", data={"decision": "approve"})

    assert response.status_code == 403
    assert "Ten formularz wygasł" in response.text


def test_a_token_from_another_session_is_refused(
    desk: TestClient,
    app: Starlette,
    sessions: sessionmaker[Session],
) -> None:
    call_id = add_call(sessions)
    other = make_user(sessions, "zofia@example.org", "Zofia")
    with TestClient(app, follow_redirects=False) as intruder:
        log_in(intruder, other)
        stolen = csrf_token(intruder, "/queue")

    response = desk.post(
        f"/calls/{call_id}/decide", data={"decision": "approve", "csrf_token": stolen}
    )

    assert response.status_code == 403


def test_the_token_changes_at_login(
    client: TestClient, coordinator: Account, sessions: sessionmaker[Session]
) -> None:
    call_id = add_call(sessions)
    before = csrf_token(client)
    log_in(client, coordinator)

    planted = client.post(
        f"/calls/{call_id}/decide", data={"decision": "approve", "csrf_token": before}
    )

    assert planted.status_code == 403


def test_a_valid_token_passes(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    call_id = add_call(sessions)

    response = post(desk, f"/calls/{call_id}/decide", decision="approve", next="/")

    assert response.status_code == 303
    with sessions.begin() as session:
        call = session.get(Call, call_id)
        assert call is not None
        assert call.review_state is ReviewState.APPROVED
