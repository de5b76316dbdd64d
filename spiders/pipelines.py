"""Item pipelines: validate, normalise, store. SQL stays in `tracker.storage`."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Self

from scrapy.exceptions import DropItem

from spiders.items import Deadline, FundingCall
from tracker.status import compute_status

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

_SPACES = re.compile(r"\s+")


def validate_item(call: FundingCall) -> None:
    """Raise `DropItem` with a reason when a call lacks what identifies it."""
    for name in ("source_id", "title", "url"):
        value = getattr(call, name)
        if not isinstance(value, str) or not value.strip():
            raise DropItem(f"missing {name}")
    if not call.url.startswith(("http://", "https://")):
        raise DropItem(f"url is not absolute: {call.url!r}")
    for deadline in call.deadlines:
        if deadline.at.tzinfo is None:
            raise DropItem(f"deadline without time zone: {deadline.at.isoformat()}")
    if call.opening_date is not None and call.opening_date.tzinfo is None:
        raise DropItem("opening date without time zone")


def clean_text(value: str | None) -> str | None:
    """NFC, collapsed whitespace, `None` for empty."""
    if value is None:
        return None
    value = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    return value or None


def normalize_item(call: FundingCall, now: datetime | None = None) -> FundingCall:
    """Tidy text, sort and de-duplicate deadlines, compute the status from dates."""
    now = now or datetime.now(UTC)
    call.source_id = call.source_id.strip()
    call.title = clean_text(call.title) or call.title
    call.url = call.url.strip()
    call.programme = clean_text(call.programme)
    call.call_identifier = clean_text(call.call_identifier)
    call.description = clean_text(call.description)
    if call.budget_currency:
        call.budget_currency = call.budget_currency.strip().upper()
    unique: dict[datetime, Deadline] = {}
    for deadline in call.deadlines:
        unique.setdefault(deadline.at, deadline)
    call.deadlines = sorted(unique.values(), key=lambda d: d.at)
    call.keywords = list(dict.fromkeys(k for k in map(clean_text, call.keywords) if k))
    call.status = compute_status(
        now, call.opening_date, [d.at for d in call.deadlines], call.source_status
    )
    return call


class ValidatePipeline:
    """Drops calls without identifier, title or URL; the reason is counted."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: FundingCall) -> FundingCall:
        try:
            validate_item(item)
        except DropItem as exc:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("grants/dropped")
            self.crawler.stats.inc_value(f"grants/dropped/{exc}")
            raise
        return item


class NormalizePipeline:
    def process_item(self, item: FundingCall) -> FundingCall:
        return normalize_item(item)
