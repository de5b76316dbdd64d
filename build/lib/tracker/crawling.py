"""Running spiders: one in this process, or each source in its own process."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterable

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

# The generic feed spider serves every source of spiders/feeds.toml, one per run.
FEED_SPIDER = "feed"


def scrapy_settings(overrides: dict[str, object] | None = None) -> ScrapySettings:
    # `grants` runs from anywhere, not only beside scrapy.cfg.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "spiders.settings")
    settings = get_project_settings()
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def spider_names() -> list[str]:
    """Every spider, found in `spiders.sources` without a registry."""
    return sorted(SpiderLoader.from_settings(scrapy_settings()).list())


def feed_slugs() -> list[str]:
    from spiders.sources.feed import configured_feeds

    return [feed.slug for feed in configured_feeds()]


def source_slugs() -> list[str]:
    """Every source: each spider's own, and each configured feed."""
    own = [name for name in spider_names() if name != FEED_SPIDER]
    return sorted([*own, *feed_slugs()])


def spider_for(slug: str) -> tuple[str, dict[str, str]]:
    """The spider that crawls source `slug`, and its arguments."""
    if slug in feed_slugs():
        return FEED_SPIDER, {"source": slug}
    if slug in spider_names() and slug != FEED_SPIDER:
        return slug, {}
    raise LookupError(f"unknown source {slug!r}; known: {', '.join(source_slugs())}")


def crawl_here(slug: str, overrides: dict[str, object] | None = None) -> None:
    """Crawl one source in this process (Twisted's reactor runs once per process)."""
    spider, arguments = spider_for(slug)
    # Scrapy installs its own root handler that honours LOG_LEVEL; the CLI's
    # basic handler would otherwise print every DEBUG line a second time.
    for handler in list(logging.root.handlers):
        logging.root.removeHandler(handler)
    process = CrawlerProcess(scrapy_settings(overrides))
    process.crawl(spider, **arguments)
    process.start()


def crawl_each(slugs: Iterable[str], extra_args: list[str]) -> dict[str, int]:
    """Crawl each source in its own process so that one crash cannot stop the others."""
    results = {}
    for slug in slugs:
        cmd = [sys.executable, "-m", "tracker.cli", "crawl", slug, *extra_args]
        results[slug] = subprocess.run(cmd, check=False).returncode
    return results
