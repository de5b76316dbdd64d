"""`grants crawl --all`: every source in its own process; one failure stops none."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from tracker.crawling import source_slugs
from tracker.db import make_engine, session_factory, upgrade
from tracker.demo.replay import ReplayServer, demo_api_url
from tracker.demo.run import DEMO_SOURCES
from tracker.models import CrawlRun, Source
from tracker.vocab import CrawlOutcome


def _grants(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('all') / 'all.db'}"
    upgrade(make_engine(url))
    with ReplayServer() as server:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REPLAY_URL": server.url,
            "EU_FT_API_URL": demo_api_url(server),
        }
        done = _grants(env, "crawl", "--all", "--no-notify", "--log-level", "ERROR")
        report = _grants(env, "sources")
    with session_factory(make_engine(url)).begin() as session:
        runs = {
            slug: outcome
            for slug, outcome in session.execute(
                select(Source.slug, CrawlRun.outcome).join(CrawlRun.source)
            )
        }
    return done, report, runs


def test_every_source_is_crawled_and_recorded(crawled) -> None:
    _, _, runs = crawled
    assert set(runs) == set(source_slugs())
    for slug in DEMO_SOURCES:
        assert runs[slug] is CrawlOutcome.SUCCESS, slug


def test_sources_without_replayed_pages_fail_alone(crawled) -> None:
    done, _, runs = crawled
    failed = {slug for slug, outcome in runs.items() if outcome is CrawlOutcome.FAILED}
    assert failed == set(source_slugs()) - set(DEMO_SOURCES)
    assert done.returncode != 0
    assert all(slug in done.stderr for slug in failed)


def test_sources_report_shows_health_and_alerts(crawled) -> None:
    _, report, runs = crawled
    assert report.returncode == 0, report.stderr
    blocks = _blocks(report.stdout)
    for slug, outcome in runs.items():
        block = blocks[slug]
        if outcome is CrawlOutcome.FAILED:
            assert "ALERT failed" in block, block
            assert "last success: never" in block
        else:
            assert "ALERT" not in block, block
            assert "calls: " in block


def _blocks(report: str) -> dict[str, str]:
    """Each source's lines of `grants sources`, by slug (indented lines belong)."""
    blocks: dict[str, list[str]] = {}
    for line in report.splitlines():
        if not line.startswith(" "):
            current = blocks.setdefault(line.split(" ", 1)[0], [])
        current.append(line)
    return {slug: "\n".join(lines) for slug, lines in blocks.items()}
