"""`grants schedule`: the long-running process that runs every job on time."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click

from tracker.config import get_settings
from tracker.db import get_engine
from tracker.scheduler import (
    describe,
    overdue,
    schedule_changes,
    serve,
    stored_jobs,
)
from tracker.scheduler_lock import AlreadyRunning
from tracker.schedules import ScheduleError, configured_jobs

# How long past its time a job may sit in the store before --check complains.
CHECK_SLACK = timedelta(minutes=5)


@click.command()
@click.option(
    "--list",
    "show",
    is_flag=True,
    help="Show the stored jobs and their next run; do not start.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 unless every job is stored and none is overdue (a health check).",
)
def schedule(show: bool, check: bool) -> None:
    """Run the jobs: crawl daily, the digest weekly, reminders and health daily.

    Times come from SCHEDULE_CRAWL, SCHEDULE_DIGEST, SCHEDULE_REMINDERS and
    SCHEDULE_HEALTH in TIMEZONE. Stops cleanly on SIGTERM or Ctrl-C.
    """
    settings = get_settings()
    try:
        specs = configured_jobs(settings)
    except ScheduleError as error:
        raise click.ClickException(str(error)) from None
    if not (show or check):
        _log_for_a_long_run()
        try:
            serve(get_engine(), settings, specs, ready=click.echo)
        except AlreadyRunning as error:
            raise click.ClickException(str(error)) from None
        return
    zone = ZoneInfo(settings.TIMEZONE)
    jobs = stored_jobs(get_engine())
    if show:
        if not jobs:
            click.echo("no jobs stored yet: `grants schedule` stores them on start")
        for line in [*describe(jobs, zone), *schedule_changes(jobs, specs)]:
            click.echo(line)
    if check:
        problems = overdue(jobs, specs, datetime.now(zone), CHECK_SLACK)
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        if problems:
            raise SystemExit(1)


def _log_for_a_long_run() -> None:
    """What each job did goes to the log (INFO), each line with its time."""
    root = logging.getLogger()
    root.setLevel(min(root.level, logging.INFO))
    for handler in root.handlers:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
