"""`grants schedule`: --list, --check, bad settings, and the real process.

The process tests run `grants schedule` with the real digest job sending to a
real SMTP server, and stop it with SIGTERM or kill it mid-run.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from tests.conftest import database_urls
from tests.digests import factories as f
from tests.scheduling import (
    GRANTS,
    HoldingMailbox,
    Process,
    environment,
    fresh_database,
    next_runs,
    quiet_times,
    register_while_down,
    serving,
    subprocess_url,
    wait_until,
)
from tracker.cli import cli
from tracker.config import Settings, get_settings, load_settings
from tracker.db import get_engine
from tracker.demo.outbox import free_port
from tracker.models import DigestDelivery, Member
from tracker.scheduler import RUNNING, TABLE, make_scheduler, register, stored_jobs
from tracker.schedules import configured_jobs
from tracker.vocab import DeliveryStatus

WARSAW = ZoneInfo("Europe/Warsaw")
SETTINGS = load_settings({"TIMEZONE": "Europe/Warsaw"})


@pytest.fixture
def store(engine: Engine) -> Iterator[Engine]:
    """The tests' database with an empty job store; the scheduler's table wiped."""
    yield engine
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {TABLE}"))


# --- the command line ------------------------------------------------------------


@pytest.fixture
def grants(store: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """`grants` on the tests' database (settings and engine read afresh)."""
    url = str(store.url)
    if store.dialect.name == "postgresql":
        url = subprocess_url(store, store.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TIMEZONE", "Europe/Warsaw")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield CliRunner()
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, ["schedule", *args], catch_exceptions=False)


def test_list_shows_each_job_and_its_next_run_in_warsaw(
    grants: CliRunner, store: Engine
) -> None:
    assert "no jobs stored yet" in invoke(grants, "--list").output
    register_while_down(store, SETTINGS, configured_jobs(SETTINGS))

    listed = invoke(grants, "--list")

    assert listed.exit_code == 0
    lines = dict(line.split(": ", 1) for line in listed.output.splitlines())
    assert set(lines) == {"crawl", "digest", "reminders", "health"}
    for job_id, run in next_runs(store).items():
        assert run is not None
        local = run.astimezone(WARSAW)
        assert local.strftime("%a %Y-%m-%d %H:%M") in lines[job_id]
        assert local.tzname() in lines[job_id]  # CET or CEST
    assert lines["digest"].startswith("next run Mon ")
    assert "07:00" in lines["digest"]


def test_list_tells_of_a_schedule_changed_in_the_settings(
    grants: CliRunner, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_while_down(store, SETTINGS, configured_jobs(SETTINGS))
    monkeypatch.setenv("SCHEDULE_HEALTH", "10:15")
    get_settings.cache_clear()

    listed = invoke(grants, "--list").output

    assert "health: the settings say cron[hour='10', minute='15']" in listed
    assert "applied on the next start" in listed


def test_check_fails_on_a_missing_or_overdue_job(
    grants: CliRunner, store: Engine
) -> None:
    missing = invoke(grants, "--check")
    assert missing.exit_code == 1
    assert "crawl: not in the job store" in missing.output

    register_while_down(store, SETTINGS, configured_jobs(SETTINGS))
    assert invoke(grants, "--check").exit_code == 0

    scheduler = make_scheduler(store, SETTINGS)
    scheduler.start(paused=True)
    scheduler.modify_job("digest", next_run_time=datetime.now(UTC) - timedelta(hours=1))
    scheduler.shutdown()
    overdue = invoke(grants, "--check")
    assert overdue.exit_code == 1
    assert "digest: due at" in overdue.output


def test_a_bad_schedule_setting_stops_the_command_with_its_name(
    grants: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHEDULE_DIGEST", "monday 7:00")
    get_settings.cache_clear()

    result = CliRunner().invoke(cli, ["schedule", "--list"])

    assert result.exit_code == 1
    assert "SCHEDULE_DIGEST must be a weekday" in result.output


# --- the real process: SIGTERM, and a kill in the middle of the digest --------


@pytest.fixture(params=database_urls())
def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Engine, str]]:
    with fresh_database(request.param, tmp_path) as found:
        yield found


