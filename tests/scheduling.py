"""Helpers for the scheduler and simulated-week tests: real processes, real SMTP.

* `fresh_database`: a migrated database of its own (a SQLite file, or a private
  PostgreSQL schema) and the URL that reaches it from a subprocess.
* `HoldingMailbox`: the tests' aiosmtpd handler that can also hold chosen
  recipients at RCPT (before DATA, where a sender has committed nothing), so a
  test can kill the sending process at a known point.
* `Process`: a Python subprocess (`grants` with `GRANTS`), its output collected.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from apscheduler.job import Job
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from tests.conftest import make_test_engine, postgres_schema
from tests.digests.smtp import Mailbox
from tracker.config import Settings
from tracker.demo.outbox import free_port
from tracker.scheduler import make_scheduler, register, stored_jobs
from tracker.schedules import JobSpec

WAIT = 90.0  # seconds: generous, a cold subprocess imports Scrapy first


@contextmanager
def fresh_database(param: str, folder: Path) -> Iterator[tuple[Engine, str]]:
    """(engine, URL for subprocesses) of a migrated database used by one test."""
    if param == "sqlite":
        url = f"sqlite:///{folder / 'grants.db'}"
        engine = make_test_engine(url)
        yield engine, url
        engine.dispose()
        return
    with postgres_schema(param) as engine:
        yield engine, subprocess_url(engine, param)


def subprocess_url(engine: Engine, base: str) -> str:
    """`base` with the engine's search_path, as a subprocess's DATABASE_URL."""
    with engine.connect() as conn:
        schema = conn.scalar(text("select current_schema()"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@dataclass
class HoldingMailbox(Mailbox):
    """A `Mailbox` that holds the recipients in `hold` at RCPT until released."""

    hold: set[str] = field(default_factory=set)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if address in self.hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return await super().handle_RCPT(server, session, envelope, address, options)


@contextmanager
def serving(handler: Mailbox) -> Iterator[Mailbox]:
    """`handler` answering SMTP on 127.0.0.1 (its `port` set)."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        if isinstance(handler, HoldingMailbox):
            handler.release.set()
        controller.stop()


def wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT):
    """Poll `condition` until it is true; fail the test with `what` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


GRANTS = ("-m", "tracker.cli")  # `python -m tracker.cli ...` is `grants ...`


class Process:
    """`python ARGS` with `env`; its output collected as it comes."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.lines: list[str] = []
        self.popen = subprocess.Popen(
            [sys.executable, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = WAIT) -> None:
        def seen() -> bool:
            if self.popen.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"exited {self.popen.returncode}:\n{self.output}")
            return any(text in line for line in self.lines)

        wait_until(seen, f"{text!r} in the output of {self.popen.args}", timeout)

    def finish(self, timeout: float = WAIT) -> int:
        code = self.popen.wait(timeout)
        self._reader.join(timeout)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        return code

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.finish()


def quiet_times(now: datetime) -> dict[str, str]:
    """SCHEDULE_* settings half a day away from `now`: no job falls due in a test."""
    later = now + timedelta(hours=12)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[later.weekday()]
    at = later.strftime("%H:%M")
    return {
        "SCHEDULE_CRAWL": at,
        "SCHEDULE_DIGEST": f"{day} {at}",
        "SCHEDULE_REMINDERS": at,
        "SCHEDULE_HEALTH": at,
    }


def settings_env(database_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    """The settings of a test's `grants`: this database, this SMTP server."""
    return {
        "DATABASE_URL": database_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_TLS": "none",
        "SMTP_USER": "",
        "SMTP_PASSWORD": "",
        "SMTP_TIMEOUT": "10",
        "SMTP_CONCURRENCY": "1",  # one message at a time: a known order
        "SMTP_RATE_PER_MINUTE": "60000",
        "MAIL_FROM": "Klaster Biotech <granty@klaster.example>",
        "COORDINATORS_EMAIL": "",
        "TIMEZONE": "Europe/Warsaw",
        "SECRET_KEY": "test-secret-key-long-enough-for-member-links",
        "PUBLIC_BASE_URL": "https://granty.klaster.example",
        **extra,
    }


def environment(database_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    """The whole environment of a `grants` subprocess (see `settings_env`)."""
    return {**os.environ, **settings_env(database_url, smtp_port, **extra)}


def register_while_down(
    engine: Engine, settings: Settings, specs: Sequence[JobSpec]
) -> None:
    """What a start does to the store, without ever letting a job run."""
    scheduler = make_scheduler(engine, settings)
    scheduler.start(paused=True)
    register(scheduler, specs)
    scheduler.shutdown()


def next_runs(engine: Engine) -> dict[str, datetime | None]:
    """Each stored job's next run time."""
    jobs: list[Job] = stored_jobs(engine)
    return {job.id: job.next_run_time for job in jobs}
