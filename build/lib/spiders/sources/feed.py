"""Any RSS or Atom source listed in `spiders/feeds.toml`: one feed per spider run.

A coordinator adds a source by adding a `[[feed]]` table to the feeds file; no
code. `scrapy crawl feed -a source=<slug>` (what `grants crawl <slug>` runs)
crawls one feed; `grants parse feed FILE --url <feed url>` finds the feed by URL.

Entries become calls: id (else link) is the source_id, the link the URL, the
summary the description, the entry's own categories plus the feed's default
domain tags the keywords. The published date is no opening date. Deadlines are
read from sentences that say they name one ("termin", "do dnia", "deadline",
"closes"). Feeds mix news and calls, so `include` keeps only entries whose title
or summary has one of its words, and `exclude` drops those with one of its words
(results, rankings): matched at a word start, case and diacritics ignored.

Confirmed: nothing by a capture; no feed was ever saved. Assumed: the shapes of
Drupal 9's core RSS (NCN) and WordPress's RSS/Atom (Interreg BSR) as both CMSs
generate them; the fixtures in tests/fixtures/feed/ are written in those shapes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from spiders.base import FundingSpider, listing_hash
from spiders.items import CallSeen, FundingCall
from spiders.sources._feed_config import (
    FEEDS_FILE,
    FeedConfigError,
    FeedSource,
    configured_feeds,
)
from spiders.sources._feed_fields import (
    EntryError,
    detail_text,
    included,
    parse_budget,
    parse_call_identifier,
    parse_deadlines,
    parse_programme_codes,
)
from tracker.vocab import Instrument

__all__ = [
    "FEEDS_FILE",
    "FeedConfigError",
    "FeedSource",
    "FeedSpider",
    "configured_feeds",
]

ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"


class FeedSpider(FundingSpider):
    """One configured RSS/Atom feed; `-a source=<slug>` says which."""

    name = "feed"
    # Per instance, from the feeds file (empty until a feed is chosen).
    funder = ""
    source_name = ""
    source_url = ""

    def __init__(
        self, *args: Any, source: str | None = None, feeds_file: str | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.feeds = configured_feeds(Path(feeds_file) if feeds_file else FEEDS_FILE)
        self.feed: FeedSource | None = None
        if source is not None:
            by_slug = {feed.slug: feed for feed in self.feeds}
            if source not in by_slug:
                raise ValueError(f"unknown feed source {source!r}; {self._known()}")
            self._use(by_slug[source])

    @property
    def source_slug(self) -> str:
        return self._chosen().slug

    def _chosen(self) -> FeedSource:
        if self.feed is None:
            raise ValueError(f"the feed spider needs -a source=<slug>; {self._known()}")
        return self.feed

    def _known(self) -> str:
        return "configured: " + (", ".join(f.slug for f in self.feeds) or "none")

    def _use(self, feed: FeedSource) -> FeedSource:
        self.feed = feed
        self.funder, self.source_name = feed.funder, feed.name
        self.source_url, self.language = feed.url, feed.language
        return feed

    def _feed_for(self, url: str) -> FeedSource:
        """The chosen feed, else the configured feed at `url` (for `grants parse`)."""
        if self.feed is not None:
            return self.feed
        for feed in self.feeds:
            if feed.url.rstrip("/") == url.rstrip("/"):
                return self._use(feed)
        raise ValueError(
            f"{url} is no configured feed url; give a source; {self._known()}"
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        url = self._chosen().url
        yield scrapy.Request(url, headers={"Accept": ACCEPT}, errback=self.failed)

    def failed(self, failure: Failure) -> None:
        """A feed that cannot be fetched (404, no answer) fails the crawl, loudly."""
        reason = failure.getErrorMessage()
        if failure.check(HttpError):
            reason = f"HTTP {failure.value.response.status}"
        raise ValueError(
            f"{self.source_slug}: cannot fetch {self.source_url}: {reason}"
        )

    def parse(
        self, response: Response, **kwargs: Any
    ) -> Iterator[FundingCall | CallSeen]:
        feed = self._feed_for(response.url)
        parsed = feedparser.parse(
            response.body,
            response_headers={
                "content-location": response.url,
                "content-type": "application/xml",
            },
        )
        entries = parsed.get("entries") or []
        if not entries and (parsed.get("bozo") or not parsed.get("version")):
            problem = parsed.get("bozo_exception") or "no <rss> or <feed> element"
            raise ValueError(
                f"{feed.slug}: {response.url} is no RSS/Atom feed: {problem}"
            )
        if parsed.get("bozo"):
            self.logger.warning("malformed feed: %s", parsed.get("bozo_exception"))
            self.count_problem("feed/malformed_feed")
        rss = str(parsed.get("version", "")).startswith("rss")
        for entry in entries:
            summary = detail_text(entry.get("summary_detail"))
            text = f"{_parse_title(entry)} {summary}"
            if not included(text, feed.include, feed.exclude):
                self._count("grants/feed/not_a_call")  # news, not a call
                continue
            try:
                yield self.parse_entry(entry, response, feed, rss)
            except EntryError as exc:
                self.logger.warning("skipped entry: %s", exc)
                self.count_problem(f"feed/{exc.kind}")

    def parse_entry(
        self, entry: dict[str, Any], response: Response, feed: FeedSource, rss: bool
    ) -> FundingCall | CallSeen:
        """One entry as a call, or `CallSeen` when it is as stored."""
        title, url = _parse_title(entry), _parse_url(entry, response, rss)
        if not title:
            raise EntryError("entry_without_title", url or str(entry.get("id")))
        if url is None:
            raise EntryError("entry_without_link", title)
        source_id = str(entry.get("id") or "").strip() or url
        summary = detail_text(entry.get("summary_detail"))
        content = " ".join(detail_text(c) for c in entry.get("content") or [])
        stamp = _raw(entry, "updated") or _raw(entry, "published")
        h = listing_hash(title, url, stamp, summary)
        if seen := self.unchanged_listing(source_id, h):
            return seen
        text = "\n\n".join(dict.fromkeys(t for t in (title, summary, content) if t))
        identifier = parse_call_identifier(text)
        budget = parse_budget(text)
        return FundingCall(
            source=self.source_slug,
            source_id=source_id,
            title=title,
            url=url,
            funder=feed.funder,
            language=feed.language,
            call_identifier=identifier,
            deadlines=parse_deadlines(
                text, feed.language, feed.timezone, _published(entry)
            ),
            budget_amount=budget.amount if budget else None,
            budget_currency=budget.currency if budget else None,
            description=summary or content or None,
            instrument=Instrument.GRANT,
            keywords=_parse_keywords(entry, feed),
            programme_codes=parse_programme_codes(text, identifier),
            listing_hash=h,
        )

    def _count(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def _raw(entry: dict[str, Any], key: str) -> Any:
    """A key as the feed gave it (feedparser maps a missing `updated` to
    `published`, with a deprecation warning)."""
    return dict.get(entry, key)


def _parse_title(entry: dict[str, Any]) -> str:
    """The title as plain text (Atom titles may be HTML)."""
    return detail_text(entry.get("title_detail")) or str(entry.get("title") or "")


def _parse_url(entry: dict[str, Any], response: Response, rss: bool) -> str | None:
    """The entry's page, absolute; None unless it is an http(s) URL.

    feedparser falls back to the id when an entry has no link: right for an RSS
    guid (a permalink unless isPermaLink="false"), wrong for an Atom id.
    """
    links = entry.get("links") or []
    hrefs = [x.get("href") for x in links if x.get("rel", "alternate") == "alternate"]
    link = next((h for h in hrefs if h), None)
    if link is None and not links and entry.get("guidislink") and rss:
        link = entry.get("link")
    url = response.urljoin(str(link).strip()) if link else ""
    return url if urlsplit(url).scheme in ("http", "https") else None


def _published(entry: dict[str, Any]) -> date | None:
    """The day the entry was published (UTC): "today" for dates without a year."""
    stamp = _raw(entry, "published_parsed") or _raw(entry, "updated_parsed")
    return datetime(*stamp[:6], tzinfo=UTC).date() if stamp else None


def _parse_keywords(entry: dict[str, Any], feed: FeedSource) -> list[str]:
    """The entry's own categories, then the feed's default domain tags."""
    own = [str(t.get("label") or t.get("term") or "") for t in entry.get("tags") or []]
    return [
        *(k.strip() for k in own if k.strip()),
        *(str(t) for t in feed.default_tags),
    ]
