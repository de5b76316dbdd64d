"""Scrapy settings: polite by default, tunable only through `tracker.config`."""

from __future__ import annotations

from tracker.config import get_settings

_settings = get_settings()

BOT_NAME = "grants"
SPIDER_MODULES = ["spiders.sources"]
NEWSPIDER_MODULE = "spiders.sources"

USER_AGENT = _settings.CRAWL_USER_AGENT
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_TIMEOUT = 60
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# A spider that errors repeatedly stops and is reported rather than limping on.
CLOSESPIDER_ERRORCOUNT = 20

HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"

# Retries wait longer each time (a struggling server gets air); the replay
# middleware is inert unless the demo points it at its local server.
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    "spiders.middlewares.ReplayMiddleware": 800,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.retry.BackoffRetryMiddleware": 550,
}
GRANTS_REPLAY_URL = _settings.REPLAY_URL

ITEM_PIPELINES = {
    "spiders.pipelines.ValidatePipeline": 100,
    "spiders.pipelines.NormalizePipeline": 200,
    "spiders.pipelines.StorePipeline": 900,
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

if GRANTS_REPLAY_URL:
    # A local replay server needs no politeness, and the demo should be quick.
    DOWNLOAD_DELAY = 0.0
    AUTOTHROTTLE_ENABLED = False
