"""Sending weekly digests: at most one email per member and week, ever.

Every (member, period) has one `DigestDelivery` row (unique in the schema).
A run claims the row in its own committed transaction before talking to SMTP
and marks it sent in another one afterwards, so a crash, a rerun or a second
runner cannot send a digest that is already marked sent. Failed and pending
rows are retried by later runs. A crash between SMTP's "250 OK" and the
"sent" commit means one duplicate at worst; the Message-ID is the same
for every attempt, so mail clients can recognise it.

A member with nothing to read gets no email and no row: nothing was sent,
so a later run in the same week may still send if matching calls appear.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Literal

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digests.build import build_digest
from digests.period import Period
from digests.render import message_id, render_digest
from tracker.config import Settings
from tracker.models import DigestDelivery, Member, utcnow
from tracker.storage import refresh_statuses
from tracker.vocab import DeliveryStatus

log = logging.getLogger(__name__)

Deliver = Callable[[EmailMessage], Awaitable[object]]


@dataclass(frozen=True)
class RetryPolicy:
    """Temporary SMTP failures are retried `attempts` times within one run.

    The wait doubles from `backoff` seconds; tests set it to zero.
    """

    attempts: int = 3
    backoff: float = 2.0


Outcome = Literal["sent", "skipped_empty", "already_sent", "failed"]


@dataclass
class SendReport:
    """How many members got each outcome; `outcomes` and `errors` say who."""

    sent: int = 0
    skipped_empty: int = 0
    already_sent: int = 0
    failed: int = 0
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # email -> outcome
    errors: dict[str, str] = field(default_factory=dict)  # email -> last error

    @property
    def ok(self) -> bool:
        return not self.failed

    def record(self, email: str, outcome: Outcome, error: str | None = None) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.outcomes[email] = outcome
        if error:
            self.errors[email] = error

    def emails(self, outcome: Outcome) -> list[str]:
        """Addresses with `outcome`, in sending order."""
        return [email for email, done in self.outcomes.items() if done == outcome]


def smtp_options(settings: Settings) -> dict[str, object]:
    """aiosmtplib keyword arguments from the settings."""
    options: dict[str, object] = {
        "hostname": settings.SMTP_HOST,
        "port": settings.smtp_port,
        "timeout": settings.smtp_timeout,
        # `start_tls=None` would upgrade opportunistically; "none" means none.
        "use_tls": settings.SMTP_TLS == "tls",
        "start_tls": settings.SMTP_TLS == "starttls",
    }
    if settings.SMTP_USER:
        options["username"] = settings.SMTP_USER
        options["password"] = settings.SMTP_PASSWORD
    return options


async def send_message(message: EmailMessage, settings: Settings) -> None:
    """Hand one message to the SMTP relay of `settings`."""
    await aiosmtplib.send(message, **smtp_options(settings))  # type: ignore[arg-type]


def is_temporary(error: BaseException) -> bool:
    """Worth another try soon: connection trouble and SMTP 4xx replies."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(400 <= r.code < 500 for r in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 400 <= error.code < 500
    return isinstance(error, OSError)  # refused, reset, timed out, disconnected


async def deliver_with_retry(
    message: EmailMessage, deliver: Deliver, retry: RetryPolicy
) -> None:
    """Deliver, retrying temporary failures; the last error propagates."""
    for attempt in range(1, retry.attempts + 1):
        try:
            await deliver(message)
            return
        except Exception as error:
            if attempt == retry.attempts or not is_temporary(error):
                raise
            log.warning("temporary SMTP failure (%s), retrying", error)
            await asyncio.sleep(retry.backoff * 2 ** (attempt - 1))


def send_weekly_digests(
    sessions: sessionmaker[Session],
    settings: Settings,
    period: Period,
    now: datetime,
    *,
    deliver: Deliver | None = None,
    retry: RetryPolicy | None = None,
) -> SendReport:
    """Send `period`'s digest to every active member; see the module docstring.

    `deliver` replaces SMTP (default: `send_message` with `settings`); the demo
    can equally point `settings` at a local aiosmtpd server.
    """
    return asyncio.run(
        asend_weekly_digests(
            sessions, settings, period, now, deliver=deliver, retry=retry
        )
    )


