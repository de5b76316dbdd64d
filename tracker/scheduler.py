"""`grants schedule`: APScheduler 3 running `tracker.jobs`, its jobs in the database.

The jobs live in the SQL job store (table `apscheduler_jobs`, beside the
tracker's own tables) under stable ids, so a restart neither loses nor
doubles them:

* On start, each configured job replaces the stored one of its id. When its
  trigger is unchanged the stored next run time is kept, so a run that fell
  due while the process was down is still run: once, however many fire times
  passed (coalesce), if it is late by no more than the job's grace time, and
  skipped otherwise. A changed schedule (settings) starts afresh.
* APScheduler moves a job's next run time on before running it, so a job that
  ran is not run again by a restart. Its other side: a run cut short by a crash
  would be lost until the next fire time. `run_job` therefore leaves a marker
  in the store (a paused job "<id>@running") while the job runs; a marker
  found on start means the process died mid-run, and the job runs again at
  once if that was within its grace time. Every job is safe to repeat (the
  digest and reminders never send twice; see `tracker.jobs`).
* `max_instances=1`: a job still running when it falls due again is skipped.

Only one scheduler may use a database (APScheduler 3 does not share a store):
`serve` takes `tracker.scheduler_lock` first.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Engine

from tracker.config import Settings
from tracker.jobs import JOBS
from tracker.scheduler_lock import only_scheduler
from tracker.schedules import DEFAULT_GRACE, JobSpec, configured_jobs

log = logging.getLogger(__name__)

TABLE = "apscheduler_jobs"  # excluded from Alembic's autogenerate (migrations/env.py)
RUNNING = "@running"  # suffix of the marker of a job in progress

# The job store of this process's live scheduler, for `run_job`'s markers. Not
# the scheduler itself: its shutdown holds the store lock while it waits for
# the running jobs, which could then never take their markers away.
_markers: SQLAlchemyJobStore | None = None


def job_store(engine: Engine) -> SQLAlchemyJobStore:
    return SQLAlchemyJobStore(engine=engine, tablename=TABLE)


class _Scheduler(BackgroundScheduler):
    """APScheduler's BackgroundScheduler, minus a way of losing runs on shutdown.

    Its loop goes on looking for due jobs after `shutdown()` has begun: a job
    falling due while shutdown waits for a running one would be handed to the
    stopped executor, fail, and have its next run time moved on, so the
    restart would not run it either. A stopping scheduler starts nothing.
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def make_scheduler(engine: Engine, settings: Settings) -> BackgroundScheduler:
    """A scheduler on `engine`'s job store, in the settings' time zone; not started."""
    return _Scheduler(
        jobstores={"default": job_store(engine)},
        # One thread per job: a long crawl must not hold back the digest.
        executors={"default": ThreadPoolExecutor(max_workers=len(JOBS) + 2)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(DEFAULT_GRACE.total_seconds()),
        },
        timezone=ZoneInfo(settings.TIMEZONE),
    )


def start(
    engine: Engine, settings: Settings, specs: Sequence[JobSpec] | None = None
) -> BackgroundScheduler:
    """Start the scheduler with `specs` (default: the configured jobs) registered."""
    global _markers
    specs = configured_jobs(settings) if specs is None else specs
    scheduler = make_scheduler(engine, settings)
    # Paused: nothing may run before the stored jobs are reconciled.
    scheduler.start(paused=True)
    try:
        register(scheduler, specs)
        resume_interrupted(scheduler, specs, datetime.now(scheduler.timezone))
    except BaseException:
        scheduler.shutdown(wait=False)
        raise
    _markers = _open_store(engine)
    scheduler.resume()
    return scheduler


def stop(scheduler: BackgroundScheduler) -> None:
    """Stop taking jobs and wait for the running ones to finish."""
    global _markers
    scheduler.shutdown(wait=True)
    _markers = None


