"""`grants demo` (being written in this session)."""

from __future__ import annotations

import click


@click.group()
def demo() -> None:
    """Placeholder replaced in this session."""
