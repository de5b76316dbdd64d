"""A real SMTP server on loopback that files every message it accepts as .eml."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _FileHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.received: list[Path] = []

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        for rcpt in envelope.rcpt_tos:
            name = re.sub(r"[^A-Za-z0-9@._-]", "_", rcpt)
            path = self.folder / f"{stamp}-{name}.eml"
            content = envelope.original_content or b""
            path.write_bytes(content)
            self.received.append(path)
        return "250 Message accepted for delivery"


class Outbox:
    """`with Outbox(folder) as box:` runs an SMTP server at `box.host`:`box.port`."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.host = "127.0.0.1"
        self.port = free_port()
        self._handler = _FileHandler(folder)
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)

    @property
    def received(self) -> list[Path]:
        return list(self._handler.received)

    def __enter__(self) -> Outbox:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        *_: Any,
    ) -> None:
        self._controller.stop()
