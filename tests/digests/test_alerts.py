"""Crawl-health alerts reach the coordinators once, through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import aiosmtplib
import pytest
from sqlalchemy.orm import Session, sessionmaker

from digests.alerts import notify_alerts
from digests.send import RetryPolicy
from tests.digests.smtp import Mailbox, smtp_settings
from tracker.health import evaluate
from tracker.models import CrawlRun
from tracker.storage import ensure_source
from tracker.vocab import CrawlOutcome

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
NO_WAIT = RetryPolicy(attempts=2, backoff=0)


def _failing_source(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        source = ensure_source(session, "pl_ncbr", "NCBR", "NCBR", None)
        session.add(
            CrawlRun(
                source=source,
                started_at=NOW - timedelta(minutes=5),
                finished_at=NOW,
                outcome=CrawlOutcome.FAILED,
                errors=3,
                messages=["DNS lookup failed: www.gov.pl"],
            )
        )
        session.flush()
        evaluate(session, source, NOW)


def test_alerts_are_mailed_once(sessions, mailbox: Mailbox) -> None:
    _failing_source(sessions)
    settings = smtp_settings(mailbox.port, COORDINATORS_EMAIL="biuro@klaster.example")
    assert notify_alerts(sessions, settings, NOW, NO_WAIT) == 2  # failed and stale
    (envelope,) = mailbox.received
    assert envelope.rcpt_tos == ["biuro@klaster.example"]
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["Subject"] == "[grants] 2 crawl alerts: pl_ncbr"
    body = message.get_content()
    assert "DNS lookup failed: www.gov.pl" in body
    assert "no successful crawl for 3 days" in body
    assert notify_alerts(sessions, settings, NOW, NO_WAIT) == 0
    assert len(mailbox.received) == 1


def test_nothing_is_sent_without_a_coordinators_address(sessions, mailbox) -> None:
    _failing_source(sessions)
    assert notify_alerts(sessions, smtp_settings(mailbox.port), NOW, NO_WAIT) == 0
    assert mailbox.received == []


def test_a_refused_alert_stays_pending(sessions, mailbox: Mailbox) -> None:
    _failing_source(sessions)
    settings = smtp_settings(mailbox.port, COORDINATORS_EMAIL="biuro@klaster.example")
    mailbox.refusals = ["550 5.1.1 no such mailbox"]
    with pytest.raises(aiosmtplib.SMTPDataError, match="no such mailbox"):
        notify_alerts(sessions, settings, NOW, NO_WAIT)
    assert notify_alerts(sessions, settings, NOW, NO_WAIT) == 2
