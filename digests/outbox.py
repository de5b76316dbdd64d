"""Handing messages to the SMTP relay: connections kept open, paced, retried.

`SMTP_CONCURRENCY` workers (see `digests.send.Mailer`) each keep one
`SmtpConnection` open for their consecutive messages; one `RateLimiter`
spaces the messages of all of them evenly (`SMTP_RATE_PER_MINUTE`).
Temporary failures (connection trouble, 4xx) are worth another try; a 5xx at
RCPT means the address will never take our mail.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from aiosmtplib.email import extract_recipients, extract_sender, flatten_message

from tracker.config import Settings

log = logging.getLogger(__name__)

Deliver = Callable[[EmailMessage], Awaitable[object]]
Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True)
class RetryPolicy:
    """Temporary SMTP failures are retried `attempts` times within one run.

    The wait doubles from `backoff` seconds; tests set it to zero, or pass a
    `sleep` that does something (start a server) instead of waiting.
    """

    attempts: int = 3
    backoff: float = 2.0
    sleep: Sleep = asyncio.sleep


def smtp_options(settings: Settings) -> dict[str, Any]:
    """aiosmtplib keyword arguments from the settings."""
    options: dict[str, Any] = {
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
    """Hand one message to the relay on a connection of its own (alerts)."""
    await aiosmtplib.send(message, **smtp_options(settings))


def is_temporary(error: BaseException) -> bool:
    """Worth another try soon: connection trouble and SMTP 4xx replies."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(400 <= r.code < 500 for r in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 400 <= error.code < 500
    return isinstance(error, OSError)  # refused, reset, timed out, disconnected


def refused_for_good(error: BaseException) -> bool:
    """The relay will never take mail for this address (5xx at RCPT)."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in error.recipients)
    return isinstance(error, aiosmtplib.SMTPRecipientRefused) and error.code >= 500


async def deliver_with_retry(
    message: EmailMessage, deliver: Deliver, retry: RetryPolicy
) -> None:
    """Deliver, retrying temporary failures; the last error propagates (alerts)."""
    for attempt in range(1, retry.attempts + 1):
        try:
            await deliver(message)
            return
        except Exception as error:
            if attempt == retry.attempts or not is_temporary(error):
                raise
            log.warning("temporary SMTP failure (%s), retrying", error)
            await retry.sleep(retry.backoff * 2 ** (attempt - 1))


class RateLimiter:
    """At most `per_minute` messages a minute, evenly spaced (no bursts).

    Each caller reserves the next free slot before sleeping, so workers sharing
    one limiter never take the same slot. `clock` and `sleep` are for tests.
    """

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.interval = 60 / per_minute if per_minute > 0 else 0.0  # 0: no limit
        self.clock, self.sleep = clock, sleep
        self._next: float | None = None

    async def wait(self) -> None:
        now = self.clock()
        slot = now if self._next is None else max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self.sleep(slot - now)


class SmtpConnection:
    """One worker's connection to the relay, kept open between its messages.

    The low-level commands let the caller commit "sending" after the server
    accepted the recipient and before the message itself is handed over.
    """

    def __init__(self, settings: Settings) -> None:
        self.options = smtp_options(settings)
        self.smtp: aiosmtplib.SMTP | None = None

    async def send(
        self, message: EmailMessage, before_data: Callable[[], None]
    ) -> None:
        sender, recipients = extract_sender(message), extract_recipients(message)
        smtp = await self._open()
        # As aiosmtplib.send does: 8-bit parts only where the relay takes them.
        eight_bit = smtp.supports_extension("8BITMIME")
        flat = flatten_message(message, cte_type="8bit" if eight_bit else "7bit")
        try:
            await smtp.mail(
                sender or "", options=["BODY=8BITMIME"] if eight_bit else []
            )
            for recipient in recipients:
                await smtp.rcpt(recipient)
            before_data()
            await smtp.data(flat)
        except OSError:
            self._drop()  # disconnected, timed out, or 421 "closing"
            raise
        except Exception:
            await self._reset()  # a refusal or a lost claim: the envelope goes
            raise

    async def close(self) -> None:
        if self.smtp is not None and self.smtp.is_connected:
            try:
                await self.smtp.quit()
            except (OSError, aiosmtplib.SMTPException):
                self._drop()

    async def _open(self) -> aiosmtplib.SMTP:
        # A relay that closed an idle connection is noticed here (is_connected).
        if self.smtp is None or not self.smtp.is_connected:
            self.smtp = aiosmtplib.SMTP(**self.options)
            await self.smtp.connect()
        return self.smtp

    async def _reset(self) -> None:
        try:
            if self.smtp is not None and self.smtp.is_connected:
                await self.smtp.rset()
        except (OSError, aiosmtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
        self.smtp = None


class HookConnection:
    """`deliver` in place of SMTP (the demo, tests): "sending" right before it."""

    def __init__(self, deliver: Deliver) -> None:
        self.deliver = deliver

    async def send(
        self, message: EmailMessage, before_data: Callable[[], None]
    ) -> None:
        before_data()
        await self.deliver(message)

    async def close(self) -> None:
        return None
