"""Retries back off exponentially and keep Scrapy's retry policy."""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from twisted.internet.error import TimeoutError as TwistedTimeout

from spiders.retry import BackoffRetryMiddleware, backoff_delay


@pytest.mark.parametrize(
    ("attempt", "expected"), [(1, 2.0), (2, 4.0), (3, 8.0), (6, 60.0), (10, 60.0)]
)
def test_delay_doubles_up_to_the_cap(attempt: int, expected: float) -> None:
    assert backoff_delay(attempt, base=2.0, cap=60.0) == expected


def _middleware() -> BackoffRetryMiddleware:
    crawler = get_crawler(
        Spider, {"RETRY_BACKOFF_BASE": 0.0, "RETRY_TIMES": 2, "LOG_LEVEL": "ERROR"}
    )
    crawler.spider = crawler._create_spider("test")
    return BackoffRetryMiddleware.from_crawler(crawler)


def test_server_error_is_retried_then_given_up() -> None:
    middleware = _middleware()
    request = Request("https://example.org/calls")
    first = asyncio.run(
        middleware.process_response(request, Response(request.url, status=503))
    )
    assert isinstance(first, Request)
    assert first.meta["retry_times"] == 1
    second = asyncio.run(
        middleware.process_response(first, Response(request.url, status=503))
    )
    assert second.meta["retry_times"] == 2
    final = asyncio.run(
        middleware.process_response(second, Response(request.url, status=503))
    )
    assert isinstance(final, Response)  # RETRY_TIMES exhausted: the error stands


def test_success_and_client_errors_are_not_retried() -> None:
    middleware = _middleware()
    request = Request("https://example.org/calls")
    for status in (200, 404):
        response = Response(request.url, status=status)
        assert asyncio.run(middleware.process_response(request, response)) is response


def test_timeouts_are_retried() -> None:
    middleware = _middleware()
    request = Request("https://example.org/calls")
    retried = asyncio.run(middleware.process_exception(request, TwistedTimeout()))
    assert isinstance(retried, Request)
