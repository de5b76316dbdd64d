"""`grants db`: schema migrations."""

from __future__ import annotations

import click

from tracker import db as tracker_db


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Apply migrations (creates the SQLite file under var/ if needed)."""
    tracker_db.upgrade(revision=revision)
    click.echo(f"database at {revision}")
