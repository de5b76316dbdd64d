"""The test suite itself refuses any connection that leaves the machine."""

from __future__ import annotations

import socket

import pytest


def test_non_loopback_connections_are_refused() -> None:
    with (
        socket.socket() as sock,
        pytest.raises(ConnectionRefusedError, match="network"),
    ):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routable


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
