"""Validation drops with a reason; normalisation computes status; runs are scored."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from spiders.items import Deadline, FundingCall
from spiders.pipelines import (
    ValidatePipeline,
    crawl_outcome,
    normalize_item,
    run_counts_from_stats,
    validate_item,
)
from tracker.crawls import RunCounts
from tracker.vocab import CallStatus, CrawlOutcome

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _call(**overrides: object) -> FundingCall:
    values: dict[str, object] = {
        "source": "eu_test",
        "source_id": "X-1",
        "title": "A call",
        "url": "https://example.org/x-1",
        "funder": "EC",
        "language": "en",
    }
    values.update(overrides)
    return FundingCall(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"title": "  "}, "missing title"),
        ({"source_id": ""}, "missing source_id"),
        ({"url": ""}, "missing url"),
        ({"url": "/relative/path"}, "url is not absolute"),
        ({"deadlines": [Deadline(datetime(2027, 1, 1))]}, "deadline without time zone"),
    ],
)
def test_invalid_calls_are_dropped_with_a_reason(overrides, reason) -> None:
    with pytest.raises(DropItem, match=reason):
        validate_item(_call(**overrides))


def test_validate_pipeline_counts_drops() -> None:
    crawler = get_crawler()
    crawler.stats.open_spider()
    pipeline = ValidatePipeline.from_crawler(crawler)
    assert pipeline.process_item(_call()) is not None
    with pytest.raises(DropItem):
        pipeline.process_item(_call(title=""))
    assert crawler.stats.get_value("grants/dropped") == 1
    assert crawler.stats.get_value("grants/dropped/missing title") == 1


def test_normalize_sorts_deadlines_and_computes_status() -> None:
    warsaw = ZoneInfo("Europe/Warsaw")
    late = Deadline(datetime(2027, 3, 1, 14, tzinfo=warsaw), "stage 2")
    early = Deadline(datetime(2026, 9, 1, 14, tzinfo=warsaw), "stage 1")
    call = normalize_item(
        _call(
            title="  Biotech \n  call ",
            deadlines=[late, early, late],
            source_status=CallStatus.CLOSED,
            budget_currency="eur",
        ),
        NOW,
    )
    assert call.title == "Biotech call"
    assert [d.label for d in call.deadlines] == ["stage 1", "stage 2"]
    assert call.status is CallStatus.OPEN  # stage 2 is still ahead
    assert call.budget_currency == "EUR"


def test_run_counts_collect_reasons() -> None:
    stats = {
        "item_scraped_count": 5,
        "item_dropped_count": 2,
        "grants/new": 3,
        "grants/unchanged": 2,
        "grants/dropped/missing title": 2,
        "grants/problems/budgetOverview cut": 4,
        "log_count/ERROR": 1,
        "spider_exceptions/count": 1,
        "spider_exceptions/ValueError": 1,
        "httperror/response_ignored_status_count/404": 2,
    }
    counts = run_counts_from_stats(stats, RunCounts())
    got = (counts.scraped, counts.new, counts.unchanged, counts.dropped)
    assert got == (5, 3, 2, 2)
    assert counts.errors == 1
    assert "dropped: missing title (2)" in counts.messages
    assert "problems: budgetOverview cut (4)" in counts.messages
    assert "spider exceptions: ValueError (1)" in counts.messages
    assert "HTTP status: 404 (2)" in counts.messages
    assert not any("count" in m for m in counts.messages)


@pytest.mark.parametrize(
    ("stats", "reason", "scraped", "errors", "expected"),
    [
        ({}, "finished", 5, 0, CrawlOutcome.SUCCESS),
        ({}, "finished", 5, 2, CrawlOutcome.SUCCESS),  # some pages failed, not all
        ({}, "finished", 0, 3, CrawlOutcome.FAILED),
        ({"spider_exceptions/KeyError": 1}, "finished", 5, 1, CrawlOutcome.FAILED),
        ({}, "closespider_errorcount", 5, 20, CrawlOutcome.FAILED),
        ({}, "shutdown", 5, 0, CrawlOutcome.FAILED),
        (
            {"httperror/response_ignored_count": 1},
            "finished",
            0,
            0,
            CrawlOutcome.FAILED,
        ),
        (
            {"httperror/response_ignored_count": 1},
            "finished",
            3,
            0,
            CrawlOutcome.SUCCESS,
        ),
    ],
)
def test_crawl_outcome(stats, reason, scraped, errors, expected) -> None:
    counts = RunCounts(scraped=scraped, errors=errors)
    assert crawl_outcome(stats, reason, counts) is expected


def test_normalize_keeps_paragraphs_of_the_description() -> None:
    text = "Expected   Outcome:\n  better  tools.\n\n\n Scope:\n\tclinical trials. "
    call = normalize_item(_call(description=text), NOW)
    expected = "Expected Outcome: better tools.\n\nScope: clinical trials."
    assert call.description == expected
