"""Builders for test data: small functions, explicit defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from spiders.items import Deadline, FundingCall
from spiders.pipelines import normalize_item

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def funding_call(now: datetime = NOW, **overrides: Any) -> FundingCall:
    """A normalised, open call about biotechnology with one deadline."""
    values: dict[str, Any] = {
        "source": "eu_test",
        "source_id": "HORIZON-HLTH-2027-01-TOOL-03",
        "title": "Biotechnology tools for personalised medicine",
        "url": "https://example.org/topic/HORIZON-HLTH-2027-01-TOOL-03",
        "funder": "European Commission",
        "language": "en",
        "programme": "Horizon Europe (HORIZON)",
        "opening_date": datetime(2026, 10, 1, tzinfo=UTC),
        "deadlines": [Deadline(datetime(2027, 4, 8, 15, tzinfo=UTC))],
        "budget_amount": Decimal("12000000"),
        "budget_currency": "EUR",
        "description": "Clinical research with genomic data.",
    }
    values.update(overrides)
    return normalize_item(FundingCall(**values), now)
