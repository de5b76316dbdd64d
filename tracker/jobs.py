"""What `grants schedule` runs: the crawl, the digest, reminders, the health check.

Each job is a module-level function of no arguments but an optional `now`
(the simulated week in the tests passes its own clock; the scheduler passes
nothing). The SQL job store keeps only a reference to `tracker.scheduler.run_job`
and a job id, so nothing live (sessions, engines, settings) is ever pickled:
each job reads the settings and opens its own transactions when it runs.

Every job may run again after a crash (see `tracker.scheduler`): the digest
and reminders send at most once per member and period or cut-off, a crawl
and a health check only look again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from digests.alerts import notify_alerts
from digests.period import current_period
from digests.send import SendReport, send_weekly_digests
from tracker.config import get_settings
from tracker.crawling import crawl_each, source_slugs
from tracker.db import session_factory
from tracker.health import overview
from tracker.models import utcnow

log = logging.getLogger(__name__)

# The crawl subprocesses print their one-line run summaries; health alerts are
# mailed once, by the health job, not by every source's crawl.
CRAWL_ARGS = ["--no-notify", "--log-level", "WARNING"]


def crawl() -> dict[str, int]:
    """Every source in its own process (Scrapy's reactor runs once per process)."""
    results = crawl_each(source_slugs(), CRAWL_ARGS)
    failed = sorted(slug for slug, code in results.items() if code)
    log.info(
        "crawled %d sources, %d failed%s", len(results), len(failed), _listed(failed)
    )
    return results


def digest(now: datetime | None = None) -> SendReport:
    """This week's digest to every member who has not had it yet."""
    settings, now = get_settings(), now or utcnow()
    period = current_period(now, settings)
    report = send_weekly_digests(session_factory(), settings, period, now)
    _log_report(f"digest {period}", report)
    return report


def reminders(now: datetime | None = None) -> SendReport:
    """Deadline reminders due today, once per member, call, cut-off and offset."""
    # Imported when run, so that a broken reminders module stops this job only.
    from digests.reminders import send_reminders

    settings, now = get_settings(), now or utcnow()
    report = send_reminders(session_factory(), settings, now)
    _log_report(f"reminders {now.date()}", report)
    return report


def _log_report(what: str, report: SendReport) -> None:
    log.info(
        "%s: sent %d, already sent %d, nothing to send %d, failed %d, uncertain %d",
        what,
        report.sent,
        report.already_sent,
        report.skipped_empty,
        report.failed,
        report.uncertain,
    )
    for email, error in report.errors.items():
        log.error("%s for %s: %s", what, email, error)


def health(now: datetime | None = None) -> int:
    """Re-evaluate every source's crawl health; mail new alerts to coordinators."""
    now = now or utcnow()
    sessions = session_factory()
    with sessions.begin() as session:
        alerts = [
            f"{h.source.slug} {alert.kind}"
            for h in overview(session, now)
            for alert in h.alerts
        ]
    log.info("health: %d open alert(s)%s", len(alerts), _listed(alerts))
    sent = notify_alerts(sessions, get_settings(), now)
    log.info("health: %d new alert(s) mailed to the coordinators", sent)
    return sent


def _listed(items: list[str]) -> str:
    return f": {', '.join(items)}" if items else ""


# Job id -> function. Ids are stable: they key the rows of the job store.
# Tests register extra ids here (a recording function) to count executions.
JOBS: dict[str, Callable[[], object]] = {
    "crawl": crawl,
    "digest": digest,
    "reminders": reminders,
    "health": health,
}
