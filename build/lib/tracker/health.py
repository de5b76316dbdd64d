"""Crawl health: vanished calls, alerts on a source's runs, the sources overview."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from tracker.models import Alert, Call, CrawlRun, Source
from tracker.status import status_of
from tracker.vocab import AlertKind, CallStatus, CrawlOutcome

STALE_AFTER = timedelta(days=3)
DROP_RATIO = 0.5  # fewer than half of the recent runs' calls
VALIDATION_LIMIT = 0.10  # share of calls dropped by validation
RECENT_RUNS = 5


def flag_missing(
    session: Session, source: Source, since: datetime, now: datetime
) -> list[Call]:
    """Mark open calls that a complete crawl started at `since` no longer listed.

    They are flagged for a coordinator to confirm as withdrawn, never closed or
    deleted: a source may hide a call for a day by mistake.
    """
    calls = session.scalars(
        select(Call)
        .where(
            Call.source_id == source.id,
            Call.last_seen_at < since,
            Call.missing_since.is_(None),
        )
        .options(selectinload(Call.deadlines))
    ).all()
    flagged = [c for c in calls if status_of(c, now) is CallStatus.OPEN]
    for call in flagged:
        call.missing_since = now
    return flagged


def run_problems(runs: list[CrawlRun], now: datetime) -> dict[AlertKind, str]:
    """What is wrong with a source, judged from its runs (newest first)."""
    problems: dict[AlertKind, str] = {}
    successes = [r for r in runs if r.outcome is CrawlOutcome.SUCCESS]
    if runs and runs[0].outcome is CrawlOutcome.FAILED:
        detail = "; ".join(runs[0].messages[:3]) or f"{runs[0].errors} errors"
        problems[AlertKind.FAILED] = f"the last crawl failed: {detail}"
    last_success = successes[0].finished_at if successes else None
    if runs and (last_success is None or now - last_success > STALE_AFTER):
        since = last_success.date().isoformat() if last_success else "never"
        problems[AlertKind.STALE] = f"no successful crawl for 3 days (last: {since})"
    if successes:
        problems.update(_volume_problems(successes[0], successes[1 : RECENT_RUNS + 1]))
    return problems


def _volume_problems(last: CrawlRun, earlier: list[CrawlRun]) -> dict[AlertKind, str]:
    problems: dict[AlertKind, str] = {}
    found = last.items_scraped
    before = [r.items_scraped for r in earlier]
    if found == 0 and any(before):
        problems[AlertKind.NO_CALLS] = (
            f"the last crawl found no calls; earlier ones found {max(before)}"
        )
    elif before and found < DROP_RATIO * statistics.median(before):
        median = statistics.median(before)
        problems[AlertKind.DROP] = (
            f"the last crawl found {found} calls, under half of the recent {median:g}"
        )
    seen = last.items_scraped + last.items_dropped
    if seen and last.items_dropped / seen > VALIDATION_LIMIT:
        problems[AlertKind.VALIDATION] = (
            f"{last.items_dropped} of {seen} calls failed validation"
        )
    return problems


def evaluate(session: Session, source: Source, now: datetime) -> list[Alert]:
    """Raise alerts for new problems, resolve those that cleared; the open ones."""
    runs = list(
        session.scalars(
            select(CrawlRun)
            .where(
                CrawlRun.source_id == source.id,
                CrawlRun.outcome != CrawlOutcome.RUNNING,
            )
            .order_by(CrawlRun.started_at.desc())
            .limit(RECENT_RUNS + 10)
        )
    )
    problems = run_problems(runs, now)
    open_alerts = {a.kind: a for a in open_alerts_of(session, source)}
    for kind, alert in open_alerts.items():
        if kind not in problems:
            alert.resolved_at = now
    for kind, message in problems.items():
        if kind in open_alerts:
            open_alerts[kind].message = message
        else:
            alert = Alert(source=source, kind=kind, message=message, raised_at=now)
            session.add(alert)
            open_alerts[kind] = alert
    session.flush()
    return [a for a in open_alerts.values() if a.resolved_at is None]


def open_alerts_of(session: Session, source: Source) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.source_id == source.id, Alert.resolved_at.is_(None))
            .order_by(Alert.id)
        )
    )


@dataclass(frozen=True)
class SourceHealth:
    source: Source
    last_run: CrawlRun | None
    last_success: datetime | None
    calls: int
    open_calls: int
    missing: int
    alerts: list[Alert]

    @property
    def last_error(self) -> str | None:
        run = self.last_run
        if run is None or (run.outcome is CrawlOutcome.SUCCESS and not run.errors):
            return None
        return "; ".join(run.messages[:2]) or f"{run.errors} errors"


def overview(session: Session, now: datetime) -> list[SourceHealth]:
    """Each known source's health, alerts re-evaluated as of `now`."""
    report = []
    for source in session.scalars(select(Source).order_by(Source.slug)):
        alerts = evaluate(session, source, now)
        last_run = session.scalar(
            select(CrawlRun)
            .where(CrawlRun.source_id == source.id)
            .order_by(CrawlRun.started_at.desc())
            .limit(1)
        )
        last_success = session.scalar(
            select(func.max(CrawlRun.finished_at)).where(
                CrawlRun.source_id == source.id,
                CrawlRun.outcome == CrawlOutcome.SUCCESS,
            )
        )
        counts = _call_counts(session, source)
        report.append(SourceHealth(source, last_run, last_success, *counts, alerts))
    return report


def _call_counts(session: Session, source: Source) -> tuple[int, int, int]:
    def count(*conditions: object) -> int:
        query = select(func.count(Call.id)).where(Call.source_id == source.id)
        return session.scalar(query.where(*conditions)) or 0

    return (
        count(),
        count(Call.status == CallStatus.OPEN),
        count(Call.missing_since.is_not(None)),
    )
