"""Members: validation, preferences, re-import, GDPR export and erasure, revoking
links (SQLite and PostgreSQL). The CSV files themselves: tests/cli/test_members.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.digests import factories as f
from tracker.member_data import delete_member, export_member
from tracker.member_import import MemberRow, import_members
from tracker.members import (
    MemberError,
    Preferences,
    add_member,
    deactivate_member,
    get_member_by_email,
    list_members,
    parse_applicant_type,
    parse_interests,
    parse_preferences,
    parse_reminders,
    revoke_member_links,
    update_member,
)
from tracker.models import (
    DigestDelivery,
    Member,
    MemberFeedback,
    ReminderDelivery,
    utcnow,
)
from tracker.tokens import InvalidToken, Purpose, make_token, read_token
from tracker.vocab import (
    ApplicantType,
    DeliveryStatus,
    FeedbackKind,
    Frequency,
    Language,
)

KEY = "k" * 40


def test_add_member(db_session: Session) -> None:
    member = add_member(
        db_session, " Anna@Example.ORG ", "Anna Nowak", "pl", "health, biotech"
    )

    assert member.id is not None
    assert member.email == "anna@example.org"
    assert member.language is Language.PL
    assert member.interests == ["health", "biotech"]
    assert member.active
    assert get_member_by_email(db_session, "ANNA@example.org") is member


def test_a_new_member_gets_the_default_preferences(db_session: Session) -> None:
    member = add_member(db_session, "anna@example.org", "Anna", None, "health")
    db_session.expire(member)  # what the database holds, not the object

    assert member.language is Language.PL
    assert member.frequency is Frequency.WEEKLY
    assert member.reminder_offsets == [14, 3]
    assert (member.organisation, member.applicant_type, member.region) == (
        None,
        None,
        None,
    )


def test_add_member_with_every_preference(db_session: Session) -> None:
    member = add_member(
        db_session,
        "anna@example.org",
        "Anna",
        "en",
        ["pharma/vaccines", "health"],
        organisation="  Uniwersytet  Medyczny ",
        applicant_type="MŚP",
        region="lubelskie",
        frequency="off",
        reminder_offsets="3, 30",
    )

    assert member.interests == ["pharma/vaccines", "health"]
    assert member.organisation == "Uniwersytet Medyczny"
    assert member.applicant_type is ApplicantType.SME
    assert (member.region, member.frequency) == ("lubelskie", Frequency.OFF)
    assert member.reminder_offsets == [30, 3]


def test_re_adding_updates_the_same_member(db_session: Session) -> None:
    first = add_member(db_session, "anna@example.org", "Anna", "pl", ["health"])
    deactivate_member(db_session, "anna@example.org")

    again = add_member(
        db_session, "ANNA@example.org", "Anna Nowak", "en", ["pharma", "health"]
    )

    assert again.id == first.id
    assert (again.name, again.language, again.interests, again.active) == (
        "Anna Nowak",
        Language.EN,
        ["pharma", "health"],
        True,
    )
    assert len(list_members(db_session)) == 1


@pytest.mark.parametrize(
    "email", ["anna", "anna@", "@example.org", "anna@example", "a b@example.org", ""]
)
def test_rejects_what_is_not_an_email(db_session: Session, email: str) -> None:
    with pytest.raises(MemberError, match="not an email address"):
        add_member(db_session, email, "Anna", "pl", ["health"])


def test_rejects_unknown_language(db_session: Session) -> None:
    with pytest.raises(MemberError, match="language must be one of pl, en, not 'de'"):
        add_member(db_session, "anna@example.org", "Anna", "de", ["health"])


def test_rejects_unknown_interests_naming_them(db_session: Session) -> None:
    with pytest.raises(MemberError) as error:
        add_member(db_session, "anna@example.org", "Anna", "pl", "health,space,ai")
    message = str(error.value)
    assert "unknown interest(s): space, ai" in message
    assert "agrifood, bioeconomy, biotech, environment, health, pharma" in message


def test_requires_an_interest_and_a_name(db_session: Session) -> None:
    with pytest.raises(MemberError, match="at least one interest"):
        add_member(db_session, "anna@example.org", "Anna", "pl", " , ")
    with pytest.raises(MemberError, match="name must not be empty"):
        add_member(db_session, "anna@example.org", " \n", "pl", "health")


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(MemberError) as error:
        parse_preferences(language="de", applicant_type="alien", frequency="daily")
    assert str(error.value).split("; ") == [
        "language must be one of pl, en, not 'de'",
        "applicant type must be one of university, research_institute, sme, "
        "large_company, ngo, public_body, individual_researcher, consortium "
        "(or MŚP, uczelnia, …), not 'alien'",
        "frequency must be weekly or off, not 'daily'",
    ]


def test_name_cannot_smuggle_header_lines(db_session: Session) -> None:
    member = add_member(
        db_session, "anna@example.org", "Anna\r\nBcc: x@evil.example", "pl", "health"
    )
    assert member.name == "Anna Bcc: x@evil.example"


def test_interests_are_deduplicated_in_order() -> None:
    assert parse_interests(["Health", "biotech", "health"]) == ["health", "biotech"]


@pytest.mark.parametrize(
    "cell",
    ["health,biotech", "health; biotech", "health biotech", " health ,,biotech "],
)
def test_interests_in_a_cell_may_be_separated_many_ways(cell: str) -> None:
    assert parse_interests(cell) == ["health", "biotech"]


def test_interests_may_be_taxonomy_sub_topics_but_not_invented_ones() -> None:
    assert parse_interests("agrifood/plant-health") == ["agrifood/plant-health"]
    with pytest.raises(MemberError, match=r"unknown interest\(s\): health/space"):
        parse_interests("health/space")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("MŚP", ApplicantType.SME),
        ("msp", ApplicantType.SME),
        ("SME", ApplicantType.SME),
        ("Uczelnia", ApplicantType.UNIVERSITY),
        ("university", ApplicantType.UNIVERSITY),
        ("Research institute", ApplicantType.RESEARCH_INSTITUTE),
        ("research_institute", ApplicantType.RESEARCH_INSTITUTE),
        ("jednostka naukowa", ApplicantType.RESEARCH_INSTITUTE),
        ("Duże przedsiębiorstwo", ApplicantType.LARGE_COMPANY),
        ("large-company", ApplicantType.LARGE_COMPANY),
        ("organizacja pozarządowa", ApplicantType.NGO),
        ("JST", ApplicantType.PUBLIC_BODY),
        ("naukowiec", ApplicantType.INDIVIDUAL_RESEARCHER),
        ("Konsorcjum", ApplicantType.CONSORTIUM),
    ],
)
def test_applicant_types_in_polish_or_english(
    label: str, expected: ApplicantType
) -> None:
    assert parse_applicant_type(label) is expected


@pytest.mark.parametrize(
    ("text", "days"),
    [("14,3", [14, 3]), ("3;14;3", [14, 3]), ("7", [7]), ("none", []), ("brak", [])],
)
def test_reminder_offsets(text: str, days: list[int]) -> None:
    assert parse_reminders(text) == days


@pytest.mark.parametrize("text", ["0", "91", "14,x", "1,2,3,4,5,6", "-3"])
def test_reminder_offsets_out_of_range(text: str) -> None:
    with pytest.raises(MemberError, match="reminders must be"):
        parse_reminders(text)


def test_update_changes_only_what_is_given(db_session: Session) -> None:
    add_member(db_session, "anna@example.org", "Anna", "pl", "health", region="lub")

    member, changes = update_member(
        db_session,
        "Anna@example.org",
        parse_preferences(language="en", reminder_offsets="none", region=""),
    )

    assert changes == [
        ("language", Language.PL, Language.EN),
        ("reminder_offsets", [14, 3], []),
    ]
    assert (member.name, member.interests, member.region) == ("Anna", ["health"], "lub")
    assert update_member(db_session, "anna@example.org", Preferences())[1] == []


def test_an_unsubscribe_is_only_undone_on_purpose(db_session: Session) -> None:
    member = add_member(db_session, "anna@example.org", "Anna", "pl", "health")
    member.unsubscribed_at, member.frequency = utcnow(), Frequency.OFF
    weekly = Preferences(frequency=Frequency.WEEKLY)

    with pytest.raises(MemberError, match="only at their request"):
        update_member(db_session, "anna@example.org", weekly)
    update_member(db_session, "anna@example.org", Preferences(), resubscribe=True)

    assert (member.unsubscribed_at, member.frequency) == (None, Frequency.WEEKLY)


def _row(email: str, line: int = 2, **prefs: object) -> MemberRow:
    values = {"name": "Anna", "interests": "health", **prefs}
    return MemberRow(line, email, parse_preferences(**values))


def test_re_import_counts_added_updated_unchanged(db_session: Session) -> None:
    import_members(db_session, [_row("a@example.org"), _row("b@example.org")])

    report = import_members(
        db_session,
        [
            _row("a@example.org"),
            _row("b@example.org", language="en"),
            _row("c@example.org"),
        ],
    )

    assert (report.added, report.updated, report.unchanged) == (
        ["c@example.org"],
        ["b@example.org"],
        ["a@example.org"],
    )
    assert get_member_by_email(db_session, "b@example.org").language is Language.EN


def test_import_leaves_removed_and_unsubscribed_members_so(db_session: Session) -> None:
    removed = add_member(db_session, "a@example.org", "A", "pl", "health")
    deactivate_member(db_session, "a@example.org")
    gone = add_member(db_session, "b@example.org", "B", "pl", "health", frequency="off")
    gone.unsubscribed_at = utcnow()

    report = import_members(
        db_session,
        [
            _row("a@example.org", name="A2"),
            _row("b@example.org", name="B", frequency="weekly"),
        ],
    )

    assert report.not_receiving == ["a@example.org", "b@example.org"]
    assert (removed.name, removed.active) == ("A2", False)
    assert gone.frequency is Frequency.OFF
    assert report.unchanged == ["b@example.org"]


def test_list_members_sorted_and_filtered(db_session: Session) -> None:
    add_member(db_session, "zofia@example.org", "Zofia", "pl", "health")
    add_member(db_session, "adam@example.org", "Adam", "en", "pharma")
    flagged = add_member(db_session, "ewa@example.org", "Ewa", "en", "pharma")
    flagged.flagged_at, flagged.flag_reason = utcnow(), "550 no such user"
    deactivate_member(db_session, "zofia@example.org")

    assert [m.email for m in list_members(db_session)] == [
        "adam@example.org",
        "ewa@example.org",
        "zofia@example.org",
    ]
    assert [m.email for m in list_members(db_session, active_only=True)] == [
        "adam@example.org",
        "ewa@example.org",
    ]
    assert list_members(db_session, flagged_only=True) == [flagged]


def test_unknown_members_are_errors(db_session: Session) -> None:
    for action in (
        deactivate_member,
        export_member,
        delete_member,
        revoke_member_links,
    ):
        with pytest.raises(MemberError, match="no member with email"):
            action(db_session, "nobody@example.org")


def _history(session: Session, member: Member) -> None:
    """A digest, a reminder and a "not relevant" of the member."""
    call = f.call(session, f"call-{member.id}", title=f"Szczepionki {member.id}")
    session.add_all(
        [
            DigestDelivery(
                member=member,
                period="2026-W48",
                status=DeliveryStatus.SENT,
                message_id=f"<d{member.id}@grants>",
                sent_at=f.NOW,
            ),
            ReminderDelivery(
                member=member,
                call=call,
                deadline_at=f.NOW + timedelta(days=14),
                offset_days=14,
                status=DeliveryStatus.SENT,
                message_id=f"<r{member.id}@grants>",
            ),
            MemberFeedback(member=member, call=call, kind=FeedbackKind.NOT_RELEVANT),
        ]
    )
    session.flush()


def _rows(session: Session, member_id: int) -> dict[str, int]:
    return {
        model.__name__: session.scalar(
            select(func.count())
            .select_from(model)
            .where((model.id if model is Member else model.member_id) == member_id)
        )
        for model in (Member, DigestDelivery, ReminderDelivery, MemberFeedback)
    }


def test_removing_keeps_the_history(db_session: Session) -> None:
    member = add_member(db_session, "anna@example.org", "Anna", "pl", "health")
    _history(db_session, member)

    deactivate_member(db_session, "anna@example.org")

    assert not member.active
    assert set(_rows(db_session, member.id).values()) == {1}


def test_export_holds_everything_stored(db_session: Session) -> None:
    member = add_member(
        db_session, "anna@example.org", "Anna", "pl", "health", organisation="UMCS"
    )
    member.flagged_at, member.flag_reason = f.NOW, "550 5.1.1 no such user"
    _history(db_session, member)

    data = export_member(db_session, "ANNA@example.org")

    assert data["member"]["email"] == "anna@example.org"
    assert data["member"]["organisation"] == "UMCS"
    assert data["member"]["reminder_offsets"] == [14, 3]
    assert data["member"]["flagged_at"] == "2026-11-23T08:00:00+00:00"
    assert data["member"]["flag_reason"] == "550 5.1.1 no such user"
    assert data["member"]["unsubscribed_at"] is None
    [digest] = data["digest_deliveries"]
    assert (digest["period"], digest["status"]) == ("2026-W48", "sent")
    assert digest["sent_at"] == "2026-11-23T08:00:00+00:00"
    [reminder] = data["reminder_deliveries"]
    assert reminder["offset_days"] == 14
    assert reminder["call_title"] == f"Szczepionki {member.id}"
    [feedback] = data["member_feedback"]
    assert (feedback["kind"], feedback["call_title"]) == (
        "not_relevant",
        f"Szczepionki {member.id}",
    )


def test_delete_erases_the_member_and_every_row_about_them(
    db_session: Session,
) -> None:
    anna = add_member(db_session, "anna@example.org", "Anna", "pl", "health")
    jan = add_member(db_session, "jan@example.org", "Jan", "pl", "health")
    _history(db_session, anna)
    _history(db_session, jan)
    anna_id = anna.id

    counts = delete_member(db_session, "anna@example.org")
    db_session.expire_all()

    assert counts == {
        "reminder_deliveries": 1,
        "member_feedback": 1,
        "digest_deliveries": 1,
        "members": 1,
    }
    assert set(_rows(db_session, anna_id).values()) == {0}
    assert set(_rows(db_session, jan.id).values()) == {1}


def test_revoking_links_kills_every_old_token(db_session: Session) -> None:
    member = add_member(db_session, "anna@example.org", "Anna", "pl", "health")
    old = [make_token(KEY, member, purpose) for purpose in Purpose]

    revoke_member_links(db_session, "anna@example.org")

    assert member.token_version == 2
    for token, purpose in zip(old, Purpose, strict=True):
        with pytest.raises(InvalidToken, match="revoked"):
            read_token(db_session, KEY, token, purpose)
    fresh = make_token(KEY, member, Purpose.FEED)
    assert read_token(db_session, KEY, fresh, Purpose.FEED) is member
