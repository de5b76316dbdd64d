"""What goes into a digest, on SQLite and PostgreSQL (savepoint per test)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from digests.build import OTHER_LIMIT, DigestContext, FieldChange, build_digest
from tests.digests import factories as f
from tests.digests.factories import NOW, PERIOD
from tracker.vocab import CallStatus

TZ = "Europe/Warsaw"


def build(session: Session, member=None) -> DigestContext:
    member = member or f.member(session)
    return build_digest(session, member, PERIOD, NOW, TZ)


def titles(items) -> list[str]:
    return [item.title for item in items]


def test_sections_are_disjoint_and_filled_from_dates(db_session: Session) -> None:
    f.call(db_session, "new", first_seen=NOW - timedelta(days=2))
    changed = f.call(db_session, "changed")
    f.version(
        db_session,
        changed,
        NOW - timedelta(days=1),
        deadlines=(["2026-12-01T16:00:00+00:00"], ["2027-01-22T16:00:00+00:00"]),
    )
    f.call(db_session, "soon", deadlines=[NOW + timedelta(days=5)])
    f.call(db_session, "later")

    context = build(db_session)

    assert titles(context.new) == ["Call new"]
    assert titles(context.changed) == ["Call changed"]
    assert context.changed[0].changes == (
        FieldChange(
            "deadlines", ["2026-12-01T16:00:00+00:00"], ["2027-01-22T16:00:00+00:00"]
        ),
    )
    assert titles(context.closing_soon) == ["Call soon"]
    assert titles(context.other) == ["Call later"]
    assert context.sections == ("new", "changed", "closing_soon", "other")
    assert context.call_count == 4


def test_only_calls_tagged_with_the_members_interests(db_session: Session) -> None:
    f.call(db_session, "health", tags=["health", "biotech"])
    f.call(db_session, "environment", tags=["environment"])
    member = f.member(db_session, interests=["health", "pharma"])

    context = build(db_session, member)

    assert titles(context.other) == ["Call health"]
    assert context.other[0].matched_tags == ("health",)


def test_status_comes_from_dates_not_from_the_stored_flag(db_session: Session) -> None:
    # Stored "open" but every deadline passed: closed, not shown.
    f.call(db_session, "stale-open", deadlines=[NOW - timedelta(days=1)])
    # Stored "closed" but a deadline is ahead: shown as open.
    f.call(db_session, "stale-closed", status=CallStatus.CLOSED)
    # Opens next week: shown as forthcoming.
    f.call(db_session, "coming", opening_date=NOW + timedelta(days=10))

    context = build(db_session)

    statuses = {item.title: item.status for item in context.other}
    assert statuses == {
        "Call stale-closed": CallStatus.OPEN,
        "Call coming": CallStatus.FORTHCOMING,
    }


def test_next_deadline_skips_past_cut_offs(db_session: Session) -> None:
    f.call(
        db_session,
        "two-stage",
        deadlines=[NOW - timedelta(days=3), NOW + timedelta(days=4)],
    )

    context = build(db_session)

    (item,) = context.closing_soon
    assert item.deadline is not None
    assert item.deadline.at == NOW + timedelta(days=4)


def test_call_without_dates_is_open_and_listed_last(db_session: Session) -> None:
    f.call(db_session, "a-undated", deadlines=[])
    f.call(db_session, "b-dated")

    context = build(db_session)

    assert titles(context.other) == ["Call b-dated", "Call a-undated"]
    assert context.other[1].deadline is None
    assert context.other[1].status is CallStatus.OPEN


def test_other_calls_are_capped_with_a_count_of_the_rest(db_session: Session) -> None:
    for n in range(OTHER_LIMIT + 3):
        f.call(db_session, f"c{n:02d}", deadlines=[NOW + timedelta(days=30 + n)])

    context = build(db_session)

    assert titles(context.other) == [f"Call c{n:02d}" for n in range(OTHER_LIMIT)]
    assert context.other_more == 3
    assert context.call_count == OTHER_LIMIT + 3


def test_changes_are_netted_over_the_window(db_session: Session) -> None:
    back_and_forth = f.call(db_session, "back")
    f.version(db_session, back_and_forth, NOW - timedelta(days=3), title=("A", "B"))
    f.version(db_session, back_and_forth, NOW - timedelta(days=2), title=("B", "A"))
    twice = f.call(db_session, "twice")
    f.version(
        db_session, twice, NOW - timedelta(days=3), budget=("1.00 EUR", "2.00 EUR")
    )
    f.version(
        db_session, twice, NOW - timedelta(days=2), budget=("2.00 EUR", "3.00 EUR")
    )
    before = f.call(db_session, "before")
    f.version(db_session, before, NOW - timedelta(days=9), title=("X", "Y"))

    context = build(db_session)

    assert titles(context.changed) == ["Call twice"]
    assert context.changed[0].changes == (
        FieldChange("budget", "1.00 EUR", "3.00 EUR"),
    )
    assert {"Call back", "Call before"} <= set(titles(context.other))


def test_a_member_without_matching_calls_gets_an_empty_digest(
    db_session: Session,
) -> None:
    f.call(db_session, "environment", tags=["environment"])
    member = f.member(db_session, interests=["health"])

    context = build(db_session, member)

    assert context.is_empty
    assert context.sections == ()


def test_window_reaches_back_seven_days_from_a_monday_send(
    db_session: Session,
) -> None:
    # Seen on Tuesday of the previous ISO week: still news on Monday morning.
    f.call(db_session, "tuesday", first_seen=NOW - timedelta(days=6))
    f.call(db_session, "older", first_seen=NOW - timedelta(days=8))

    context = build(db_session)

    assert titles(context.new) == ["Call tuesday"]
    assert context.since == NOW - timedelta(days=7)


def test_titles_lose_line_breaks(db_session: Session) -> None:
    f.call(db_session, "multi", title="  Line one\n  line two ")

    context = build(db_session)

    assert titles(context.other) == ["Line one line two"]