def digest_overdue(engine: Engine, settings: Settings) -> None:
    """The jobs stored as a scheduler left them, the digest due a minute ago."""
    scheduler = make_scheduler(engine, settings)
    scheduler.start(paused=True)
    register(scheduler, configured_jobs(settings))
    scheduler.modify_job(
        "digest", next_run_time=datetime.now(UTC) - timedelta(minutes=1)
    )
    scheduler.shutdown()


def members_with_news(engine: Engine, *emails: str) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        f.call(
            session,
            "sched-1",
            title="Biotechnologia w zdrowiu",
            first_seen=now - timedelta(days=1),
            deadlines=[now + timedelta(days=40)],
        )
        for email in emails:
            f.member(session, email, name=email.split("@")[0].title())


def deliveries(engine: Engine) -> dict[str, DeliveryStatus]:
    with Session(engine) as session:
        rows = session.execute(
            select(Member.email, DigestDelivery.status).join(DigestDelivery.member)
        )
        return {email: status for email, status in rows}


def test_sigterm_lets_a_running_digest_finish_then_exits_0(
    database: tuple[Engine, str],
) -> None:
    engine, url = database
    members_with_news(engine, "anna@example.org")
    with serving(HoldingMailbox(data_delay=2.0)) as mailbox:
        env = environment(url, mailbox.port, **quiet_times(datetime.now(WARSAW)))
        settings = load_settings(env)
        digest_overdue(engine, settings)
        process = Process(env, *GRANTS, "schedule")
        try:
            process.wait_for("scheduler started")
            wait_until(lambda: mailbox.attempts, "the digest's DATA command")
            process.popen.terminate()  # SIGTERM while the message is in DATA
            code = process.finish()
        finally:
            process.kill()

    assert code == 0, process.output
    assert "scheduler stopped" in process.output
    assert mailbox.count() == {"anna@example.org": 1}
    assert deliveries(engine) == {"anna@example.org": DeliveryStatus.SENT}
    jobs = {job.id: job for job in stored_jobs(engine)}
    assert set(jobs) == {"crawl", "digest", "reminders", "health"}  # nothing lost
    digest = jobs["digest"].next_run_time
    assert digest is not None and digest > datetime.now(UTC)  # next week's


def test_a_digest_killed_mid_run_resumes_on_restart_and_sends_each_once(
    database: tuple[Engine, str],
) -> None:
    engine, url = database
    emails = ("a@example.org", "b@example.org", "c@example.org")
    members_with_news(engine, *emails)
    with serving(HoldingMailbox(hold={"b@example.org"})) as mailbox:
        env = environment(url, mailbox.port, **quiet_times(datetime.now(WARSAW)))
        digest_overdue(engine, load_settings(env))
        first = Process(env, *GRANTS, "schedule")
        try:
            wait_until(mailbox.holding.is_set, "the second member's RCPT")
        finally:
            first.kill()  # SIGKILL: no handler, no clean-up, as in a crash
        assert mailbox.count() == {"a@example.org": 1}
        left = {job.id for job in stored_jobs(engine)}
        assert "digest" + RUNNING in left  # the marker of the interrupted run
        mailbox.hold.clear()
        mailbox.release.set()

        second = Process(env, *GRANTS, "schedule")
        try:
            wait_until(lambda: len(mailbox.count()) == 3, "the other two digests")
            second.popen.terminate()
            assert second.finish() == 0, second.output
        finally:
            second.kill()

    assert "digest died mid-run" in second.output
    assert mailbox.count() == dict.fromkeys(emails, 1)
    assert set(deliveries(engine).values()) == {DeliveryStatus.SENT}
    assert "digest" + RUNNING not in {job.id for job in stored_jobs(engine)}
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(DigestDelivery)) == 3


def test_a_second_scheduler_on_the_database_refuses_to_start(
    database: tuple[Engine, str],
) -> None:
    _, url = database
    env = environment(url, free_port(), **quiet_times(datetime.now(WARSAW)))
    first = Process(env, *GRANTS, "schedule")
    try:
        first.wait_for("scheduler started")
        second = Process(env, *GRANTS, "schedule")
        assert second.finish() == 1
        assert "another `grants schedule` is running" in second.output
        first.popen.terminate()
        assert first.finish() == 0, first.output
    finally:
        first.kill()
    # The lock went with the process: the next start is free to run.
    third = Process(env, *GRANTS, "schedule")
    try:
        third.wait_for("scheduler started")
        third.popen.terminate()
        assert third.finish() == 0
    finally:
        third.kill()
