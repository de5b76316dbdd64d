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


def scrapy_settings(overrides: dict[str, object] | None = None) -> ScrapySettings:
    # `grants` runs from anywhere, not only beside scrapy.cfg.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "spiders.settings")
    settings = get_project_settings()
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def spider_names() -> list[str]:
    """Every spider slug, found in `spiders.sources` without a registry."""
    return sorted(SpiderLoader.from_settings(scrapy_settings()).list())


def crawl_here(slug: str, overrides: dict[str, object] | None = None) -> None:
    """Run one spider in this process (Twisted's reactor runs once per process)."""
    settings = scrapy_settings(overrides)
    if slug not in SpiderLoader.from_settings(settings).list():
        raise LookupError(
            f"unknown spider {slug!r}; known: {', '.join(spider_names())}"
        )
    # Scrapy installs its own root handler that honours LOG_LEVEL; the CLI's
    # basic handler would otherwise print every DEBUG line a second time.
    for handler in list(logging.root.handlers):
        logging.root.removeHandler(handler)
    process = CrawlerProcess(settings)
    process.crawl(slug)
    process.start()


def crawl_each(slugs: Iterable[str], extra_args: list[str]) -> dict[str, int]:
    """Run each spider in its own process so that one crash cannot stop the others."""
    results = {}
    for slug in slugs:
        cmd = [sys.executable, "-m", "tracker.cli", "crawl", slug, *extra_args]
        results[slug] = subprocess.run(cmd, check=False).returncode
    return results
