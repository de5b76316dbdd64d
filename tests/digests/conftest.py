"""Fixtures for digest tests that commit: their own databases and a real SMTP server.

`send_weekly_digests` opens and commits its own transactions, so it cannot share
the savepoint of `db_session`. These tests get a migrated SQLite file and, when
TEST_DATABASE_URL is set, a throw-away PostgreSQL schema; rows are wiped after
each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import database_urls, make_test_engine, postgres_schema
from tests.digests.smtp import Mailbox, running_mailbox, smtp_settings
from tracker.config import Settings
from tracker.db import session_factory
from tracker.models import Base


@pytest.fixture(scope="session", params=database_urls())
def committing_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database whose transactions really commit."""
    if request.param == "sqlite":
        engine = make_test_engine(f"sqlite:///{tmp_path_factory.mktemp('send') / 'db'}")
        yield engine
        engine.dispose()
        return
    with postgres_schema(request.param) as engine:
        yield engine


@pytest.fixture
def sessions(committing_engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield session_factory(committing_engine)
    with committing_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 collecting what it accepts."""
    with running_mailbox() as box:
        yield box


@pytest.fixture
def settings(mailbox: Mailbox) -> Settings:
    return smtp_settings(mailbox.port)
