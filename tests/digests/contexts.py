"""Digest contexts built by hand, for rendering tests that need no database."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from digests.build import CallItem, Deadline, DigestContext
from tests.digests.factories import NOW, PERIOD
from tracker.vocab import CallStatus, DatePrecision, Language


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


def deadline(at: datetime, precision: DatePrecision = DatePrecision.DATETIME):
    return Deadline(at, precision)


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


def items(count: int) -> tuple[CallItem, ...]:
    return tuple(item(n) for n in range(1, count + 1))


EUR_12M = {"budget_amount": Decimal("12000000"), "budget_currency": "EUR"}
