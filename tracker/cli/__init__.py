"""The `grants` command line: one group, one module per subcommand family."""

from __future__ import annotations

import logging

import click

from tracker.cli import crawl, db, demo, digest, members, parse


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
def cli(verbose: bool) -> None:
    """Funding-call tracker of the Lublin biotechnology cluster."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


cli.add_command(db.db)
cli.add_command(crawl.crawl)
cli.add_command(parse.parse)
cli.add_command(members.members)
cli.add_command(digest.digest)
cli.add_command(demo.demo)
