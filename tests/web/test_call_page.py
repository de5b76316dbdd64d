"""A call's page and the coordinator's actions on it, request by request.

Each test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from spiders.items import Deadline
from tests.factories import NOW, funding_call
from tests.web.conftest import add_call, edit, load, post, review_log, rows, tag
from tracker import review
from tracker.models import Call, User, utcnow
from tracker.storage import ensure_source, upsert_call
from tracker.vocab import (
    ApplicantType,
    DatePrecision,
    Instrument,
    ReviewAction,
    ReviewState,
    TagOrigin,
)

# --- the call page --------------------------------------------------------------


def rich_call(sessions: sessionmaker[Session]) -> int:
    return add_call(
        sessions,
        call_identifier="HORIZON-HLTH-2027-01",
        programme="Horizon Europe (HORIZON)",
        opening_date=datetime(2027, 1, 1, tzinfo=UTC),
        opening_precision=DatePrecision.MONTH,
        deadlines=[
            Deadline(
                datetime(2027, 3, 14, 23, tzinfo=UTC), "stage 1", DatePrecision.DAY
            ),
            Deadline(datetime(2027, 6, 2, 15, tzinfo=UTC), "stage 2"),
        ],
        budget_amount=Decimal("2500000"),
        budget_currency="EUR",
        description="First paragraph.\n\nSecond <b>paragraph</b>.",
        applicant_types=[ApplicantType.SME, ApplicantType.UNIVERSITY],
        instrument=Instrument.GRANT,
        keywords=["genomics", "CRISPR"],
        problems=["budget given per project"],
    )


def test_call_page_shows_every_field(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    call_id = rich_call(sessions)
    edit(sessions, call_id, missing_since=datetime(2026, 11, 20, 8, tzinfo=UTC))

    # Babel writes numbers with no-break spaces; compare what a reader sees.
    html = re.sub("[\u00a0\u202f]", " ", desk.get(f"/calls/{call_id}").text)

    for text in (
        "European Commission",
        "Horizon Europe (HORIZON)",
        "HORIZON-HLTH-2027-01",
        'href="https://example.org/topic/HORIZON-HLTH-2027-01-TOOL-03"',
        "angielski",  # language
        "styczeń 2027",  # opening date at month precision
        "tylko miesiąc",
        "15 marca 2027 (etap 1)",  # 23:00 UTC is the next day in Warsaw
        "2 czerwca 2027, 17:00 (etap 2)",
        "Warszawa",
        "2 500 000 €",
        "<p>First paragraph.</p>",
        "<p>Second &lt;b&gt;paragraph&lt;/b&gt;.</p>",
        "MŚP",
        "dotacja",
        "genomics, CRISPR",
        "budget given per project",
        "20 listopada 2026, 09:00",  # missing since
        "Potwierdź wycofanie",
    ):
        assert text in html, text


def test_call_page_shows_versions(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    call_id = add_call(sessions, now=NOW)
    with sessions.begin() as session:
        source = ensure_source(
            session, "eu_test", "EU test portal", "Funder", "https://example.org"
        )
        later = funding_call(
            deadlines=[Deadline(datetime(2027, 4, 28, 15, tzinfo=UTC))]
        )
        upsert_call(session, source, later, NOW + timedelta(days=1))

    html = desk.get(f"/calls/{call_id}").text

    assert re.search(
        r"Termin: <s>8 kwietnia 2027, 17:00</s> → <strong>28 kwietnia 2027, 17:00",
        html,
    )


def test_call_page_shows_tags_with_origin_and_evidence(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    call_id = add_call(sessions)
    tag(sessions, call_id, "pharma")
    tag(sessions, call_id, "health")
    with sessions.begin() as session:
        call = session.get(Call, call_id)
        review.remove_tag(session, call, "pharma", None, utcnow())

    html = desk.get(f"/calls/{call_id}").text

    assert "<del>farmacja</del>" in html
    health = html[html.index('data-tag="health"') :].split("</tr>")[0]
    assert "koordynator" in health  # origin
    assert "added by a coordinator" in health  # evidence
    assert "/tags/remove" in health
    option = re.compile(r'<option value="pharma">')
    assert option.search(html)  # a removed tag can be added again


def test_call_page_links_every_source(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    number = "FENG.01.01-IP.01-001/23"
    main = add_call(sessions, source_id="M", call_identifier=number)
    copy = add_call(sessions, source="pl_test", source_id="K", call_identifier=number)
    assert load(sessions, copy).merged_into_id == main

    html = desk.get(f"/calls/{main}").text
    assert f'<a href="/calls/{copy}">Polski portal testowy</a>' in html
    assert f"Połączono: same call number {number}" in html
    assert "nabór główny" in html
    copy_page = desk.get(f"/calls/{copy}").text
    assert f'<a href="/calls/{main}">' in copy_page
    assert "To kopia naboru z innego źródła" in copy_page


def test_unknown_call_is_404(desk: TestClient) -> None:
    response = desk.get("/calls/999999")
    assert response.status_code == 404
    assert "Nic tu nie ma." in response.text


# --- actions --------------------------------------------------------------------


def test_approve_then_undo(desk: TestClient, sessions: sessionmaker[Session]) -> None:
    call_id = add_call(sessions)
    page = f"/calls/{call_id}"

    response = post(desk, f"{page}/decide", decision="approve", next=page)

    assert response.headers["location"] == page
    html = desk.get(page).text
    assert "Zatwierdzono." in html
    assert '<span class="state approved">zatwierdzony</span>' in html
    assert "zatwierdzenie" in html  # the log
    assert call_id not in rows(desk.get("/queue").text)
    (entry,) = review_log(sessions, call_id)
    assert entry.user is not None
    assert entry.user.name == "Anna Nowak"

    post(desk, f"/log/{entry.id}/undo", next=page)

    html = desk.get(page).text
    assert "Cofnięto działanie." in html
    assert "cofnięto" in html and "(Anna Nowak)" in html
    assert load(sessions, call_id).review_state is ReviewState.PENDING
    assert call_id in rows(desk.get("/queue").text)
    post(desk, f"/log/{entry.id}/undo", next=page)  # twice: nothing to undo
    assert "Nie udało się tego zrobić" in desk.get(page).text
    assert post(desk, "/log/999999/undo").status_code == 404


def test_reject(desk: TestClient, sessions: sessionmaker[Session]) -> None:
    call_id = add_call(sessions)
    post(desk, f"/calls/{call_id}/decide", decision="reject")
    assert load(sessions, call_id).review_state is ReviewState.REJECTED
    assert post(desk, f"/calls/{call_id}/decide", decision="x").status_code == 400


def test_retag(desk: TestClient, sessions: sessionmaker[Session]) -> None:
    call_id = add_call(sessions)

    post(desk, f"/calls/{call_id}/tags/add", tag="bioeconomy")
    post(desk, f"/calls/{call_id}/tags/remove", tag="bioeconomy")
    post(desk, f"/calls/{call_id}/tags/add", tag="pharma")

    tags = {t.tag: t for t in load(sessions, call_id).tags}
    assert tags["bioeconomy"].suppressed
    assert not tags["pharma"].suppressed
    assert tags["pharma"].origin is TagOrigin.COORDINATOR
    assert "Dodano tag." in desk.get(f"/calls/{call_id}").text
    kinds = [e.action for e in review_log(sessions, call_id)]
    assert kinds == [
        ReviewAction.TAG_ADD,
        ReviewAction.TAG_REMOVE,
        ReviewAction.TAG_ADD,
    ]

    post(desk, f"/calls/{call_id}/tags/add", tag="astrology")
    assert "Nie udało się tego zrobić" in desk.get(f"/calls/{call_id}").text
    assert len(review_log(sessions, call_id)) == 3


def test_note_internal_deadline_and_pick(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    call_id = add_call(sessions)
    page = f"/calls/{call_id}"

    post(desk, f"{page}/note", note="  Ask <Ewa> about the consortium.  ")
    post(desk, f"{page}/internal-deadline", internal_deadline="2027-03-01")
    post(desk, f"{page}/pick", pick="1")

    call = load(sessions, call_id)
    assert call.note == "Ask <Ewa> about the consortium."
    assert call.internal_deadline.isoformat() == "2027-03-01"  # type: ignore[union-attr]
    assert call.pick
    html = desk.get(page).text
    assert "Ask &lt;Ewa&gt; about the consortium.</textarea>" in html
    assert 'value="2027-03-01"' in html
    assert "— → 1 marca 2027" in html  # the log spells the date out
    assert "Usuń wybór koordynatora" in html

    post(desk, f"{page}/internal-deadline", internal_deadline="1 March")
    assert "Podaj datę w formacie RRRR-MM-DD." in desk.get(page).text
    post(desk, f"{page}/internal-deadline", internal_deadline="")
    post(desk, f"{page}/pick", pick="0")
    call = load(sessions, call_id)
    assert (call.internal_deadline, call.pick) == (None, False)


def test_confirm_withdrawn_only_when_missing(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    call_id = add_call(sessions)
    page = f"/calls/{call_id}"
    assert "Potwierdź wycofanie" not in desk.get(page).text
    post(desk, f"{page}/withdrawn")
    assert load(sessions, call_id).withdrawn_confirmed_at is None

    edit(sessions, call_id, missing_since=utcnow())
    post(desk, f"{page}/withdrawn")

    assert load(sessions, call_id).withdrawn_confirmed_at is not None
    html = desk.get(page).text
    assert "Potwierdzono wycofanie." in html
    assert "Potwierdź wycofanie" not in html


def test_the_log_names_who_acted(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    call_id = add_call(sessions)
    post(desk, f"/calls/{call_id}/tags/add", tag="health")
    with sessions.begin() as session:
        users = session.scalars(select(User)).all()
        assert [u.name for u in users] == ["Anna Nowak"]

    html = desk.get(f"/calls/{call_id}").text

    log = html[html.index('class="log"') :]
    assert "Anna Nowak" in log
    assert "dodanie tagu: zdrowie" in log
