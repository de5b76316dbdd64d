"""Digest contexts built by hand, for rendering tests that need no database."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from digests.build import CallItem, Deadline, DigestContext
from digests.links import MemberLinks, member_links
from tests.digests.factories import NOW, PERIOD
from tracker.config import Settings, load_settings
from tracker.models import Member
from tracker.vocab import CallStatus, DatePrecision, Language

SECRET_KEY = "digest-tests-secret-key-0123456789abcdef"  # 40 characters
SETTINGS = load_settings(
    {
        "MAIL_FROM": "Klaster Biotech <granty@klaster.example>",
        "SECRET_KEY": SECRET_KEY,
        "PUBLIC_BASE_URL": "https://granty.klaster.example",
    }
)


def item(n: int = 1, **fields: Any) -> CallItem:
    values: dict[str, Any] = {
        "id": n,
        "title": f"Call {n}",
        "funder": "European Commission",
        "programme": "Horizon Europe",
        "url": f"https://example.org/calls/{n}",
        "status": CallStatus.OPEN,
        "opening_date": None,
        "deadline": Deadline(NOW + timedelta(days=40), DatePrecision.DATETIME),
        "budget_amount": None,
        "budget_currency": None,
        "matched_tags": ("health",),
    }
    values.update(fields)
    return CallItem(**values)


def deadline(
    at: datetime, precision: DatePrecision = DatePrecision.DATETIME, label=None
) -> Deadline:
    return Deadline(at, precision, label)


def context(language: str = "pl", **sections: Any) -> DigestContext:
    values: dict[str, Any] = {
        "member_id": 7,
        "member_email": "anna@example.org",
        "member_name": "Anna Nowak",
        "language": Language(language),
        "interests": ("health", "biotech"),
        "period": PERIOD,
        "now": NOW,
        "since": NOW - timedelta(days=7),
        "timezone": "Europe/Warsaw",
    }
    values.update(sections)
    return DigestContext(**values)


def items(count: int, start: int = 1) -> tuple[CallItem, ...]:
    return tuple(item(n) for n in range(start, start + count))


def links_of(ctx: DigestContext, settings: Settings = SETTINGS) -> MemberLinks:
    """The links the member of `ctx` must find in their digest."""
    member = Member(id=ctx.member_id, token_version=ctx.token_version)
    return member_links(settings, member)


EUR_12M = {"budget_amount": Decimal("12000000"), "budget_currency": "EUR"}
