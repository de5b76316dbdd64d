"""Item pipelines: validate, normalise, store. SQL stays in `tracker.storage`."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from scrapy import Spider, signals
from scrapy.exceptions import DropItem
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from spiders.base import FundingSpider
from spiders.items import CallSeen, Deadline, FundingCall
from tracker.crawls import RunCounts, finish_run, start_run
from tracker.db import session_factory
from tracker.health import evaluate, flag_missing
from tracker.models import Source
from tracker.status import status_of
from tracker.storage import ensure_source, listing_hashes, mark_seen, upsert_call
from tracker.vocab import CrawlOutcome

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

_SPACES = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


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


def clean_paragraphs(value: str | None) -> str | None:
    """Like `clean_text`, but blank-line paragraph breaks survive."""
    if value is None:
        return None
    paragraphs = (clean_text(p) for p in _PARAGRAPH_BREAK.split(value))
    return "\n\n".join(p for p in paragraphs if p) or None


def normalize_item(call: FundingCall, now: datetime | None = None) -> FundingCall:
    """Tidy text, sort and de-duplicate deadlines, compute the status from dates."""
    now = now or datetime.now(UTC)
    call.source_id = call.source_id.strip()
    call.title = clean_text(call.title) or call.title
    call.url = call.url.strip()
    call.programme = clean_text(call.programme)
    call.call_identifier = clean_text(call.call_identifier)
    call.description = clean_paragraphs(call.description)
    if call.budget_currency:
        call.budget_currency = call.budget_currency.strip().upper()
    unique: dict[datetime, Deadline] = {}
    for deadline in call.deadlines:
        unique.setdefault(deadline.at, deadline)
    call.deadlines = sorted(unique.values(), key=lambda d: d.at)
    call.keywords = list(dict.fromkeys(k for k in map(clean_text, call.keywords) if k))
    call.status = status_of(call, now)
    return call


class ValidatePipeline:
    """Drops calls without identifier, title or URL; the reason is counted."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: FundingCall | CallSeen) -> FundingCall | CallSeen:
        if isinstance(item, CallSeen):
            return item
        try:
            validate_item(item)
        except DropItem as exc:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("grants/dropped")
            self.crawler.stats.inc_value(f"grants/dropped/{exc}")
            raise
        return item


class NormalizePipeline:
    def process_item(self, item: FundingCall | CallSeen) -> FundingCall | CallSeen:
        return item if isinstance(item, CallSeen) else normalize_item(item)


class StorePipeline:
    """Upserts each call in its own transaction and records the crawl run."""

    def __init__(self, crawler: Crawler, sessions: sessionmaker[Session]) -> None:
        self.crawler = crawler
        self.sessions = sessions
        self.now = datetime.now(UTC)
        self.counts = RunCounts()
        self.source_id: int | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler, session_factory())
        # spider_closed carries the finish reason and comes after the stats are final.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        assert isinstance(spider, FundingSpider)
        with self.sessions.begin() as session:
            source = ensure_source(
                session,
                spider.source_slug,
                spider.source_name,
                spider.funder,
                spider.source_url,
                spider.catch_all,
            )
            self.source_id = source.id
            self.run_id = start_run(session, source, self.now).id
            spider.known_listings = listing_hashes(session, source)

    def process_item(self, item: FundingCall | CallSeen) -> FundingCall | CallSeen:
        try:
            with self.sessions.begin() as session:
                source = session.get_one(Source, self.source_id)
                if isinstance(item, CallSeen):
                    outcome = mark_seen(session, source, item.source_id, self.now)
                else:
                    upserted = upsert_call(session, source, item, self.now, self.run_id)
                    outcome = upserted.outcome
        except SQLAlchemyError as exc:
            self.counts.errors += 1
            self.counts.messages.append(f"not stored {item.source_id}: {exc}")
            raise DropItem(f"not stored: {type(exc).__name__}") from exc
        self._stats.inc_value(f"grants/{outcome}")
        return item

    @property
    def _stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        stats = self._stats.get_stats()
        counts = run_counts_from_stats(stats, self.counts)
        outcome = crawl_outcome(stats, reason, counts)
        if reason != "finished":
            counts.messages.insert(0, f"finish reason: {reason}")
        now = datetime.now(UTC)
        with self.sessions.begin() as session:
            run = finish_run(session, self.run_id, outcome, counts, now)
            # Only a complete crawl can tell that a call has vanished.
            if outcome is CrawlOutcome.SUCCESS and not counts.errors:
                missing = flag_missing(session, run.source, self.now, now)
                if missing:
                    keys = ", ".join(c.source_key for c in missing[:10])
                    run.messages = [*run.messages, f"vanished while open: {keys}"]
            evaluate(session, run.source, now)


# Scrapy stats whose keys carry a reason worth showing a coordinator.
_REASON_STATS = {
    "grants/dropped/": "dropped",
    "grants/problems/": "problems",
    "spider_exceptions/": "spider exceptions",
    "httperror/response_ignored_status_count/": "HTTP status",
}


def run_counts_from_stats(stats: dict[str, Any], base: RunCounts) -> RunCounts:
    """Counts and reasons for the crawl-run record, from Scrapy's stats."""
    counts = RunCounts(
        scraped=stats.get("item_scraped_count", 0),
        new=stats.get("grants/new", 0),
        changed=stats.get("grants/changed", 0),
        unchanged=stats.get("grants/unchanged", 0),
        dropped=stats.get("item_dropped_count", 0),
        errors=stats.get("log_count/ERROR", 0) + base.errors,
        messages=list(base.messages),
    )
    for key, value in sorted(stats.items()):
        for prefix, kind in _REASON_STATS.items():
            detail = key.removeprefix(prefix)
            if detail != key and detail != "count":
                counts.messages.append(f"{kind}: {detail} ({value})")
    return counts


def crawl_outcome(
    stats: dict[str, Any], reason: str, counts: RunCounts
) -> CrawlOutcome:
    """Failed when the crawl stopped early, a page was not understood, or all erred.

    A source answering 404 or 500 for its listing yields nothing without a
    logged error (Scrapy ignores the response), so that counts as failing too.
    """
    exceptions = any(k.startswith("spider_exceptions/") for k in stats)
    refused = stats.get("httperror/response_ignored_count", 0)
    nothing = counts.scraped == 0 and (counts.errors or refused)
    if reason != "finished" or exceptions or nothing:
        return CrawlOutcome.FAILED
    return CrawlOutcome.SUCCESS
