"""Fixtures for the desk: committing databases, the app, a logged-in client.

The desk's request handlers open and commit their own transactions, so they
cannot share the savepoint of `db_session`: like tests/digests, these tests get
a migrated SQLite file and, when TEST_DATABASE_URL is set, a throw-away
PostgreSQL schema; rows are wiped after each test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import database_urls, make_test_engine, postgres_schema
from tests.factories import funding_call
from tracker import review
from tracker.config import Settings
from tracker.db import session_factory
from tracker.models import Base, Call, ReviewLog, utcnow
from tracker.storage import ensure_source, upsert_call
from tracker.users import add_user
from tracker.web import create_app

PASSWORD = "correct horse battery"
SECRET = "test-secret-key-for-the-desk-0123456789"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str = PASSWORD


@pytest.fixture(scope="session", params=database_urls())
def web_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database whose transactions really commit."""
    if request.param == "sqlite":
        engine = make_test_engine(f"sqlite:///{tmp_path_factory.mktemp('web') / 'db'}")
        yield engine
        engine.dispose()
        return
    with postgres_schema(request.param) as engine:
        yield engine


def wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def sessions(web_engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield session_factory(web_engine)
    wipe(web_engine)


@pytest.fixture
def settings() -> Settings:
    return Settings(SECRET_KEY=SECRET)


@pytest.fixture
def app(sessions: sessionmaker[Session], settings: Settings) -> Starlette:
    return create_app(sessions, settings, login_delay=0)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def make_user(
    sessions: sessionmaker[Session],
    email: str = "anna@example.org",
    name: str = "Anna Nowak",
    language: str = "pl",
) -> Account:
    with sessions.begin() as session:
        user = add_user(session, email, name, language, PASSWORD)
        return Account(user.id, user.email)


@pytest.fixture
def coordinator(sessions: sessionmaker[Session]) -> Account:
    return make_user(sessions)


def csrf_token(client: TestClient, path: str = "/login") -> str:
    """The session's token, read from a form as a browser would."""
    match = _CSRF.search(client.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def log_in(client: TestClient, account: Account, password: str | None = None) -> Any:
    data = {
        "email": account.email,
        "password": password or account.password,
        "csrf_token": csrf_token(client),
    }
    return client.post("/login", data=data)


@pytest.fixture
def desk(client: TestClient, coordinator: Account) -> TestClient:
    """A client logged in as the coordinator (Polish interface)."""
    assert log_in(client, coordinator).status_code == 303
    return client


def post(client: TestClient, path: str, **fields: Any) -> Any:
    """A form post from the desk, carrying the session's CSRF token."""
    data = {"csrf_token": csrf_token(client, "/queue"), **fields}
    return client.post(path, data=data)


def add_call(
    sessions: sessionmaker[Session],
    source: str = "eu_test",
    now: datetime | None = None,
    **overrides: Any,
) -> int:
    """A stored call built like a crawl would; its id."""
    names = {"eu_test": "EU test portal", "pl_test": "Polski portal testowy"}
    with sessions.begin() as session:
        row = ensure_source(
            session, source, names.get(source, source), "Funder", "https://example.org"
        )
        item = funding_call(source=source, **overrides)
        return upsert_call(session, row, item, now or utcnow()).call.id


def edit(sessions: sessionmaker[Session], call_id: int, **fields: Any) -> None:
    with sessions.begin() as session:
        call = session.get(Call, call_id)
        for name, value in fields.items():
            setattr(call, name, value)


def tag(sessions: sessionmaker[Session], call_id: int, name: str) -> None:
    with sessions.begin() as session:
        review.add_tag(session, session.get(Call, call_id), name, None, utcnow())


def load(sessions: sessionmaker[Session], call_id: int) -> Call:
    with sessions.begin() as session:
        call = session.get(Call, call_id)
        assert call is not None
        call.tags  # noqa: B018 (loaded before the session closes)
        return call


def rows(html: str) -> list[int]:
    """Call ids in the queue, in order."""
    return [int(i) for i in re.findall(r'<tr data-call="(\d+)"', html)]


def review_log(sessions: sessionmaker[Session], call_id: int) -> list[ReviewLog]:
    with sessions.begin() as session:
        query = select(ReviewLog).where(ReviewLog.call_id == call_id)
        entries = list(session.scalars(query.order_by(ReviewLog.id)))
        for entry in entries:
            entry.user  # noqa: B018
        return entries
