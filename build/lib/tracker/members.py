"""Cluster members who receive digests. Plain functions; callers own the transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Member
from tracker.vocab import Domain, Language

# Rough on purpose: one "@", a dot in the domain, no spaces or brackets. The
# SMTP server is the real judge; this only catches typos and pasted names.
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]{2,}$")


class MemberError(ValueError):
    """Invalid member data, with a message fit for the command line."""


def normalize_email(email: str) -> str:
    """Trimmed and lower-cased, so that re-adding "Anna@X.pl" finds "anna@x.pl"."""
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise MemberError(f"not an email address: {email!r}")
    return value


def parse_language(language: str) -> Language:
    try:
        return Language(language.strip().lower())
    except ValueError:
        choices = ", ".join(lang.value for lang in Language)
        raise MemberError(
            f"language must be one of {choices}, not {language!r}"
        ) from None


def parse_interests(interests: str | Iterable[str]) -> list[str]:
    """Domain tags from a list or a comma-separated string, de-duplicated, in order."""
    if isinstance(interests, str):
        interests = interests.split(",")
    wanted = list(dict.fromkeys(t.strip().lower() for t in interests if t.strip()))
    known = {d.value for d in Domain}
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise MemberError(
            f"unknown interest(s): {', '.join(unknown)}; "
            f"choose from {', '.join(sorted(known))}"
        )
    if not wanted:
        # A member without interests would silently never get a digest.
        raise MemberError("give at least one interest")
    return wanted


def _clean_name(name: str) -> str:
    # Names end up in a To: header; line breaks there would be header injection.
    value = " ".join(name.split())
    if not value:
        raise MemberError("name must not be empty")
    return value


def add_member(
    session: Session,
    email: str,
    name: str,
    language: str,
    interests: str | Iterable[str],
) -> Member:
    """Add a member, or update the one with this email (re-adding is idempotent).

    Re-adding also re-activates: a coordinator adding someone wants them to read.
    """
    address = normalize_email(email)
    values = {
        "name": _clean_name(name),
        "language": parse_language(language),
        "interests": parse_interests(interests),
        "active": True,
    }
    member = get_member_by_email(session, address)
    if member is None:
        member = Member(email=address, **values)
        session.add(member)
    else:
        for key, value in values.items():
            setattr(member, key, value)
    session.flush()
    return member


def get_member_by_email(session: Session, email: str) -> Member | None:
    return session.scalar(select(Member).where(Member.email == email.strip().lower()))


def list_members(session: Session, active_only: bool = False) -> list[Member]:
    query = select(Member).order_by(Member.email)
    if active_only:
        query = query.where(Member.active)
    return list(session.scalars(query))


def deactivate_member(session: Session, email: str) -> Member:
    """Stop digests to a member but keep the delivery history."""
    member = get_member_by_email(session, email)
    if member is None:
        raise MemberError(f"no member with email {email!r}")
    member.active = False
    session.flush()
    return member
