"""`grants parse` (being written in this session)."""

from __future__ import annotations

import click


@click.group()
def parse() -> None:
    """Placeholder replaced in this session."""
