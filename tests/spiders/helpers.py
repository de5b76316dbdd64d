"""Scrapy responses built from saved pages, and offline crawls, for spider tests.

After City Bureau's `file_response`: a spider callback gets what Scrapy would give
it, a response with its request attached (so `response.follow`, `response.meta`
and the request's `cb_kwargs` work), without any network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.http import HtmlResponse, Request, TextResponse

# Bodies that are data, not pages: a plain TextResponse, as Scrapy gives them.
_DATA_SUFFIXES = frozenset({".json", ".xml", ".rss", ".atom"})


def response_from(
    page: bytes | Path,
    url: str | None = None,
    *,
    request: Request | None = None,
    meta: dict[str, Any] | None = None,
    encoding: str = "utf-8",
) -> TextResponse:
    """The response to `url` (default: `request`'s) whose body is `page` (a file is
    read). `request` (default: a new one for `url`, with `meta`) is attached. JSON
    and XML, by their file or URL suffix or a body opening with `{`, `[` or
    `<?xml` (XHTML aside), give a `TextResponse`; anything else an `HtmlResponse`."""
    if url is None and request is None:
        raise ValueError("response_from: give a url or a request")
    body = page.read_bytes() if isinstance(page, Path) else page
    request = request or Request(url or "", meta=meta)
    url = url or request.url
    names = [urlsplit(url).path, *([page.name] if isinstance(page, Path) else [])]
    data = any(PurePosixPath(n).suffix.lower() in _DATA_SUFFIXES for n in names)
    head = body.lstrip()[:5]
    xml = head == b"<?xml" and b"<html" not in body[:2048].lower()  # not XHTML
    if data or xml or head[:1] in (b"{", b"["):
        return TextResponse(url, body=body, encoding=encoding, request=request)
    return HtmlResponse(url, body=body, encoding=encoding, request=request)


def crawl(requests: Iterable[Request], pages: Mapping[str, bytes | Path]) -> list[Any]:
    """A crawl answered from `pages` (URL -> body): each request's callback runs on
    its page, the requests it yields are queued, everything else is returned in
    order. A request for a URL missing from `pages` is a KeyError."""
    queue: list[Any] = list(requests)
    results: list[Any] = []
    while queue:
        item = queue.pop(0)
        if not isinstance(item, Request):
            results.append(item)
            continue
        response = response_from(pages[item.url], item.url)
        queue += list(item.callback(response, **item.cb_kwargs))
    return results


def problem_count(spider: Spider, reason: str) -> int:
    """How often the spider counted problem `reason` in its crawl stats."""
    assert spider.crawler.stats is not None
    return spider.crawler.stats.get_value(f"grants/problems/{reason}", 0)
