"""What goes into a digest, on SQLite and PostgreSQL (savepoint per test)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from digests.build import (
    SECTION_LIMIT,
    SECTIONS,
    Deadline,
    DigestContext,
    FieldChange,
    build_digest,
    matching_calls,
    wants_digest,
)
from tests.digests import factories as f
from tests.digests.factories import NOW, PERIOD
from tracker.vocab import ApplicantType, CallStatus, DatePrecision, Frequency

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
    f.call(db_session, "coming", opening_date=NOW + timedelta(days=20))
    f.call(db_session, "later")
    f.call(db_session, "picked", pick=True, first_seen=NOW - timedelta(days=1))

    context = build(db_session)

    assert titles(context.new) == ["Call new"]
    assert titles(context.changed) == ["Call changed"]
    assert context.changed[0].changes == (
        FieldChange(
            "deadlines", ["2026-12-01T16:00:00+00:00"], ["2027-01-22T16:00:00+00:00"]
        ),
    )
    assert titles(context.closing_soon) == ["Call soon"]
    assert titles(context.forthcoming) == ["Call coming"]
    assert titles(context.other) == ["Call later"]
    # A pick is featured even when it is also new.
    assert titles(context.picks) == ["Call picked"]
    assert context.sections == SECTIONS
    assert context.call_count == 6
    assert len({item.id for item in context.items}) == 6


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

    statuses = {item.title: item.status for item in context.items}
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


def test_every_section_is_capped_with_a_count_of_the_rest(db_session: Session) -> None:
    for n in range(SECTION_LIMIT + 3):
        f.call(db_session, f"c{n:02d}", deadlines=[NOW + timedelta(days=30 + n)])
    for n in range(SECTION_LIMIT + 1):
        f.call(db_session, f"n{n:02d}", first_seen=NOW - timedelta(days=1))
    f.call(db_session, "soon", deadlines=[NOW + timedelta(days=3)])

    context = build(db_session)

    assert titles(context.other) == [f"Call c{n:02d}" for n in range(SECTION_LIMIT)]
    assert len(context.new) == SECTION_LIMIT
    assert dict(context.more) == {"other": 3, "new": 1}
    assert context.call_count == 2 * SECTION_LIMIT + 4 + 1


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


@pytest.mark.parametrize(
    ("applicant_types", "shown"),
    [
        ([], True),  # no stated types: open to everyone as far as we know
        (["sme", "large_company"], True),
        (["university", "research_institute"], False),
    ],
)
def test_applicant_type_is_a_hard_filter(
    db_session: Session, applicant_types: list[str], shown: bool
) -> None:
    f.call(db_session, "c", applicant_types=applicant_types, pick=True)
    sme = f.member(db_session, applicant_type=ApplicantType.SME)

    assert bool(build(db_session, sme).items) is shown
    assert bool(matching_calls(db_session, sme, NOW)) is shown


def test_a_member_without_a_type_sees_every_call(db_session: Session) -> None:
    f.call(db_session, "universities", applicant_types=["university"])
    assert titles(build(db_session).items) == ["Call universities"]


@pytest.mark.parametrize(
    "fields",
    [
        {"frequency": Frequency.OFF},
        {"unsubscribed_at": NOW - timedelta(days=1)},
        {"active": False},
    ],
    ids=["frequency-off", "unsubscribed", "inactive"],
)
def test_members_who_want_no_digest_get_an_empty_one(
    db_session: Session, fields: dict
) -> None:
    f.call(db_session, "new", first_seen=NOW - timedelta(days=1))
    member = f.member(db_session, **fields)

    assert not wants_digest(member)
    assert build(db_session, member).is_empty
    # Their list and feeds still work: only the email stops.
    assert titles(matching_calls(db_session, member, NOW)) == ["Call new"]


def test_a_weekly_subscribed_member_wants_a_digest(db_session: Session) -> None:
    assert wants_digest(f.member(db_session))


def test_matching_calls_is_the_whole_list_without_a_window(
    db_session: Session,
) -> None:
    changed = f.call(db_session, "changed", deadlines=[NOW + timedelta(days=90)])
    f.version(db_session, changed, NOW - timedelta(days=1), title=("A", "B"))
    f.call(db_session, "new", first_seen=NOW - timedelta(days=1))
    f.call(db_session, "soon", deadlines=[NOW + timedelta(days=2)])
    f.call(db_session, "undated", deadlines=[])
    f.call(db_session, "closed", deadlines=[NOW - timedelta(days=1)])
    f.call(db_session, "elsewhere", tags=["environment"])

    found = matching_calls(db_session, f.member(db_session), NOW)

    assert titles(found) == ["Call soon", "Call new", "Call changed", "Call undated"]
    assert all(item.changes == () for item in found)


def test_why_it_matched_names_sub_topics_and_skips_removed_tags(
    db_session: Session,
) -> None:
    f.call(
        db_session,
        "c",
        tags=["health", "health/vaccines", "-pharma", "environment/water"],
    )
    member = f.member(db_session, interests=["health", "pharma"])

    (item,) = build(db_session, member).items

    assert item.matched_tags == ("health", "health/vaccines")


def test_a_member_may_follow_a_sub_topic_only(db_session: Session) -> None:
    f.call(db_session, "vaccines", tags=["pharma", "pharma/vaccines"])
    f.call(db_session, "drugs", tags=["pharma", "pharma/drug-development"])
    member = f.member(db_session, interests=["pharma/vaccines"])

    (item,) = matching_calls(db_session, member, NOW)

    assert (item.title, item.matched_tags) == ("Call vaccines", ("pharma/vaccines",))


def test_every_cut_off_ahead_is_kept_for_the_calendar(db_session: Session) -> None:
    cut_offs = [
        NOW - timedelta(days=5),
        NOW + timedelta(days=20),
        NOW + timedelta(days=80),
    ]
    f.call(db_session, "stages", deadlines=cut_offs, precision=DatePrecision.DAY)

    (item,) = build(db_session).items

    assert item.deadlines == (
        Deadline(cut_offs[1], DatePrecision.DAY),
        Deadline(cut_offs[2], DatePrecision.DAY),
    )
    assert item.deadline == item.deadlines[0]


def test_the_context_carries_the_members_link_version(db_session: Session) -> None:
    f.call(db_session, "c")
    member = f.member(db_session, token_version=4)
    assert build(db_session, member).token_version == 4
