"""`grants demo`: the whole path once, offline, on the embedded database."""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--database-url",
    default="sqlite:///var/grants.db",
    show_default=True,
    help="The demo ignores DATABASE_URL so that it never writes to a real database.",
)
def demo(database_url: str) -> None:
    """Crawl six replayed sources, tag, and mail two digests to var/outbox/."""
    from tracker.demo.run import run_demo  # the demo pulls in the SMTP server

    run_demo(click.echo, database_url)
