"""One scheduler per database: a second `grants schedule` refuses to start.

APScheduler 3 cannot share a job store: two processes on one database would
each run every job. The lock dies with its process (a PostgreSQL session
lock, a file lock beside a SQLite file), so a crash never leaves it behind.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

# Per schema: the tests run schedulers side by side, each in a schema of its own.
_KEY = "hashtext(current_schema() || '.grants-scheduler')"
MESSAGE = "another `grants schedule` is running on this database"


class AlreadyRunning(RuntimeError):
    """Another scheduler holds the database."""


@contextmanager
def only_scheduler(engine: Engine) -> Iterator[None]:
    """Hold the database's scheduler lock while the block runs."""
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine):
            yield
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield  # nothing shared to guard
        return
    with _file_lock(Path(f"{database}.scheduler-lock")):
        yield


@contextmanager
def _postgres_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as conn:
        taken = conn.scalar(text(f"SELECT pg_try_advisory_lock({_KEY})"))
        # The lock belongs to the session; ending the transaction keeps it
        # and leaves no connection "idle in transaction" for days.
        conn.commit()
        if not taken:
            raise AlreadyRunning(MESSAGE)
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock({_KEY})"))
            conn.commit()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"{MESSAGE} (lock file {path})") from None
        yield  # closing the file releases the lock