async def asend_weekly_digests(
    sessions: sessionmaker[Session],
    settings: Settings,
    period: Period,
    now: datetime,
    *,
    deliver: Deliver | None = None,
    retry: RetryPolicy | None = None,
) -> SendReport:
    """`send_weekly_digests` for callers already inside an event loop."""
    if deliver is None:

        async def deliver(message: EmailMessage) -> None:
            await send_message(message, settings)

    retry = retry or RetryPolicy()
    report = SendReport()
    with sessions.begin() as session:
        # Time alone closes calls; record it before anyone reads the digest.
        refresh_statuses(session, now)
        members = session.execute(
            select(Member.id, Member.email).where(Member.active).order_by(Member.id)
        ).all()
    for member_id, email in members:
        outcome, error = await _send_one(
            sessions, settings, member_id, period, now, deliver, retry
        )
        report.record(email, outcome, error)
    return report


async def _send_one(
    sessions: sessionmaker[Session],
    settings: Settings,
    member_id: int,
    period: Period,
    now: datetime,
    deliver: Deliver,
    retry: RetryPolicy,
) -> tuple[Outcome, str | None]:
    """The outcome ("sent", "failed", ...) for one member, and the error if any."""
    with sessions.begin() as session:
        if _delivery_status(session, member_id, period) is DeliveryStatus.SENT:
            return "already_sent", None
        member = session.get_one(Member, member_id)
        context = build_digest(session, member, period, now, settings.TIMEZONE)
        if context.is_empty:
            return "skipped_empty", None
        message = render_digest(context, settings)
    if not _claim(sessions, member_id, period, settings):
        return "already_sent", None  # another runner holds or finished it
    try:
        await deliver_with_retry(message, deliver, retry)
    except Exception as error:
        text = f"{type(error).__name__}: {error}"[:2000]
        log.error("digest for member %s failed: %s", member_id, text)
        _finish(sessions, member_id, period, DeliveryStatus.FAILED, error=text)
        return "failed", text
    _finish(
        sessions, member_id, period, DeliveryStatus.SENT, call_count=context.call_count
    )
    return "sent", None


def _delivery_status(
    session: Session, member_id: int, period: Period
) -> DeliveryStatus | None:
    return session.scalar(
        select(DigestDelivery.status).where(
            DigestDelivery.member_id == member_id,
            DigestDelivery.period == str(period),
        )
    )


def _claim(
    sessions: sessionmaker[Session],
    member_id: int,
    period: Period,
    settings: Settings,
) -> bool:
    """Take the delivery row (pending, one more attempt) in a committed transaction.

    Only one runner can win: inserting races on the unique (member, period)
    key, and retrying a row is a compare-and-set on its attempt count.
    """
    key = (DigestDelivery.member_id == member_id, DigestDelivery.period == str(period))
    try:
        with sessions.begin() as session:
            row = session.scalar(select(DigestDelivery).where(*key))
            if row is None:
                session.add(
                    DigestDelivery(
                        member_id=member_id,
                        period=str(period),
                        status=DeliveryStatus.PENDING,
                        message_id=message_id(
                            str(period), member_id, settings.MAIL_FROM
                        ),
                        attempts=1,
                    )
                )
                return True
            if row.status is DeliveryStatus.SENT:
                return False
            claimed = session.execute(
                update(DigestDelivery)
                .where(*key, DigestDelivery.attempts == row.attempts)
                .where(DigestDelivery.status != DeliveryStatus.SENT)
                .values(attempts=row.attempts + 1, status=DeliveryStatus.PENDING)
                .execution_options(synchronize_session=False)
            )
            return claimed.rowcount == 1  # type: ignore[attr-defined]
    except IntegrityError:
        return False


def _finish(
    sessions: sessionmaker[Session],
    member_id: int,
    period: Period,
    status: DeliveryStatus,
    *,
    error: str | None = None,
    call_count: int = 0,
) -> None:
    values: dict[str, object] = {"status": status, "last_error": error}
    if status is DeliveryStatus.SENT:
        values |= {"sent_at": utcnow(), "call_count": call_count}
    with sessions.begin() as session:
        session.execute(
            update(DigestDelivery)
            .where(
                DigestDelivery.member_id == member_id,
                DigestDelivery.period == str(period),
            )
            .values(**values)
        )
