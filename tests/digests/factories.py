"""Rows for digest tests, built directly on the models (no storage module)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digests.period import Period
from tracker.models import Call, CallDeadline, CallTag, CallVersion, Member, Source
from tracker.vocab import CallStatus, DatePrecision, Language, TagOrigin

# Monday 23 November 2026, 09:00 in Warsaw: when the digest of 2026-W48 goes out.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PERIOD = Period(2026, 48)
OLD = NOW - timedelta(days=60)


def source(session: Session) -> Source:
    found = session.scalar(select(Source).where(Source.slug == "test_source"))
    if found:
        return found
    row = Source(slug="test_source", name="Test source", funder="Test funder")
    session.add(row)
    return row


def call(
    session: Session,
    key: str,
    *,
    tags: Sequence[str] = ("health",),
    deadlines: Sequence[datetime] = (NOW + timedelta(days=60),),
    precision: DatePrecision = DatePrecision.DATETIME,
    first_seen: datetime = OLD,
    **fields: Any,
) -> Call:
    """A stored call; `status` is deliberately left stale ("open") by default."""
    values: dict[str, Any] = {
        "title": f"Call {key}",
        "funder": "European Commission",
        "programme": "Horizon Europe",
        "url": f"https://example.org/calls/{key}",
        "language": Language.EN,
        "status": CallStatus.OPEN,
        "content_hash": key,
        "first_seen_at": first_seen,
        "relevance": 0.9,  # relevant enough for the default threshold mode
    }
    values.update(fields)
    row = Call(source=source(session), source_key=key, **values)
    row.deadlines = [CallDeadline(at=at, precision=precision) for at in deadlines]
    # A tag written "-health" is one a coordinator removed (suppressed).
    row.tags = [
        CallTag(
            tag=tag.lstrip("-"), origin=TagOrigin.RULE, suppressed=tag.startswith("-")
        )
        for tag in tags
    ]
    session.add(row)
    session.flush()
    return row


def version(
    session: Session, row: Call, recorded_at: datetime, **changes: tuple[Any, Any]
) -> CallVersion:
    """A recorded change: `version(s, call, at, deadlines=(old, new))`."""
    entry = CallVersion(
        call=row,
        recorded_at=recorded_at,
        changes={k: {"old": old, "new": new} for k, (old, new) in changes.items()},
    )
    session.add(entry)
    session.flush()
    return entry


def member(
    session: Session,
    email: str = "anna@example.org",
    *,
    interests: Sequence[str] = ("health",),
    language: Language = Language.PL,
    name: str = "Anna Nowak",
    active: bool = True,
    **fields: Any,
) -> Member:
    """A member; `fields` set the rest (applicant_type, frequency, ...)."""
    row = Member(
        email=email,
        name=name,
        language=language,
        interests=list(interests),
        active=active,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def budget(amount: str, currency: str = "EUR") -> dict[str, Any]:
    return {"budget_amount": Decimal(amount), "budget_currency": currency}
