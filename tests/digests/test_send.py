"""Sending through a real SMTP server (aiosmtpd on 127.0.0.1), committing for real."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digests.send import (
    RetryPolicy,
    SendReport,
    send_weekly_digests,
    smtp_options,
)
from tests.digests import factories as f
from tests.digests.factories import NOW, PERIOD
from tests.digests.smtp import Mailbox, free_port, running_mailbox, smtp_settings
from tracker.config import Settings
from tracker.models import DigestDelivery, Member
from tracker.vocab import DeliveryStatus, Language

FAST = RetryPolicy(attempts=3, backoff=0)


def run(sessions: sessionmaker[Session], settings: Settings) -> SendReport:
    return send_weekly_digests(sessions, settings, PERIOD, NOW, retry=FAST)


def parse(mailbox: Mailbox, index: int = 0) -> EmailMessage:
    return message_from_bytes(
        mailbox.received[index].original_content, policy=policy.default
    )  # type: ignore[return-value]


def deliveries(sessions: sessionmaker[Session]) -> list[DigestDelivery]:
    with sessions() as session:
        return list(session.scalars(select(DigestDelivery).order_by(DigestDelivery.id)))


def seed(sessions: sessionmaker[Session], *members: tuple[str, list[str]]) -> None:
    """One new health call and one old biotech call; members as (email, interests)."""
    with sessions.begin() as session:
        f.call(session, "new-health", first_seen=NOW - timedelta(days=1))
        f.call(session, "old-biotech", tags=["biotech"])
        for email, interests in members:
            f.member(session, email, interests=interests, language=Language.PL)


def test_sends_one_multipart_email_per_member(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    seed(sessions, ("anna@example.org", ["health"]), ("jan@example.org", ["biotech"]))

    report = run(sessions, settings)

    assert report.emails("sent") == ["anna@example.org", "jan@example.org"]
    assert (report.sent, report.already_sent, report.skipped_empty) == (2, 0, 0)
    assert report.ok
    assert [e.rcpt_tos for e in mailbox.received] == [
        ["anna@example.org"],
        ["jan@example.org"],
    ]
    assert mailbox.received[0].mail_from == "granty@klaster.example"
    message = parse(mailbox)
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert message["Subject"] == "Nabory, tydzień 48: 1 nowy nabór"
    assert "Call new-health" in text.get_content()
    assert "Call new-health" in html.get_content()
    assert message["Message-ID"].startswith("<digest-2026-W48-")
    rows = deliveries(sessions)
    assert [(r.status, r.attempts, r.call_count) for r in rows] == [
        (DeliveryStatus.SENT, 1, 1),
        (DeliveryStatus.SENT, 1, 1),
    ]
    assert all(r.sent_at is not None and r.last_error is None for r in rows)
    assert rows[0].message_id == message["Message-ID"]


def test_a_rerun_sends_nothing_more(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    seed(sessions, ("anna@example.org", ["health"]))
    run(sessions, settings)

    report = run(sessions, settings)

    assert (report.sent, report.already_sent) == (0, 1)
    assert report.emails("already_sent") == ["anna@example.org"]
    assert len(mailbox.received) == 1


def test_nothing_to_read_means_no_email_and_no_record(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    seed(sessions, ("eva@example.org", ["environment"]))

    report = run(sessions, settings)

    assert report.emails("skipped_empty") == ["eva@example.org"]
    assert mailbox.received == []
    assert deliveries(sessions) == []
    # A call that appears later in the week can still be sent.
    with sessions.begin() as session:
        f.call(
            session, "env", tags=["environment"], first_seen=NOW - timedelta(hours=1)
        )
    assert run(sessions, settings).emails("sent") == ["eva@example.org"]


def test_inactive_members_get_nothing(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    with sessions.begin() as session:
        f.call(session, "health")
        f.member(session, "gone@example.org", active=False)

    report = run(sessions, settings)

    assert report == SendReport()
    assert mailbox.received == []


def test_temporary_refusal_is_retried_and_sent_once(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    seed(sessions, ("anna@example.org", ["health"]))
    mailbox.refusals = ["451 4.3.0 Try again later"]

    report = run(sessions, settings)

    assert report.emails("sent") == ["anna@example.org"]
    assert mailbox.attempts == 2
    assert len(mailbox.received) == 1
    (row,) = deliveries(sessions)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1)


def test_permanent_refusal_is_recorded_and_retried_by_the_next_run(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    seed(sessions, ("anna@example.org", ["health"]))
    mailbox.refusals = ["550 5.7.1 Rejected"]

    report = run(sessions, settings)

    assert report.emails("failed") == ["anna@example.org"]
    assert not report.ok
    assert "550" in report.errors["anna@example.org"]
    assert mailbox.attempts == 1  # a 5xx is not retried within the run
    (row,) = deliveries(sessions)
    assert row.status is DeliveryStatus.FAILED
    assert "Rejected" in (row.last_error or "")

    again = run(sessions, settings)

    assert again.emails("sent") == ["anna@example.org"]
    assert len(mailbox.received) == 1
    (row,) = deliveries(sessions)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, None)


def test_unreachable_server_fails_after_retries(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions, ("anna@example.org", ["health"]))
    nobody = smtp_settings(free_port())

    report = run(sessions, nobody)

    assert report.emails("failed") == ["anna@example.org"]
    (row,) = deliveries(sessions)
    assert row.status is DeliveryStatus.FAILED
    assert row.last_error


def test_a_row_already_marked_sent_is_never_sent_again(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    seed(sessions, ("anna@example.org", ["health"]))
    with sessions.begin() as session:
        (member_id,) = session.scalars(select(Member.id))
        session.add(
            DigestDelivery(
                member_id=member_id,
                period=str(PERIOD),
                status=DeliveryStatus.SENT,
                message_id="<x@y>",
                attempts=1,
            )
        )

    report = run(sessions, settings)

    assert report.emails("already_sent") == ["anna@example.org"]
    assert mailbox.received == []


def test_deliver_hook_replaces_smtp(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed(sessions, ("anna@example.org", ["health"]))
    outbox: list[EmailMessage] = []

    async def keep(message: EmailMessage) -> None:
        outbox.append(message)

    report = send_weekly_digests(sessions, settings, PERIOD, NOW, deliver=keep)

    assert report.emails("sent") == ["anna@example.org"]
    assert [m["To"] for m in outbox] == ["Anna Nowak <anna@example.org>"]


@pytest.mark.parametrize(
    ("mode", "use_tls", "start_tls"),
    [("none", False, False), ("starttls", False, True), ("tls", True, False)],
)
def test_smtp_options_follow_settings(
    mode: str, use_tls: bool, start_tls: bool
) -> None:
    options = smtp_options(smtp_settings(2525, SMTP_TLS=mode))
    assert (options["use_tls"], options["start_tls"]) == (use_tls, start_tls)
    assert (options["hostname"], options["port"], options["timeout"]) == (
        "127.0.0.1",
        2525,
        5.0,
    )
    assert "username" not in options


def test_smtp_login_with_the_configured_user(
    sessions: sessionmaker[Session],
) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, data) -> AuthResult:
        logins.append((data.login, data.password))
        return AuthResult(success=True)

    seed(sessions, ("anna@example.org", ["health"]))
    # Plain-text AUTH is fine on loopback; production uses SMTP_TLS.
    with running_mailbox(authenticator=authenticator, auth_require_tls=False) as box:
        settings = smtp_settings(box.port, SMTP_USER="digest", SMTP_PASSWORD="s3cret")
        report = run(sessions, settings)

    assert report.emails("sent") == ["anna@example.org"]
    assert logins == [(b"digest", b"s3cret")]
