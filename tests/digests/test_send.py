"""Sending through a real SMTP server (aiosmtpd on 127.0.0.1), committing for real."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digests.send import (
    Mailer,
    RateLimiter,
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
from tracker.vocab import DeliveryStatus, Frequency, Language

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
    assert mailbox.count() == {"anna@example.org": 1, "jan@example.org": 1}
    assert mailbox.received[0].mail_from == "granty@klaster.example"
    message = next(
        parse(mailbox, n)
        for n, e in enumerate(mailbox.received)
        if e.rcpt_tos == ["anna@example.org"]
    )
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
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
    assert message["Message-ID"] in {r.message_id for r in rows}


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
    with sessions() as session:
        member = session.scalars(select(Member)).one()
    # The message was refused, not the address: nothing for coordinators to fix.
    assert member.flagged_at is None

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


def test_members_who_want_no_mail_get_none(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    seed(
        sessions,
        ("anna@example.org", ["health"]),
        ("off@example.org", ["health"]),
        ("left@example.org", ["health"]),
    )
    with sessions.begin() as session:
        by_email = {m.email: m for m in session.scalars(select(Member))}
        by_email["off@example.org"].frequency = Frequency.OFF
        by_email["left@example.org"].unsubscribed_at = NOW - timedelta(days=1)

    report = run(sessions, settings)

    assert report.outcomes == {"anna@example.org": "sent"}
    assert mailbox.count() == {"anna@example.org": 1}


def test_workers_share_the_load_each_on_one_reused_connection(
    sessions: sessionmaker[Session], mailbox: Mailbox
) -> None:
    emails = [f"m{n}@example.org" for n in range(9)]
    seed(sessions, *((email, ["health"]) for email in emails))
    mailbox.data_delay = 0.3  # long enough for all workers to be in DATA at once

    report = run(sessions, smtp_settings(mailbox.port, SMTP_CONCURRENCY="3"))

    assert report.emails("sent") == emails  # reported in member order
    assert mailbox.count() == dict.fromkeys(emails, 1)
    assert mailbox.max_in_flight == 3
    # Three connections for nine messages: each worker kept its own open.
    assert len(set(mailbox.peers)) == 3


def test_one_worker_sends_everything_on_one_connection(
    sessions: sessionmaker[Session], mailbox: Mailbox
) -> None:
    seed(sessions, *((f"m{n}@example.org", ["health"]) for n in range(4)))

    run(sessions, smtp_settings(mailbox.port, SMTP_CONCURRENCY="1"))

    assert mailbox.max_in_flight == 1
    assert len(mailbox.peers) == 4
    assert len(set(mailbox.peers)) == 1


class FakeClock:
    """Time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_rate_limit_spaces_messages_evenly() -> None:
    clock = FakeClock()
    limiter = RateLimiter(30, clock=clock, sleep=clock.sleep)

    async def five() -> None:
        for _ in range(5):
            await limiter.wait()

    asyncio.run(five())

    assert clock.sleeps == [2.0, 2.0, 2.0, 2.0]  # 30 a minute: one every 2 s


def test_rate_limit_counts_time_already_spent() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock, sleep=clock.sleep)

    async def slow_sender() -> None:
        await limiter.wait()
        clock.now += 0.75  # the first message took a while to send
        await limiter.wait()
        clock.now += 5  # nothing to send for a while: no catching up in a burst
        await limiter.wait()
        await limiter.wait()

    asyncio.run(slow_sender())

    assert clock.sleeps == [0.25, 1.0]


def test_the_rate_limit_holds_across_workers(
    sessions: sessionmaker[Session], mailbox: Mailbox
) -> None:
    seed(sessions, *((f"m{n}@example.org", ["health"]) for n in range(6)))
    clock = FakeClock()
    settings = smtp_settings(
        mailbox.port, SMTP_CONCURRENCY="3", SMTP_RATE_PER_MINUTE="120"
    )
    mailer = Mailer(
        settings, FAST, limiter=RateLimiter(120, clock=clock, sleep=clock.sleep)
    )

    report = send_weekly_digests(sessions, settings, PERIOD, NOW, mailer=mailer)

    assert report.sent == 6
    # Six slots half a second apart whichever worker took them: 2.5 s in all.
    assert clock.now - 1000.0 == 2.5
    assert len(mailbox.received) == 6


def test_the_deliver_hook_goes_through_the_same_record(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed(sessions, ("anna@example.org", ["health"]))
    seen: list[DeliveryStatus] = []

    async def keep(message: EmailMessage) -> None:
        seen.extend(row.status for row in deliveries(sessions))

    send_weekly_digests(sessions, settings, PERIOD, NOW, deliver=keep)

    assert seen == [DeliveryStatus.SENDING]  # committed before handing it over
    assert [r.status for r in deliveries(sessions)] == [DeliveryStatus.SENT]


def test_a_digest_that_cannot_be_built_fails_alone(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    seed(sessions, ("anna@example.org", ["health"]), ("jan@example.org", ["health"]))
    with sessions.begin() as session:
        jan = session.scalars(select(Member).where(Member.email.startswith("jan")))
        jan.one().language = "xx"  # bad data slipped in by hand

    report = run(sessions, settings)

    assert report.emails("sent") == ["anna@example.org"]
    assert report.emails("failed") == ["jan@example.org"]
    assert mailbox.count() == {"anna@example.org": 1}
