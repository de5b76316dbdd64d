"""The scheduler: times from the settings, jobs in the database, restarts.

These run a real APScheduler on the tests' databases with a recording job
(registered in `tracker.jobs.JOBS` under a test id) and the real clock:
"while the process was down" is real seconds passing between a stop and a
start. `test_schedule_command.py` runs `grants schedule` itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, text

from tests.scheduling import next_runs, register_while_down, wait_until
from tracker.config import load_settings
from tracker.jobs import JOBS
from tracker.scheduler import RUNNING, TABLE, _mark_running, _open_store, start, stop
from tracker.schedules import (
    JobSpec,
    ScheduleError,
    configured_jobs,
    parse_daily,
    parse_weekly,
)

WARSAW = ZoneInfo("Europe/Warsaw")
SETTINGS = load_settings({"TIMEZONE": "Europe/Warsaw"})


# --- times from the settings -------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [("05:00", (5, 0)), ("7:30", (7, 30)), (" 23:59 ", (23, 59))]
)
def test_daily_times_parse(value: str, expected: tuple[int, int]) -> None:
    assert parse_daily("SCHEDULE_CRAWL", value) == expected


@pytest.mark.parametrize("value", ["24:00", "5", "05:60", "5am", "mon 05:00", ""])
def test_a_bad_daily_time_names_the_setting(value: str) -> None:
    with pytest.raises(ScheduleError, match="SCHEDULE_CRAWL must be a time of day"):
        parse_daily("SCHEDULE_CRAWL", value)


def test_weekly_times_parse() -> None:
    assert parse_weekly("SCHEDULE_DIGEST", "Mon 07:00") == ("mon", 7, 0)
    assert parse_weekly("SCHEDULE_DIGEST", "sun 18:45") == ("sun", 18, 45)


@pytest.mark.parametrize("value", ["monday 07:00", "07:00", "mon", "mon 7", "x 07:00"])
def test_a_bad_weekly_time_names_the_setting(value: str) -> None:
    with pytest.raises(ScheduleError, match="SCHEDULE_DIGEST must be a weekday"):
        parse_weekly("SCHEDULE_DIGEST", value)


def test_jobs_fire_at_their_times_in_warsaw_across_a_clock_change() -> None:
    jobs = {spec.id: spec for spec in configured_jobs(SETTINGS)}
    # Saturday noon before the spring change (Sunday 29 March 2026, 02:00 -> 03:00).
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=WARSAW)

    def next_after(job_id: str, moment: datetime) -> datetime:
        fire = jobs[job_id].trigger.get_next_fire_time(None, moment)
        assert fire is not None
        return fire.astimezone(UTC)

    assert list(jobs) == ["crawl", "digest", "reminders", "health"]
    assert next_after("crawl", saturday) == datetime(2026, 3, 29, 3, 0, tzinfo=UTC)
    assert next_after("digest", saturday) == datetime(2026, 3, 30, 5, 0, tzinfo=UTC)
    assert next_after("reminders", saturday) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    # Winter time: 07:00 in Warsaw is 06:00 UTC.
    winter = datetime(2026, 11, 20, 12, 0, tzinfo=WARSAW)
    assert next_after("digest", winter) == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert next_after("health", winter) == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def test_every_configured_job_exists() -> None:
    assert {spec.id for spec in configured_jobs(SETTINGS)} <= set(JOBS)


# --- the job store -------------------------------------------------------------


@pytest.fixture
def store(engine: Engine) -> Iterator[Engine]:
    """The tests' database with an empty job store; the scheduler's table wiped."""
    yield engine
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {TABLE}"))


def stored_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM {TABLE}"))


def test_a_restart_keeps_one_job_per_id_and_its_pending_run(store: Engine) -> None:
    specs = configured_jobs(SETTINGS)
    register_while_down(store, SETTINGS, specs)
    first = next_runs(store)
    register_while_down(store, SETTINGS, specs)

    assert stored_rows(store) == 4
    assert next_runs(store) == first
    assert all(run and run > datetime.now(UTC) for run in first.values())


def test_a_changed_time_applies_on_restart_and_others_keep_theirs(
    store: Engine,
) -> None:
    register_while_down(store, SETTINGS, configured_jobs(SETTINGS))
    first = next_runs(store)
    moved = load_settings({"TIMEZONE": "Europe/Warsaw", "SCHEDULE_CRAWL": "06:30"})
    register_while_down(store, moved, configured_jobs(moved))

    now = next_runs(store)
    crawl = now["crawl"]
    assert crawl is not None
    assert (crawl.astimezone(WARSAW).hour, crawl.minute) == (6, 30)
    assert {k: v for k, v in now.items() if k != "crawl"} == {
        k: v for k, v in first.items() if k != "crawl"
    }


def test_a_job_no_longer_configured_leaves_the_store(store: Engine) -> None:
    specs = configured_jobs(SETTINGS)
    register_while_down(store, SETTINGS, [*specs, _spec(hours=1)])
    assert "tick" in next_runs(store)
    register_while_down(store, SETTINGS, specs)
    assert set(next_runs(store)) == {"crawl", "digest", "reminders", "health"}


# --- runs across restarts, with a recording job ------------------------------


@dataclass
class Recorder:
    """A job function that records when it ran and how many ran at once."""

    delay: float = 0.0
    runs: list[datetime] = field(default_factory=list)
    running: int = 0
    most_at_once: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> None:
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(self.delay)
        with self.lock:
            self.running -= 1
            self.runs.append(datetime.now(UTC))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    job = Recorder()
    monkeypatch.setitem(JOBS, "tick", job)
    return job


def _spec(
    first_in: float = 1.5,
    *,
    seconds: float = 0,
    hours: float = 0,
    ends_in: float | None = None,
    grace: float = 30,
) -> JobSpec:
    now = datetime.now(UTC)
    trigger = IntervalTrigger(
        seconds=seconds,
        hours=hours,
        start_date=now + timedelta(seconds=first_in),
        end_date=now + timedelta(seconds=ends_in) if ends_in else None,
        timezone=WARSAW,
    )
    return JobSpec("tick", "test tick", trigger, timedelta(seconds=grace))


def sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def test_runs_missed_while_down_run_once_on_restart(
    store: Engine, recorder: Recorder
) -> None:
    # Due at +1.5 s, +2.5 s and +3.5 s, all while the scheduler is down.
    spec = _spec(1.5, seconds=1, ends_in=3.6)
    stop(start(store, SETTINGS, [spec]))
    assert recorder.runs == []
    sleep_until(datetime.now(UTC) + timedelta(seconds=4))

    scheduler = start(store, SETTINGS, [spec])
    wait_until(lambda: recorder.runs, "the missed run")
    time.sleep(1.0)
    stop(scheduler)

    assert len(recorder.runs) == 1  # three fire times, one run (coalesced)


def test_a_run_missed_beyond_its_grace_time_is_skipped(
    store: Engine, recorder: Recorder
) -> None:
    spec = _spec(1.0, hours=1, grace=1)
    stop(start(store, SETTINGS, [spec]))
    time.sleep(3.5)  # down: the run at +1 s is now 2.5 s late, grace is 1 s

    scheduler = start(store, SETTINGS, [spec])
    time.sleep(1.5)
    stop(scheduler)

    assert recorder.runs == []
    upcoming = next_runs(store)["tick"]
    assert upcoming is not None
    assert upcoming - datetime.now(UTC) > timedelta(minutes=59)  # the next one


def test_a_job_that_ran_does_not_run_again_after_a_restart(
    store: Engine, recorder: Recorder
) -> None:
    spec = _spec(1.0, hours=1)
    scheduler = start(store, SETTINGS, [spec])
    wait_until(lambda: recorder.runs, "the first run")
    stop(scheduler)

    scheduler = start(store, SETTINGS, [spec])
    time.sleep(1.5)
    stop(scheduler)

    assert len(recorder.runs) == 1
    assert RUNNING not in "".join(next_runs(store))  # no marker left behind


def test_a_job_still_running_when_due_again_is_not_started_twice(
    store: Engine, recorder: Recorder
) -> None:
    recorder.delay = 1.2
    scheduler = start(store, SETTINGS, [_spec(0.2, seconds=0.25)])
    wait_until(lambda: len(recorder.runs) >= 2, "two runs")
    stop(scheduler)

    assert recorder.most_at_once == 1


def test_stop_waits_for_a_running_job(store: Engine, recorder: Recorder) -> None:
    recorder.delay = 1.0
    scheduler = start(store, SETTINGS, [_spec(0.2, hours=1)])
    wait_until(lambda: recorder.running, "the job to start")
    stop(scheduler)

    assert len(recorder.runs) == 1


def test_a_job_due_while_stop_waits_is_kept_for_the_restart(
    store: Engine, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder.delay = 2.0
    later = Recorder()
    monkeypatch.setitem(JOBS, "tock", later)
    tock = JobSpec("tock", "due during shutdown", _spec(1.0, hours=1).trigger)
    specs = [_spec(0.2, hours=1), tock]
    scheduler = start(store, SETTINGS, specs)
    wait_until(lambda: recorder.running, "the slow job to start")
    stop(scheduler)  # waits ~2 s for it; "tock" falls due meanwhile
    assert later.runs == []

    scheduler = start(store, SETTINGS, specs)
    wait_until(lambda: later.runs, "the run that fell due during the shutdown")
    stop(scheduler)

    assert len(later.runs) == 1
    assert len(recorder.runs) == 1


@pytest.mark.parametrize(("down", "runs"), [(0.0, 1), (2.5, 0)])
def test_a_run_cut_short_is_run_again_on_start_within_its_grace_time(
    store: Engine, recorder: Recorder, down: float, runs: int
) -> None:
    spec = _spec(3600, hours=1, grace=2)  # not due by itself during the test
    register_while_down(store, SETTINGS, [spec])
    # What a process killed in the middle of "tick" leaves in the store (the
    # real kill is in test_schedule_command.py, with the digest).
    _mark_running(_open_store(store), "tick")
    assert "tick" + RUNNING in next_runs(store)
    time.sleep(down)

    scheduler = start(store, SETTINGS, [spec])
    time.sleep(1.0)
    stop(scheduler)

    assert len(recorder.runs) == runs
    assert set(next_runs(store)) == {"tick"}  # the marker is gone either way
