"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 with a collecting handler."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from tracker.config import Settings, load_settings
from tracker.demo.outbox import free_port


@dataclass
class Mailbox:
    """An aiosmtpd handler: refuses with the queued replies first, then accepts."""

    refusals: list[str] = field(default_factory=list)
    received: list[Envelope] = field(default_factory=list)
    attempts: int = 0
    port: int = 0

    async def handle_DATA(self, server: object, session: object, envelope: Envelope):
        self.attempts += 1
        if self.refusals:
            return self.refusals.pop(0)
        self.received.append(envelope)
        return "250 2.0.0 Message accepted"


@contextmanager
def running_mailbox(**controller_options: object) -> Iterator[Mailbox]:
    """A started server; `controller_options` go to aiosmtpd's `Controller`."""
    handler = Mailbox()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), **controller_options
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
            **extra,
        }
    )
