"""Cluster members who receive digests: preferences, CSV import, GDPR export and
erasure. Plain functions taking a `Session`; callers own the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Member
from tracker.tagging.taxonomy import default_taxonomy
from tracker.tokens import revoke_links
from tracker.vocab import ApplicantType, Domain, Frequency, Language

# Rough on purpose: one "@", a dot in the domain, no spaces or brackets. The
# SMTP server is the real judge; this only catches typos and pasted names.
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]{2,}$")
DEFAULT_REMINDERS = (14, 3)
# A reminder on the deadline day is too late to write an application, and more
# than a few would be noise: a typo such as "1,2,3,4,5,6" must not mean daily mail.
MAX_REMINDER_DAYS, MAX_REMINDERS = 90, 5
_MAX_LENGTH = {"email": 320, "name": 200, "organisation": 300, "region": 100}


def _key(text: str) -> str:
    """ "Applicant_Type" and "applicant type" alike: how people type it varies."""
    return re.sub(r"[\s_-]+", " ", text.strip().casefold())


# Applicant types as coordinators write them in a spreadsheet, Polish or English;
# the values themselves ("research_institute") are accepted too.
_APPLICANT_LABELS = {
    ApplicantType.UNIVERSITY: "uczelnia, uniwersytet",
    ApplicantType.RESEARCH_INSTITUTE: "instytut badawczy, instytut, jednostka naukowa",
    ApplicantType.SME: "mśp, msp, small and medium enterprise",
    ApplicantType.LARGE_COMPANY: "duże przedsiębiorstwo, duża firma, large enterprise",
    ApplicantType.NGO: "organizacja pozarządowa, fundacja, stowarzyszenie",
    ApplicantType.PUBLIC_BODY: "instytucja publiczna, jst, public institution",
    ApplicantType.INDIVIDUAL_RESEARCHER: "naukowiec, badacz",
    ApplicantType.CONSORTIUM: "konsorcjum",
}
APPLICANT_ALIASES = {
    _key(label): kind
    for kind, labels in _APPLICANT_LABELS.items()
    for label in [kind.value, *labels.split(", ")]
}


class MemberError(ValueError):
    """Invalid member data, with a message fit for the command line."""


def normalize_email(email: str) -> str:
    """Trimmed and lower-cased, so that re-adding "Anna@X.pl" finds "anna@x.pl"."""
    value = email.strip().lower()
    if not _EMAIL.match(value) or len(value) > _MAX_LENGTH["email"]:
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


def known_interests() -> frozenset[str]:
    """The six domains and the taxonomy's sub-topics ("pharma/vaccines")."""
    subtopics = (e.tag for e in default_taxonomy().of_kind("subtopic"))
    return frozenset({d.value for d in Domain}.union(subtopics))


def parse_interests(interests: str | Iterable[str]) -> list[str]:
    """Tags from a list or a cell ("health, biotech", "health;biotech", "a b"),
    de-duplicated, in order."""
    if isinstance(interests, str):
        interests = re.split(r"[,;\s]+", interests)
    wanted = list(dict.fromkeys(t.strip().lower() for t in interests if t.strip()))
    unknown = [t for t in wanted if t not in known_interests()]
    if unknown:
        raise MemberError(
            f"unknown interest(s): {', '.join(unknown)}; choose from "
            f"{', '.join(sorted(d.value for d in Domain))} or a sub-topic "
            "such as pharma/vaccines (tracker/taxonomy.toml)"
        )
    if not wanted:
        # A member without interests would silently never get a digest.
        raise MemberError("give at least one interest")
    return wanted


def parse_applicant_type(value: str) -> ApplicantType:
    try:
        return APPLICANT_ALIASES[_key(value)]
    except KeyError:
        choices = ", ".join(a.value for a in ApplicantType)
        raise MemberError(
            f"applicant type must be one of {choices} (or MŚP, uczelnia, …), "
            f"not {value!r}"
        ) from None


def parse_frequency(value: str) -> Frequency:
    try:
        return Frequency(value.strip().lower())
    except ValueError:
        raise MemberError(f"frequency must be weekly or off, not {value!r}") from None


def parse_reminders(value: str | Iterable[int]) -> list[int]:
    """Days before a deadline: "14,3" (or ";" or spaces), "none" for no reminders."""
    if isinstance(value, str):
        if value.strip().lower() in {"none", "brak", "-"}:
            return []
        parts: Iterable[Any] = re.split(r"[,;\s]+", value.strip())
    else:
        parts = value
    try:
        days = sorted({int(part) for part in parts}, reverse=True)
    except ValueError:
        raise MemberError(
            f"reminders must be days such as 14,3, not {value!r}"
        ) from None
    if len(days) > MAX_REMINDERS or any(not 1 <= d <= MAX_REMINDER_DAYS for d in days):
        raise MemberError(
            f"reminders must be at most {MAX_REMINDERS} days "
            f"between 1 and {MAX_REMINDER_DAYS}, not {value!r}"
        )
    return days


def _text(name: str) -> Callable[[str], str]:
    def clean(value: str) -> str:
        # Names end up in a To: header; line breaks there would be header injection.
        cleaned = " ".join(value.split())
        if len(cleaned) > _MAX_LENGTH[name]:
            raise MemberError(f"{name} is longer than {_MAX_LENGTH[name]} characters")
        return cleaned

    return clean


