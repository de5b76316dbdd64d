"""Crawl runs: every crawl is recorded, whatever happens to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import CrawlRun, Source
from tracker.vocab import CrawlOutcome

MAX_MESSAGES = 50


@dataclass
class RunCounts:
    scraped: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    dropped: int = 0
    errors: int = 0
    messages: list[str] = field(default_factory=list)


def start_run(session: Session, source: Source, now: datetime) -> CrawlRun:
    run = CrawlRun(source=source, started_at=now, outcome=CrawlOutcome.RUNNING)
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run_id: int,
    outcome: CrawlOutcome,
    counts: RunCounts,
    now: datetime,
) -> CrawlRun:
    run = session.get_one(CrawlRun, run_id)
    run.finished_at = now
    run.outcome = outcome
    run.items_scraped = counts.scraped
    run.items_new = counts.new
    run.items_changed = counts.changed
    run.items_unchanged = counts.unchanged
    run.items_dropped = counts.dropped
    run.errors = counts.errors
    run.messages = counts.messages[:MAX_MESSAGES]
    return run


def latest_run(session: Session, slug: str) -> CrawlRun | None:
    return session.scalar(
        select(CrawlRun)
        .join(Source)
        .where(Source.slug == slug)
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
