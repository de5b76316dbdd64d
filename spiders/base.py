"""Behaviour shared by every funding spider."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import scrapy

from spiders.items import CallSeen


class FundingSpider(scrapy.Spider):
    """Base class: source constants as class attributes, parsing in subclasses.

    `name` is the source slug (`<scope>_<funder>[_<programme>]`); `funder`,
    `source_name` and `source_url` describe the source in the tracker. A spider
    that serves several sources (the generic feed spider) sets `source_slug`
    and those attributes per instance.
    """

    funder: ClassVar[str]
    source_name: ClassVar[str]
    source_url: ClassVar[str]
    language: ClassVar[str] = "pl"
    # An aggregator whose copies of calls yield to the operators' own.
    catch_all: ClassVar[bool] = False
    timezone: ClassVar[str] = "Europe/Warsaw"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # source_id -> listing hash of the calls already stored; filled by the
        # store pipeline when the crawl opens, empty in `grants parse`.
        self.known_listings: dict[str, str] = {}

    @property
    def source_slug(self) -> str:
        return self.name

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The crawl begins at the source's page (`parse`); others override this."""
        yield scrapy.Request(self.source_url, callback=self.parse)

    def count_problem(self, reason: str) -> None:
        """Count a non-fatal problem (a cut field, a skipped row) in the crawl stats."""
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("grants/problems")
            self.crawler.stats.inc_value(f"grants/problems/{reason}")
        self.logger.warning("problem: %s", reason)

    def unchanged_listing(self, source_id: str, listing_hash: str) -> CallSeen | None:
        """A `CallSeen` when the listing entry is as stored: skip the detail page."""
        if self.known_listings.get(source_id) == listing_hash:
            return CallSeen(self.source_slug, source_id)
        return None


def listing_hash(*parts: Any) -> str:
    """A stable digest of what a listing says about one call."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