@dataclass(frozen=True)
class Preferences:
    """What a member is or chose; None means "not given: keep what is stored"."""

    name: str | None = None
    language: Language | None = None
    interests: list[str] | None = None
    organisation: str | None = None
    applicant_type: ApplicantType | None = None
    region: str | None = None
    frequency: Frequency | None = None
    reminder_offsets: list[int] | None = None


PARSERS = {
    "name": _text("name"),
    "language": parse_language,
    "interests": parse_interests,
    "organisation": _text("organisation"),
    "applicant_type": parse_applicant_type,
    "region": _text("region"),
    "frequency": parse_frequency,
    "reminder_offsets": parse_reminders,
}


def parse_preferences(**raw: Any) -> Preferences:
    """Preferences from text as typed on the command line or in a CSV cell.

    Empty and missing values are "not given"; every bad field is named at once.
    """
    values, problems = {}, []
    for name, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            values[name] = PARSERS[name](value)
        except MemberError as error:
            problems.append(str(error))
    if problems:
        raise MemberError("; ".join(problems))
    return Preferences(**values)


Change = tuple[str, Any, Any]  # field, old value, new value


def _apply(member: Member, prefs: Preferences) -> list[Change]:
    changes = []
    for f in fields(prefs):
        new, old = getattr(prefs, f.name), getattr(member, f.name)
        if new is not None and new != old:
            setattr(member, f.name, new)
            changes.append((f.name, old, new))
    return changes


def save_member(
    session: Session,
    email: str,
    prefs: Preferences,
    *,
    reactivate: bool = False,
    resubscribe: bool = False,
) -> tuple[Member, str, list[Change]]:
    """Add or update a member: ("added" | "updated" | "unchanged", the changes).

    An unsubscribed member's "off" stands unless `resubscribe`: their own choice
    wins over a coordinator's spreadsheet.
    """
    address = normalize_email(email)
    member = get_member_by_email(session, address)
    if member is None:
        if prefs.name is None:
            raise MemberError("name must not be empty")
        if prefs.interests is None:
            raise MemberError("give at least one interest")
        member = Member(
            email=address,
            language=Language.PL,
            frequency=Frequency.WEEKLY,
            reminder_offsets=list(DEFAULT_REMINDERS),
            active=True,
        )
        session.add(member)
        changes = _apply(member, prefs)
        session.flush()
        return member, "added", changes
    if resubscribe:
        member.unsubscribed_at = None
        prefs = replace(prefs, frequency=prefs.frequency or Frequency.WEEKLY)
    elif member.unsubscribed_at is not None:
        prefs = replace(prefs, frequency=None)
    changes = _apply(member, prefs)
    if reactivate and not member.active:
        member.active = True
        changes.append(("active", False, True))
    session.flush()
    return member, "updated" if changes else "unchanged", changes


def add_member(
    session: Session,
    email: str,
    name: str,
    language: str | None = None,
    interests: str | Iterable[str] | None = None,
    **options: Any,
) -> Member:
    """Add a member, or update the one with this email (re-adding is idempotent).

    Re-adding also re-activates: a coordinator adding someone wants them to read.
    `options`: organisation, applicant_type, region, frequency, reminder_offsets.
    """
    prefs = parse_preferences(
        name=name, language=language, interests=interests, **options
    )
    return save_member(session, email, prefs, reactivate=True)[0]


def update_member(
    session: Session, email: str, prefs: Preferences, *, resubscribe: bool = False
) -> tuple[Member, list[Change]]:
    """Change a member's preferences; never silently undo an unsubscribe."""
    member = require_member(session, email)
    if (
        member.unsubscribed_at is not None
        and prefs.frequency is Frequency.WEEKLY
        and not resubscribe
    ):
        raise MemberError(
            f"{member.email} unsubscribed on {member.unsubscribed_at:%Y-%m-%d}; "
            "subscribe them again only at their request (--resubscribe)"
        )
    _, _, changes = save_member(session, email, prefs, resubscribe=resubscribe)
    return member, changes


def get_member_by_email(session: Session, email: str) -> Member | None:
    return session.scalar(select(Member).where(Member.email == email.strip().lower()))


def require_member(session: Session, email: str) -> Member:
    member = get_member_by_email(session, email)
    if member is None:
        raise MemberError(f"no member with email {email!r}")
    return member


def list_members(
    session: Session, active_only: bool = False, flagged_only: bool = False
) -> list[Member]:
    query = select(Member).order_by(Member.email)
    if active_only:
        query = query.where(Member.active)
    if flagged_only:
        query = query.where(Member.flagged_at.is_not(None))
    return list(session.scalars(query))


def deactivate_member(session: Session, email: str) -> Member:
    """Stop all mail to a member but keep the delivery history."""
    member = require_member(session, email)
    member.active = False
    session.flush()
    return member


def revoke_member_links(session: Session, email: str) -> Member:
    """Every link and feed URL the member was given stops working at once."""
    member = require_member(session, email)
    revoke_links(member)
    session.flush()
    return member
