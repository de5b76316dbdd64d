"""The queue, the sources page, languages and untrusted text, request by request.

Each test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from spiders.items import Deadline
from tests.web.conftest import (
    add_call,
    edit,
    load,
    make_user,
    post,
    review_log,
    rows,
    tag,
)
from tracker.models import Call, CrawlRun, utcnow
from tracker.vocab import CrawlOutcome, ReviewState
from tracker.web.views import queue as queue_view

XSS = "<script>alert(1)</script>"


# --- the queue ----------------------------------------------------------------


def test_queue_most_relevant_first_picks_on_top(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    low, high, middle, picked = (
        add_call(sessions, source_id=f"C{i}") for i in range(4)
    )
    for call_id, relevance in ((low, 0.1), (high, 0.9), (middle, 0.5), (picked, 0.2)):
        edit(sessions, call_id, relevance=relevance)
    edit(sessions, picked, pick=True)

    assert rows(desk.get("/queue").text) == [picked, high, middle, low]


def test_queue_row(desk: TestClient, sessions: sessionmaker[Session]) -> None:
    call_id = add_call(sessions, funder="Narodowe Centrum Badań i Rozwoju")
    edit(sessions, call_id, relevance=0.75, pick=True)
    tag(sessions, call_id, "health")

    html = desk.get("/queue").text

    row = html[html.index(f'<tr data-call="{call_id}"') :].split("</tr>")[0]
    assert "Biotechnology tools for personalised medicine" in row
    assert "Narodowe Centrum Badań i Rozwoju · EU test portal" in row
    assert "otwarty" in row  # status
    assert "8 kwietnia 2027, 17:00" in row  # next deadline, Warsaw time
    assert '<span class="tag">zdrowie</span>' in row
    assert "0,75" in row
    assert "do przejrzenia" in row
    assert "★" in row
    assert f'name="ids" value="{call_id}"' in row


def test_queue_filters(desk: TestClient, sessions: sessionmaker[Session]) -> None:
    soon = utcnow() + timedelta(days=10)
    eu = add_call(sessions, source_id="EU-1", deadlines=[Deadline(soon)])
    pl = add_call(
        sessions, source="pl_test", source_id="PL-1", title="Bony na innowacje"
    )
    closed = add_call(
        sessions,
        source_id="EU-OLD",
        deadlines=[Deadline(datetime(2026, 1, 10, tzinfo=UTC))],
        opening_date=datetime(2025, 10, 1, tzinfo=UTC),
    )
    tag(sessions, pl, "agrifood")

    def shown(query: str) -> set[int]:
        return set(rows(desk.get(f"/queue?{query}").text))

    assert shown("") == {eu, pl, closed}
    assert shown("source=pl_test") == {pl}
    assert shown("tag=agrifood") == {pl}
    assert shown("status=closed") == {closed}
    assert shown("within=14") == {eu}
    assert shown("q=innowacje") == {pl}
    assert shown("q=EU-OLD") == {closed}
    assert shown("source=nowhere&status=bogus&tag=bogus&within=x") == set()
    assert shown("status=bogus&tag=bogus&within=x") == {eu, pl, closed}


def test_queue_shows_decided_calls_only_when_asked(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    waiting, approved = (
        add_call(sessions, source_id="A"),
        add_call(sessions, source_id="B"),
    )
    edit(sessions, approved, review_state=ReviewState.APPROVED, needs_review=False)

    assert set(rows(desk.get("/queue").text)) == {waiting}
    everything = desk.get("/queue?filtered=1").text  # the box unticked
    assert set(rows(everything)) == {waiting, approved}
    assert 'name="review" value="1" checked' not in everything
    assert set(rows(desk.get("/queue?filtered=1&state=approved").text)) == {approved}


def test_queue_pages(
    desk: TestClient, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_view, "PAGE_SIZE", 2)
    ids = [add_call(sessions, source_id=f"P{i}") for i in range(3)]
    for call_id, relevance in zip(ids, (0.9, 0.8, 0.7), strict=True):
        edit(sessions, call_id, relevance=relevance)

    first = desk.get("/queue?source=eu_test").text
    assert rows(first) == ids[:2]
    assert "1–2 z 3" in first
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert next_link
    second = desk.get(next_link.group(1).replace("&amp;", "&")).text
    assert rows(second) == ids[2:]
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second


def test_bulk_approve_and_reject(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    a, b, c = (add_call(sessions, source_id=f"B{i}") for i in range(3))

    response = post(
        desk, "/queue/bulk", decision="approve", ids=[str(a), str(b)], next="/queue"
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/queue"
    page = desk.get("/queue").text
    assert "Zatwierdzono 2 nabory." in page
    assert rows(page) == [c]
    post(desk, "/queue/bulk", decision="reject", ids=str(c))
    assert load(sessions, c).review_state is ReviewState.REJECTED
    assert [e.user.name for e in review_log(sessions, a) if e.user] == ["Anna Nowak"]
    assert post(desk, "/queue/bulk", decision="delete", ids=str(a)).status_code == 400


# --- sources, languages, untrusted text -----------------------------------------


def test_sources_page(desk: TestClient, sessions: sessionmaker[Session]) -> None:
    call_id = add_call(sessions)
    edit(sessions, call_id, missing_since=utcnow())
    now = utcnow()
    with sessions.begin() as session:
        source = session.get(Call, call_id).source  # type: ignore[union-attr]
        session.add(
            CrawlRun(
                source=source,
                started_at=now - timedelta(minutes=5),
                finished_at=now,
                outcome=CrawlOutcome.FAILED,
                errors=1,
                messages=["HTTP 503 on the listing"],
            )
        )

    html = desk.get("/sources").text

    row = html[html.index('data-source="eu_test"') :].split("</tr>")[0]
    assert "EU test portal" in row
    assert "nigdy" in row  # no successful crawl
    assert re.findall(r"<td>(\d+)</td>", row) == ["1", "1", "1"]
    assert "HTTP 503 on the listing" in row
    assert "ostatnie pobranie nieudane" in row


def test_english_interface(desk: TestClient, sessions: sessionmaker[Session]) -> None:
    call_id = add_call(sessions)
    make_user(sessions, "john@example.org", "John", "en")

    html = desk.get(f"/calls/{call_id}?lang=en").text

    assert '<html lang="en">' in html
    assert "Approve" in html and "Zatwierdź" not in html
    assert "8 April 2027, 17:00" in html
    assert "Review queue" in desk.get("/queue").text


def test_scraped_markup_is_shown_as_text(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    call_id = add_call(sessions, title=XSS, funder=XSS, description=XSS)

    for path in ("/queue", f"/calls/{call_id}"):
        response = desk.get(path)
        assert XSS not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
        policy = response.headers["content-security-policy"]
        assert "script-src 'nonce-" in policy
        assert "unsafe-inline" not in policy


def test_javascript_urls_are_not_links(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    call_id = add_call(sessions)
    edit(sessions, call_id, url="javascript:alert(1)")

    html = desk.get(f"/calls/{call_id}").text

    assert 'href="javascript:' not in html
