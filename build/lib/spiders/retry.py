"""Retries that back off: each attempt waits longer, so a struggling server gets air."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Self

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, 3, …): base, 2×, 4×, …"""
    return min(cap, base * 2 ** (attempt - 1))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry policy (codes, exceptions, RETRY_TIMES) plus exponential waits."""

    base: float = 2.0
    cap: float = 60.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.base = crawler.settings.getfloat("RETRY_BACKOFF_BASE", cls.base)
        middleware.cap = crawler.settings.getfloat("RETRY_BACKOFF_MAX", cls.cap)
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        result = super().process_response(request, response)
        await self._wait_before(result)
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        await self._wait_before(result)
        return result

    async def _wait_before(self, result: object) -> None:
        if isinstance(result, Request):
            attempt = int(result.meta.get("retry_times", 1))
            await asyncio.sleep(backoff_delay(attempt, self.base, self.cap))
