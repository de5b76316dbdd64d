"""Behaviour shared by every funding spider."""

from __future__ import annotations

from typing import ClassVar

import scrapy


class FundingSpider(scrapy.Spider):
    """Base class: source constants as class attributes, parsing in subclasses.

    `name` is the source slug (`<scope>_<funder>[_<programme>]`); `funder`,
    `source_name` and `source_url` describe the source in the tracker.
    """

    funder: ClassVar[str]
    source_name: ClassVar[str]
    source_url: ClassVar[str]
    language: ClassVar[str] = "pl"
    timezone: ClassVar[str] = "Europe/Warsaw"

    def count_problem(self, reason: str) -> None:
        """Count a non-fatal problem (a cut field, a skipped row) in the crawl stats."""
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("grants/problems")
            self.crawler.stats.inc_value(f"grants/problems/{reason}")
        self.logger.warning("problem: %s", reason)
