"""What runs when: the scheduler's jobs and their times, from the settings.

SCHEDULE_CRAWL, SCHEDULE_REMINDERS and SCHEDULE_HEALTH are times of day
("05:00"), SCHEDULE_DIGEST a weekday and a time ("mon 07:00"), all in
TIMEZONE; a value that cannot be read stops `grants schedule` with a message
naming the setting, rather than a job silently never running.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from tracker.config import Settings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# Fallback for any job: a restart or a slow database delays a run by minutes.
DEFAULT_GRACE = timedelta(hours=1)


class ScheduleError(ValueError):
    """A SCHEDULE_* setting that cannot be read; the message names it."""


@dataclass(frozen=True)
class JobSpec:
    """A job as configured: the id keys both `tracker.jobs.JOBS` and the store."""

    id: str
    name: str
    trigger: BaseTrigger
    # How late a run may still start (after downtime); later, it is skipped.
    grace: timedelta = DEFAULT_GRACE


def parse_daily(setting: str, value: str) -> tuple[int, int]:
    """("SCHEDULE_CRAWL", "05:00") -> (5, 0)."""
    match = _TIME.match(value.strip())
    if not match:
        raise ScheduleError(
            f"{setting} must be a time of day HH:MM such as 05:00, not {value!r}"
        )
    return int(match[1]), int(match[2])


def parse_weekly(setting: str, value: str) -> tuple[str, int, int]:
    """("SCHEDULE_DIGEST", "mon 07:00") -> ("mon", 7, 0)."""
    parts = value.strip().lower().split()
    if len(parts) != 2 or parts[0] not in DAYS or not _TIME.match(parts[1]):
        raise ScheduleError(
            f"{setting} must be a weekday ({', '.join(DAYS)}) and HH:MM "
            f"such as 'mon 07:00', not {value!r}"
        )
    return (parts[0], *parse_daily(setting, parts[1]))


def configured_jobs(settings: Settings) -> list[JobSpec]:
    """The jobs and their times from the settings; `ScheduleError` if unreadable.

    Grace times: a crawl late by up to 6 hours still comes before the
    coordinators' working day; a digest or reminders late by up to 12 hours
    still go out on their day, which is what the member was promised; a
    health check later than an hour is pointless, the next comes tomorrow.
    """
    zone = ZoneInfo(settings.TIMEZONE)

    def daily(setting: str) -> CronTrigger:
        hour, minute = parse_daily(setting, getattr(settings, setting))
        return CronTrigger(hour=hour, minute=minute, timezone=zone)

    day, hour, minute = parse_weekly("SCHEDULE_DIGEST", settings.SCHEDULE_DIGEST)
    weekly = CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=zone)
    return [
        JobSpec("crawl", "crawl every source", daily("SCHEDULE_CRAWL"), _h(6)),
        JobSpec("digest", "weekly digest", weekly, _h(12)),
        JobSpec("reminders", "deadline reminders", daily("SCHEDULE_REMINDERS"), _h(12)),
        JobSpec("health", "crawl health check", daily("SCHEDULE_HEALTH"), _h(1)),
    ]


def _h(hours: int) -> timedelta:
    return timedelta(hours=hours)
