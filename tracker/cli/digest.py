"""`grants digest` (being written in this session)."""

from __future__ import annotations

import click


@click.group()
def digest() -> None:
    """Placeholder replaced in this session."""
