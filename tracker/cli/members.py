"""`grants members` (being written in this session)."""

from __future__ import annotations

import click


@click.group()
def members() -> None:
    """Placeholder replaced in this session."""
