"""What members see of the calls: "not relevant" (and the desk's count of it),
the full list, and the private Atom and iCalendar feeds.

Each test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree import ElementTree

import feedparser
import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from digests.build import CallItem
from digests.feeds import build_atom
from digests.formatting import Formatter
from digests.links import member_links
from spiders.items import Deadline
from tests.web import test_members as shared
from tests.web.conftest import add_call, edit, tag
from tests.web.test_members import (
    DEADLINE,
    feedback_count,
    links,
    make_member,
    matching_call,
    member,
)
from tracker.config import Settings
from tracker.models import Member
from tracker.tokens import Purpose, make_token
from tracker.vocab import CallStatus

# The shared fixtures: a cookie-less client and a Polish member.
fresh = shared.fresh
ewa = shared.ewa


# --- "not relevant" and the full list --------------------------------------------


def test_not_relevant_is_confirmed_then_recorded_once_and_shown_at_the_desk(
    fresh: TestClient,
    desk: TestClient,
    sessions: sessionmaker[Session],
    settings: Settings,
    ewa: int,
) -> None:
    call_id = matching_call(sessions)
    url = links(settings, sessions, ewa).not_relevant(call_id)
    page = fresh.get(url)
    assert page.status_code == 200
    assert "Biotechnology tools for personalised medicine" in page.text
    assert "Nieistotny dla mnie" in page.text
    assert feedback_count(sessions, ewa) == 0
    assert "Nikt z klastra nie oznaczył" in desk.get(f"/calls/{call_id}").text

    for _ in range(2):
        response = fresh.post(url)
        assert response.status_code == 200
        assert "Dziękujemy" in response.text
    assert feedback_count(sessions, ewa) == 1
    assert "Ten nabór oznaczono już jako nieistotny" in fresh.get(url).text

    make_member(sessions, "jan@example.org", organisation="UMCS")
    with sessions.begin() as session:
        jan = session.scalar(select(Member).where(Member.email == "jan@example.org"))
        assert jan is not None
        jan_token = make_token(settings.SECRET_KEY, jan, Purpose.FEEDBACK)
    assert fresh.post(f"/m/not-relevant/{jan_token}/{call_id}").status_code == 200

    call_page = desk.get(f"/calls/{call_id}").text
    assert "2 osoby z klastra uznały ten nabór za nieistotny" in call_page
    assert "Ewa Kowalska" in call_page and "(UMCS)" in call_page

    assert (
        fresh.get(links(settings, sessions, ewa).not_relevant(999999)).status_code
        == 404
    )
    # A feedback link is no unsubscribe link, nor the other way round.
    unsubscribe_token = links(settings, sessions, ewa).unsubscribe.rsplit("/", 1)[1]
    assert (
        fresh.post(f"/m/not-relevant/{unsubscribe_token}/{call_id}").status_code == 404
    )


def test_full_list_shows_matches_with_why_and_a_not_relevant_link(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    shown = matching_call(sessions)
    dismissed = matching_call(
        sessions, source_id="OTHER", title="Clinical trials network"
    )
    hidden = add_call(
        sessions,
        source_id="AGRI",
        title="Soil and water",
        description="Irrigation of fields.",
        deadlines=[Deadline(DEADLINE)],
    )
    tag(sessions, hidden, "agrifood")
    edit(sessions, hidden, relevance=0.9)
    urls = links(settings, sessions, ewa)
    fresh.post(urls.not_relevant(dismissed))

    page = fresh.get(urls.calls)
    assert page.status_code == 200
    html = page.text
    assert f'data-call="{shown}"' in html and f'data-call="{dismissed}"' in html
    assert f'data-call="{hidden}"' not in html
    assert "Biotechnology tools for personalised medicine" in html
    assert "14 marca 2031" in html  # the deadline, in Polish, Warsaw time
    assert re.search(r'<span class="why">[^<]*zdrowie', html)  # why it matched
    assert f'href="{urls.not_relevant(shown)}"' in html
    assert f'href="{urls.not_relevant(dismissed)}"' not in html
    assert "Ten nabór oznaczono jako nieistotny dla Ciebie." in html
    assert 'href="https://example.org/topic/' in html


# --- feeds -----------------------------------------------------------------------


def test_atom_feed_parses_with_one_entry_per_match(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    first = matching_call(sessions)
    second = matching_call(sessions, source_id="TWO", title="Vaccines & <antigens>")
    edit(sessions, second, updated_at=datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC))
    url = links(settings, sessions, ewa).atom
    response = fresh.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.headers["cache-control"] == "private, max-age=600"
    assert "set-cookie" not in response.headers

    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert_atom_requirements(response.content)
    absolute = member_links(settings, member(sessions, ewa))
    assert feed.feed.id == absolute.atom
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [
        absolute.atom
    ]
    assert "Ewa Kowalska" in feed.feed.title
    entries = {e.id: e for e in feed.entries}
    assert set(entries) == {
        f"tag:localhost,2026:call/{first}",
        f"tag:localhost,2026:call/{second}",
    }
    entry = entries[f"tag:localhost,2026:call/{second}"]
    assert entry.title == "Vaccines & <antigens>"
    assert entry.link.startswith("https://example.org/topic/")
    assert entry.updated == "2030-05-06T07:08:09Z"
    assert "Termin: 14 marca 2031" in entry.summary
    assert "zdrowie" in entry.summary
    assert "health" in [t.term for t in entry.tags]

    again = fresh.get(url, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_calendar_feed_parses(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    call_id = matching_call(sessions)
    response = fresh.get(links(settings, sessions, ewa).calendar)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["cache-control"] == "private, max-age=600"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert "Biotechnology tools for personalised medicine" in str(event["SUMMARY"])
    # One UID per call and cut-off, from the sender's domain (digests.ics).
    assert str(event["UID"]) == f"{call_id}-20310314T150000Z@example.org"
    assert event.decoded("DTSTART") == DEADLINE
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Warsaw"


def test_feeds_follow_the_members_interests(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings
) -> None:
    matching_call(sessions)
    jan = make_member(sessions, "jan@example.org")
    with sessions.begin() as session:
        found = session.get(Member, jan)
        assert found is not None
        found.interests = ["agrifood"]
    urls = links(settings, sessions, jan)
    feed = feedparser.parse(fresh.get(urls.atom).content)
    assert not feed.bozo and feed.entries == []
    calendar = icalendar.Calendar.from_ical(fresh.get(urls.calendar).content)
    assert list(calendar.walk("VEVENT")) == []


def assert_atom_requirements(body: bytes) -> None:
    """What RFC 4287 requires of a feed and each entry, beyond well-formedness."""
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ElementTree.fromstring(body)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for name in ("a:id", "a:title", "a:updated", "a:author/a:name"):
        assert len(root.findall(name, ns)) == 1, name
    assert root.find("a:link[@rel='self']", ns) is not None
    for entry in root.findall("a:entry", ns):
        for name in ("a:id", "a:title", "a:updated", "a:summary"):
            assert len(entry.findall(name, ns)) == 1, name
        # No atom:content, so an alternate link is required (4.1.2).
        assert entry.find("a:link[@rel='alternate']", ns) is not None


def test_atom_builder_survives_what_scrapers_bring() -> None:
    # A vertical tab and a NUL cannot be carried by XML 1.0 at all.
    now = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    item = CallItem(
        id=7,
        title="Grant\x0b for\x00 bio",
        funder="NCBR",
        programme=None,
        url="javascript:alert(1)",
        status=CallStatus.OPEN,
        opening_date=None,
        deadline=None,
        budget_amount=None,
        budget_currency=None,
        matched_tags=("health",),
    )
    fmt = Formatter("en", "Europe/Warsaw", now)
    url = "https://granty.example.org/m/feed/abc/atom.xml"
    body = build_atom(
        [item], member_name="Jan", feed_url=url, now=now, fmt=fmt, updated={}, title="T"
    )
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert_atom_requirements(body)
    (entry,) = feed.entries
    assert entry.title == "Grant for bio"
    assert entry.id == "tag:granty.example.org,2026:call/7"
    assert entry.link == url  # never a javascript: link
    assert entry.summary == "Deadline: not given · Matches: health · NCBR"
    assert feed.feed.updated == "2031-01-02T03:04:05Z"

    empty = feedparser.parse(
        build_atom(
            [], member_name="Jan", feed_url=url, now=now, fmt=fmt, updated={}, title="T"
        )
    )
    assert not empty.bozo and empty.entries == []
    assert empty.feed.title == "T · Jan"