def register(scheduler: BackgroundScheduler, specs: Sequence[JobSpec]) -> None:
    """One stored job per spec, keeping a pending run; drop jobs no longer wanted."""
    wanted = {spec.id for spec in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted and not job.id.endswith(RUNNING):
            log.info("removing job %s: no longer configured", job.id)
            scheduler.remove_job(job.id)
    for spec in specs:
        kept = _pending_run(scheduler.get_job(spec.id), spec)
        scheduler.add_job(
            run_job,
            trigger=spec.trigger,
            args=[spec.id],
            id=spec.id,
            name=spec.name,
            misfire_grace_time=int(spec.grace.total_seconds()),
            replace_existing=True,
            # Leaving it out makes APScheduler compute the next run from now.
            **({"next_run_time": kept} if kept else {}),
        )


def _pending_run(stored: Job | None, spec: JobSpec) -> datetime | None:
    """The stored next run time, if the stored job has the same schedule."""
    if stored is None or stored.next_run_time is None:
        return None
    if repr(stored.trigger) != repr(spec.trigger):
        return None  # the schedule changed in the settings: start afresh
    return stored.next_run_time


def resume_interrupted(
    scheduler: BackgroundScheduler, specs: Sequence[JobSpec], now: datetime
) -> list[str]:
    """Run again, at once, jobs whose process died mid-run within their grace time."""
    grace = {spec.id: spec.grace for spec in specs}
    resumed = []
    for marker in [j for j in scheduler.get_jobs() if j.id.endswith(RUNNING)]:
        job_id, started = marker.id.removesuffix(RUNNING), marker.trigger.run_date
        if job_id not in grace:
            pass  # a job no longer configured
        elif now - started > grace[job_id]:
            log.warning("job %s died mid-run at %s, too long ago", job_id, started)
        else:
            log.warning("job %s died mid-run at %s: running it again", job_id, started)
            scheduler.modify_job(job_id, next_run_time=now)
            resumed.append(job_id)
        # Only now: a crash before this line finds the marker again.
        scheduler.remove_job(marker.id)
    return resumed


def run_job(job_id: str) -> None:
    """What the scheduler calls: the job of `tracker.jobs.JOBS`, marked meanwhile."""
    function = JOBS[job_id]
    markers = _markers
    marked = markers is not None and _mark_running(markers, job_id)
    log.info("job %s started", job_id)
    try:
        function()
    finally:
        # Also when the job raised: it ended, a rerun would not help.
        if marked and markers is not None:
            with suppress(JobLookupError):
                markers.remove_job(job_id + RUNNING)
    log.info("job %s finished", job_id)


def _mark_running(markers: SQLAlchemyJobStore, job_id: str) -> bool:
    """Store the marker of a run in progress; False (and run anyway) if that fails."""
    marker = Job(
        None,
        id=job_id + RUNNING,
        func=interrupted,
        args=[job_id],
        kwargs={},
        # Its date records when the run began.
        trigger=DateTrigger(run_date=datetime.now(UTC)),
        executor="default",
        name=f"{job_id} (running)",
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
    )
    marker.next_run_time = None  # paused: never due (set here, Job has no scheduler)
    try:
        try:
            markers.add_job(marker)
        except ConflictingIdError:
            markers.update_job(marker)
    except Exception:
        # The marker is a safety net; the job itself matters more.
        log.exception("job %s: could not record that it is running", job_id)
        return False
    return True


def interrupted(job_id: str) -> None:
    """The function of a running-marker; markers are paused and never run."""
    log.error("running-marker of %s fired; it should never run", job_id)


def serve(
    engine: Engine,
    settings: Settings,
    specs: Sequence[JobSpec] | None = None,
    ready: Callable[[str], Any] = print,
) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly (running jobs finish first).

    `AlreadyRunning` if another scheduler holds the database.
    """
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # The handler only sets a flag: shutting down waits for jobs, which
        # must not happen inside a signal handler interrupting arbitrary code.
        signal.signal(signum, lambda *_: stopping.set())
    with only_scheduler(engine):
        scheduler = start(engine, settings, specs)
        ready(f"scheduler started ({settings.TIMEZONE}):")
        for line in describe(stored_jobs(engine), ZoneInfo(settings.TIMEZONE)):
            ready(f"  {line}")
        stopping.wait()
        ready("stopping: waiting for running jobs to finish")
        stop(scheduler)
    ready("scheduler stopped")


def stored_jobs(engine: Engine) -> list[Job]:
    """The jobs in the store, read without starting a scheduler."""
    return _open_store(engine).get_all_jobs()


def _open_store(engine: Engine) -> SQLAlchemyJobStore:
    """The job store, usable without a scheduler and outside its locks."""
    store = job_store(engine)
    # start() only names the store and creates the table when missing.
    store.start(None, "default")
    return store


def describe(jobs: Sequence[Job], zone: ZoneInfo) -> list[str]:
    """One line per stored job: id, next run in `zone`, trigger, name."""
    lines = []
    for job in jobs:
        if job.id.endswith(RUNNING):
            started = _local(job.trigger.run_date, zone)
            lines.append(f"{job.id.removesuffix(RUNNING)}: running since {started}")
            continue
        when = _local(job.next_run_time, zone) if job.next_run_time else "paused"
        lines.append(f"{job.id}: next run {when}, {job.trigger}, {job.name}")
    return lines


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def overdue(
    jobs: Sequence[Job], specs: Sequence[JobSpec], now: datetime, slack: timedelta
) -> list[str]:
    """Problems a running scheduler cannot have: a job missing, or a run overdue.

    A live scheduler moves a job's next run time on within a second of it, so
    one older than `slack` means nothing is processing the store.
    """
    stored = {job.id: job for job in jobs}
    problems = [f"{s.id}: not in the job store" for s in specs if s.id not in stored]
    for spec in specs:
        job = stored.get(spec.id)
        if job is not None and job.next_run_time and now - job.next_run_time > slack:
            problems.append(f"{spec.id}: due at {job.next_run_time}, not run")
    return problems


def schedule_changes(jobs: Sequence[Job], specs: Sequence[JobSpec]) -> list[str]:
    """Jobs whose stored schedule differs from the settings (until a restart)."""
    stored = {job.id: job for job in jobs}
    return [
        f"{spec.id}: the settings say {spec.trigger}; applied on the next start"
        for spec in specs
        if spec.id in stored and repr(stored[spec.id].trigger) != repr(spec.trigger)
    ]
