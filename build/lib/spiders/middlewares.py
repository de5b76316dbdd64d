"""Downloader middleware that replays every crawl from the demo's local server."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Self
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.misc import load_object

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

# Request meta: the URL a replayed request stands for.
ORIGINAL_URL = "replay_original_url"
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})


def stays_local(url: str) -> bool:
    """True for non-HTTP URLs and loopback hosts (127.0.0.0/8, ::1, localhost)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def replay_url_for(replay: str, url: str) -> str:
    """`https://host/path?q` as the replay server's `<replay>/host/path?q`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    query = f"?{parts.query}" if parts.query else ""
    return f"{replay.rstrip('/')}/{host}{parts.path or '/'}{query}"


def original_url_for(replay: str, url: str, scheme: str = "https") -> str | None:
    """The reverse of `replay_url_for`; None for a URL not on the replay server."""
    prefix = replay.rstrip("/") + "/"
    if not url.startswith(prefix):
        return None
    host, _, rest = url[len(prefix) :].partition("/")
    return f"{scheme}://{host}/{rest}" if host else None


class ReplayMiddleware:
    """Demo and tests only: fetch every page from `GRANTS_REPLAY_URL`.

    A request for `https://host/path?q` is rescheduled as
    `GRANTS_REPLAY_URL/host/path?q` (method, body, headers, callback and meta
    kept; the original URL in `meta["replay_original_url"]`), and its response
    comes back under the original URL, so spiders follow and store real links.
    Loopback requests, such as those already aimed at the replay server, pass
    through. With the setting empty (production) it does nothing.

    Its place (800 in spiders/settings.py): after `RobotsTxtMiddleware` (100),
    so that robots.txt is checked for the real host and fetched from
    `GRANTS_REPLAY_URL/host/robots.txt` through this same rewrite (placed
    before it, it refuses to start); before `DownloaderStats` (850), so that
    each page counts once; and its response hook runs before those of the
    redirect, retry and cookie middlewares, which thus see the real URL.
    """

    def __init__(self, replay_url: str = "") -> None:
        self.replay_url = replay_url.rstrip("/")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler.settings.get("GRANTS_REPLAY_URL") or "")
        if middleware.replay_url and crawler.settings.getbool("ROBOTSTXT_OBEY"):
            _check_after_robots(crawler.settings)
        return middleware

    def process_request(self, request: Request) -> Request | None:
        url = request.url
        if not self.replay_url or url.startswith(f"{self.replay_url}/"):
            return None
        if stays_local(url):
            return None
        meta = {
            **request.meta,
            ORIGINAL_URL: url,
            # Both were checked for the real URL on the way here.
            "dont_obey_robotstxt": True,
            "allow_offsite": True,
        }
        return request.replace(url=replay_url_for(self.replay_url, url), meta=meta)

    def process_response(self, request: Request, response: Response) -> Response:
        original = request.meta.get(ORIGINAL_URL)
        if not self.replay_url or not original:
            return response
        headers = response.headers.copy()
        if location := headers.get("Location"):
            # A redirect on the replay server is a redirect on the real site.
            target = urljoin(response.url, location.decode("latin-1"))
            scheme = urlsplit(original).scheme
            headers["Location"] = (
                original_url_for(self.replay_url, target, scheme) or target
            )
        return response.replace(
            url=original, headers=headers, request=request.replace(url=original)
        )


def _check_after_robots(settings: BaseSettings) -> None:
    """Raise unless robots.txt is checked (for the real host) before the rewrite."""
    priorities: dict[type, int] = {}
    for key, value in settings.getwithbase("DOWNLOADER_MIDDLEWARES").items():
        if value is not None:
            priorities[load_object(key) if isinstance(key, str) else key] = value
    mine, robots = priorities.get(ReplayMiddleware), priorities.get(RobotsTxtMiddleware)
    if mine is not None and robots is not None and mine <= robots:
        raise ValueError(
            f"ReplayMiddleware ({mine}) must come after RobotsTxtMiddleware "
            f"({robots}) in DOWNLOADER_MIDDLEWARES, or robots.txt is never "
            "asked for the real hosts"
        )
