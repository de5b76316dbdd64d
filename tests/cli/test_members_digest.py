"""`grants digest` end to end on a temporary SQLite file (members: test_members.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from digests.period import current_period
from tests.digests import factories as f
from tests.digests.smtp import Mailbox, free_port, running_mailbox
from tracker.cli import cli
from tracker.config import get_settings
from tracker.db import get_engine, session_factory
from tracker.models import utcnow

Grants = Callable[..., Result]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture
def grants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Grants]:
    """Run `grants ...` against a fresh database; settings come from the env."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'grants.db'}")
    monkeypatch.setenv("MAIL_FROM", "Klaster <granty@klaster.example>")
    # Every digest carries the member's signed links.
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    get_settings.cache_clear()
    get_engine.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    assert invoke("db", "upgrade").exit_code == 0
    yield invoke
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def add_anna(grants: Grants, interests: str = "health,biotech") -> Result:
    return grants(
        "members", "add", "--email", "anna@example.org", "--name", "Anna Nowak",
        "--lang", "pl", "--interests", interests,
    )  # fmt: skip


def add_call(**fields: object) -> None:
    now = utcnow()
    with session_factory().begin() as session:
        f.call(
            session,
            "cli-call",
            title="Narzędzia biotechnologiczne",
            first_seen=now - timedelta(days=1),
            deadlines=[now + timedelta(days=45)],
            **fields,
        )


def test_digest_preview(grants: Grants) -> None:
    add_anna(grants)
    empty = grants("digest", "preview", "--member", "anna@example.org")
    assert empty.exit_code == 0
    assert empty.output.startswith("nothing to send to anna@example.org for ")

    add_call()
    result = grants("digest", "preview", "--member", "anna@example.org")

    assert result.exit_code == 0, result.output
    week = current_period(utcnow(), "Europe/Warsaw").week
    assert result.output.startswith(f"Subject: Nabory, tydzień {week}: 1 nowy nabór\n")
    assert "Dzień dobry, Anna Nowak!" in result.output
    assert "* Narzędzia biotechnologiczne" in result.output
    html = grants("digest", "preview", "--member", "anna@example.org", "--html")
    assert '<html lang="pl">' in html.output


def test_digest_preview_errors(grants: Grants) -> None:
    unknown = grants("digest", "preview", "--member", "nobody@example.org")
    assert unknown.exit_code == 2
    assert "no member with email" in unknown.output
    add_anna(grants)
    bad_week = grants(
        "digest", "preview", "--member", "anna@example.org", "--week", "48"
    )
    assert bad_week.exit_code == 2
    assert "ISO week like 2026-W48" in bad_week.output


def test_digest_send_through_smtp_then_nothing_more(
    grants: Grants, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(mailbox.port))
    get_settings.cache_clear()
    add_anna(grants)
    add_call()

    first = grants("digest", "send")
    second = grants("digest", "send")

    assert first.exit_code == 0, first.output
    assert "  sent: 1\n" in first.output
    assert "  already sent: 1\n" in second.output
    assert len(mailbox.received) == 1
    message = message_from_bytes(
        mailbox.received[0].original_content, policy=policy.default
    )
    assert message["To"] == "Anna Nowak <anna@example.org>"


def test_digest_send_fails_loudly(
    grants: Grants, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(free_port()))
    get_settings.cache_clear()
    add_anna(grants)
    add_call()

    result = grants("digest", "send", "--week", "2026-W48")

    assert result.exit_code == 1
    assert "digest 2026-W48:" in result.output
    assert "  failed: 1\n" in result.output
