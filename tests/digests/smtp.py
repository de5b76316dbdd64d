"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, with faults on demand.

The handler collects what it accepts and can, for the next messages, refuse a
recipient at RCPT, refuse at the end of DATA, or drop the connection after the
message arrived and before it answers: the moment a client cannot tell
whether its message was taken.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tracker.config import Settings, load_settings
from tracker.demo.outbox import free_port


@dataclass
class Mailbox:
    """An aiosmtpd handler: faults queued by the test first, then it accepts."""

    refusals: list[str] = field(default_factory=list)  # replies to DATA
    rcpt_refusals: dict[str, list[str]] = field(default_factory=dict)  # per address
    drops: int = 0  # DATA commands answered by closing the connection
    data_delay: float = 0.0  # seconds each accepted message takes
    received: list[Envelope] = field(default_factory=list)
    attempts: int = 0  # DATA commands, whatever became of them
    peers: list[tuple[str, int]] = field(default_factory=list)  # per message
    in_flight: int = 0
    max_in_flight: int = 0
    port: int = 0

    def count(self) -> Counter[str]:
        """Accepted copies per recipient: the number every test checks."""
        return Counter(rcpt for env in self.received for rcpt in env.rcpt_tos)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        queued = self.rcpt_refusals.get(address)
        if queued:
            return queued.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.attempts += 1
        if self.drops:
            self.drops -= 1
            assert server.transport is not None
            server.transport.close()
            # aiosmtpd cancels this handler when the connection is gone.
            await asyncio.sleep(3600)
        if self.refusals:
            return self.refusals.pop(0)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.data_delay)
        finally:
            self.in_flight -= 1
        self.received.append(envelope)
        self.peers.append(session.peer)  # type: ignore[arg-type]
        return "250 2.0.0 Message accepted"


@contextmanager
def running_mailbox(
    port: int | None = None, **controller_options: object
) -> Iterator[Mailbox]:
    """A started server; `controller_options` go to aiosmtpd's `Controller`."""
    handler = Mailbox()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port or free_port(), **controller_options
    )
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()


def smtp_settings(port: int, **extra: str) -> Settings:
    return load_settings(
        {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_TLS": "none",
            "SMTP_TIMEOUT": "5",
            "MAIL_FROM": "Klaster Biotech <granty@klaster.example>",
            "TIMEZONE": "Europe/Warsaw",
            # One message a millisecond: pacing is tested with a fake clock.
            "SMTP_RATE_PER_MINUTE": "60000",
            "SECRET_KEY": "test-secret-key-long-enough-for-member-links",
            "PUBLIC_BASE_URL": "https://granty.klaster.example",
            **extra,
        }
    )
