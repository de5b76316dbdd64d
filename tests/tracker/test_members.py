"""Members: validation, idempotent re-adding, listing (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tracker.members import (
    MemberError,
    add_member,
    deactivate_member,
    get_member_by_email,
    list_members,
    parse_interests,
)
from tracker.vocab import Language


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


def test_name_cannot_smuggle_header_lines(db_session: Session) -> None:
    member = add_member(
        db_session, "anna@example.org", "Anna\r\nBcc: x@evil.example", "pl", "health"
    )
    assert member.name == "Anna Bcc: x@evil.example"


def test_interests_are_deduplicated_in_order() -> None:
    assert parse_interests(["Health", "biotech", "health"]) == ["health", "biotech"]


def test_list_members_sorted_and_filtered(db_session: Session) -> None:
    add_member(db_session, "zofia@example.org", "Zofia", "pl", "health")
    add_member(db_session, "adam@example.org", "Adam", "en", "pharma")
    deactivate_member(db_session, "zofia@example.org")

    assert [m.email for m in list_members(db_session)] == [
        "adam@example.org",
        "zofia@example.org",
    ]
    assert [m.email for m in list_members(db_session, active_only=True)] == [
        "adam@example.org"
    ]


def test_deactivating_an_unknown_member_is_an_error(db_session: Session) -> None:
    with pytest.raises(MemberError, match="no member with email"):
        deactivate_member(db_session, "nobody@example.org")
