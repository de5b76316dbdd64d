"""A real Scrapy crawl in its own process, recorded whatever happens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.db import make_engine, session_factory, upgrade
from tracker.demo.outbox import free_port
from tracker.demo.replay import ReplayServer, demo_api_url
from tracker.models import Call, CrawlRun
from tracker.vocab import CallStatus, CrawlOutcome


def _crawl(db_url: str, api_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "EU_FT_API_URL": api_url}
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", "crawl", "eu_ft_portal"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'crawl.db'}"
    upgrade(make_engine(url))
    return url


def _runs(db_url: str) -> list[CrawlRun]:
    with session_factory(make_engine(db_url)).begin() as session:
        return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def test_crawl_stores_calls_then_finds_them_unchanged(db_url: str) -> None:
    with ReplayServer() as server:
        first = _crawl(db_url, demo_api_url(server))
        second = _crawl(db_url, demo_api_url(server))
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    one, two = _runs(db_url)
    assert one.outcome is CrawlOutcome.SUCCESS
    assert one.items_new == one.items_scraped > 0
    assert (two.items_new, two.items_changed) == (0, 0)
    assert two.items_unchanged == one.items_scraped
    assert f"found {one.items_scraped}, new {one.items_new}" in first.stdout
    with session_factory(make_engine(db_url)).begin() as session:
        assert session.scalar(select(func.count(Call.id))) == one.items_scraped
        statuses = set(session.scalars(select(Call.status)))
    # The replay holds a topic flagged "open" whose deadline has passed.
    assert CallStatus.CLOSED in statuses
    assert CallStatus.OPEN in statuses


def test_unreachable_source_is_recorded_as_failed(db_url: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}/search-api/prod/rest/search?apiKey=SEDIA"
    done = _crawl(db_url, dead)
    assert done.returncode != 0
    assert "failed" in done.stderr + done.stdout
    (run,) = _runs(db_url)
    assert run.outcome is CrawlOutcome.FAILED
    assert run.finished_at is not None
    assert run.items_scraped == 0
    assert run.errors > 0
