"""Shared fixtures: no network, both databases, a savepoint per test."""

from __future__ import annotations

import ipaddress
import itertools
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from tracker.db import make_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

_real_connect = socket.socket.connect
_schema_counter = itertools.count()


def _loopback_only(sock: socket.socket, address: object) -> object:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0] if isinstance(address, tuple) else address
        if not ipaddress.ip_address(str(host).split("%")[0]).is_loopback:
            raise ConnectionRefusedError(f"tests may not touch the network: {address}")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


def database_urls() -> list[object]:
    pg = os.environ.get("TEST_DATABASE_URL")
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            pg,
            id="postgresql",
            marks=pytest.mark.skipif(not pg, reason="TEST_DATABASE_URL not set"),
        ),
    ]


@pytest.fixture(scope="session", params=database_urls())
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A migrated database: a fresh SQLite file, and PostgreSQL when configured."""
    url = request.param
    if url == "sqlite":
        yield make_test_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}")
        return
    with postgres_schema(url) as eng:
        yield eng


def make_test_engine(url: str) -> Engine:
    eng = make_engine(url)
    upgrade(eng)
    return eng


@contextmanager
def postgres_schema(url: str) -> Iterator[Engine]:
    """A migrated engine on a private schema, so that parallel runs never collide."""
    schema = f"grants_test_{os.getpid()}_{next(_schema_counter)}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    eng = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def shared_fixtures() -> Path:
    """The real captures in ../shared/fixtures (always present in CI)."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    return SHARED_FIXTURES


def pytest_report_header() -> str:
    pg = os.environ.get("TEST_DATABASE_URL")
    where = f"and PostgreSQL at {pg}" if pg else "only (TEST_DATABASE_URL not set)"
    return f"storage tests: SQLite {where}"
