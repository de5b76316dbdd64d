"""The members' pages, request by request: unsubscribe and bad links (the shared
helpers of tests/web/test_member_*.py live here too).

Each test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL,
through the real app (Starlette's TestClient): the same routes, the same
signed links the digests carry (digests.links).
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from digests.links import MemberLinks, member_links
from spiders.items import Deadline
from tests.web.conftest import add_call, edit, tag
from tracker.config import Settings
from tracker.members import add_member
from tracker.models import Member, MemberFeedback
from tracker.tokens import Purpose, make_token, revoke_links

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
DEADLINE = datetime(2031, 3, 14, 15, tzinfo=UTC)

# --- helpers ---------------------------------------------------------------------


def make_member(
    sessions: sessionmaker[Session],
    email: str = "ewa@example.org",
    language: str = "pl",
    **options: Any,
) -> int:
    with sessions.begin() as session:
        member = add_member(
            session, email, "Ewa Kowalska", language, "health,biotech", **options
        )
        return member.id


def member(sessions: sessionmaker[Session], member_id: int) -> Member:
    with sessions.begin() as session:
        found = session.get(Member, member_id)
        assert found is not None
        return found


def links(
    settings: Settings, sessions: sessionmaker[Session], member_id: int
) -> MemberLinks:
    """The member's links as paths, as the desk serves them."""
    return member_links(
        replace(settings, PUBLIC_BASE_URL=""), member(sessions, member_id)
    )


def matching_call(sessions: sessionmaker[Session], **overrides: Any) -> int:
    """A call tagged "health", relevant enough for digests, closing in 2031."""
    fields: dict[str, Any] = {"deadlines": [Deadline(DEADLINE)], **overrides}
    call_id = add_call(sessions, **fields)
    tag(sessions, call_id, "health")
    edit(sessions, call_id, relevance=0.9)
    return call_id


def form_token(client: TestClient, path: str) -> str:
    match = FORM_TOKEN.search(client.get(path).text)
    assert match, f"no form token on {path}"
    return match.group(1)


def feedback_count(sessions: sessionmaker[Session], member_id: int) -> int:
    with sessions.begin() as session:
        query = select(func.count()).where(MemberFeedback.member_id == member_id)
        return int(session.scalar(query) or 0)


@pytest.fixture
def fresh(app: Starlette) -> TestClient:
    """A client with no cookies at all: a mail provider, or a link from an email."""
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def ewa(sessions: sessionmaker[Session]) -> int:
    return make_member(sessions)


# --- unsubscribe -----------------------------------------------------------------


def test_get_asks_and_never_unsubscribes(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    url = links(settings, sessions, ewa).unsubscribe
    for response in (fresh.get(url), fresh.get(url), fresh.head(url)):
        assert response.status_code == 200
    page = fresh.get(url)
    assert "Wypisać się z naszych wiadomości?" in page.text
    assert '<form method="post">' in page.text
    assert "ewa@example.org" in page.text
    assert member(sessions, ewa).unsubscribed_at is None
    assert "set-cookie" not in page.headers
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"


def test_post_unsubscribes_once(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    url = links(settings, sessions, ewa).unsubscribe
    response = fresh.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "Wypisano Cię" in response.text
    first = member(sessions, ewa).unsubscribed_at
    assert first is not None

    again = fresh.post(url, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    assert member(sessions, ewa).unsubscribed_at == first
    assert "Już Cię wypisano" in fresh.get(url).text


def test_rfc8058_one_click_without_cookies_or_csrf(
    app: Starlette, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    # What Gmail or Yahoo send: a bare POST, form-encoded, no cookie, no token.
    url = links(settings, sessions, ewa).unsubscribe
    with TestClient(app) as provider:
        started = time.monotonic()
        response = provider.post(
            url,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 2
    assert "set-cookie" not in response.headers
    assert member(sessions, ewa).unsubscribed_at is not None


def test_one_click_in_multipart_form_data(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    # RFC 8058 allows either encoding of the same body.
    body = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        b"One-Click\r\n--b0undary--\r\n"
    )
    response = fresh.post(
        links(settings, sessions, ewa).unsubscribe,
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert response.status_code == 200
    assert member(sessions, ewa).unsubscribed_at is not None


def test_member_posts_skip_the_desks_csrf_but_desk_posts_do_not(
    desk: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    # A logged-in coordinator's browser still gets no CSRF check on /m/ ...
    url = links(settings, sessions, ewa).unsubscribe
    assert desk.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert member(sessions, ewa).unsubscribed_at is not None
    # ... while the desk's own forms keep theirs.
    call_id = matching_call(sessions)
    assert (
        desk.post(f"/calls/{call_id}/decide", data={"decision": "approve"}).status_code
        == 403
    )


# --- bad links -------------------------------------------------------------------


def bad_urls(
    settings: Settings, sessions: sessionmaker[Session], member_id: int
) -> list[str]:
    good = links(settings, sessions, member_id)
    token = good.unsubscribe.rsplit("/", 1)[1]
    with sessions.begin() as session:
        found = session.get(Member, member_id)
        assert found is not None
        feed_token = make_token(settings.SECRET_KEY, found, Purpose.FEED)
        forged = make_token(
            "another-secret-key-of-sufficient-length!!", found, Purpose.UNSUBSCRIBE
        )
    return [
        f"/m/unsubscribe/{token[:-2]}xx",  # mangled signature
        f"/m/unsubscribe/{feed_token}",  # genuine, but for another purpose
        f"/m/unsubscribe/{forged}",  # signed with another key
        "/m/unsubscribe/nonsense",
        f"/m/preferences/{token}",
        f"/m/calls/{token}",
        f"/m/feed/{token}/atom.xml",
        f"/m/feed/{token}/calendar.ics",
    ]


def test_bad_tokens_get_a_friendly_404_and_change_nothing(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    for url in bad_urls(settings, sessions, ewa):
        response = fresh.get(url)
        assert response.status_code == 404, url
        assert "Ten link nie działa" in response.text
        assert "Traceback" not in response.text
        post = fresh.post(url, data={"List-Unsubscribe": "One-Click"})
        assert post.status_code in (404, 405), url
    assert member(sessions, ewa).unsubscribed_at is None

    english = fresh.get(
        "/m/unsubscribe/nonsense",
        headers={"Accept-Language": "en-GB,en;q=0.9,pl;q=0.5"},
    )
    assert english.status_code == 404
    assert "This link does not work" in english.text
    assert "granty@example.org" in english.text  # where to write instead


def test_revoked_and_deleted_members_links_are_404(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    old = links(settings, sessions, ewa)
    with sessions.begin() as session:
        found = session.get(Member, ewa)
        assert found is not None
        revoke_links(found)
    for url in (old.unsubscribe, old.preferences, old.calls, old.calendar, old.atom):
        assert fresh.get(url).status_code == 404, url
    assert fresh.post(old.unsubscribe).status_code == 404
    assert member(sessions, ewa).unsubscribed_at is None

    new = links(settings, sessions, ewa)
    assert fresh.get(new.preferences).status_code == 200
    with sessions.begin() as session:
        session.delete(session.get(Member, ewa))
    assert fresh.get(new.preferences).status_code == 404


def test_unknown_member_paths_get_the_member_404(fresh: TestClient) -> None:
    response = fresh.get("/m/not-relevant/abc/not-a-number")
    assert response.status_code == 404
    assert "Ten link nie działa" in response.text
    assert "set-cookie" not in response.headers


def test_member_pages_do_not_log_anyone_in(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    fresh.get(links(settings, sessions, ewa).preferences)
    assert fresh.get("/queue").status_code == 303  # still to the login page
