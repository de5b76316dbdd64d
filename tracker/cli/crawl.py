"""`grants crawl` (being written in this session)."""

from __future__ import annotations

import click


@click.group()
def crawl() -> None:
    """Placeholder replaced in this session."""
