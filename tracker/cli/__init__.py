"""The `grants` command line: one group, one module per subcommand family."""

from __future__ import annotations

import logging
import sys

import click

from tracker.cli import (
    crawl,
    db,
    demo,
    digest,
    members,
    parse,
    schedule,
    sources,
    tags,
    users,
    web,
)
from tracker.db import SchemaNotReady, check_schema

# Commands that work without the configured database being migrated.
NO_SCHEMA_NEEDED = {"db", "demo", "parse", "tags"}


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Funding-call tracker of the Lublin biotechnology cluster."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if ctx.invoked_subcommand in NO_SCHEMA_NEEDED or "--help" in sys.argv:
        return
    try:
        check_schema()
    except SchemaNotReady as exc:
        raise click.ClickException(str(exc)) from exc


cli.add_command(db.db)
cli.add_command(crawl.crawl)
cli.add_command(parse.parse)
cli.add_command(members.members)
cli.add_command(digest.digest)
cli.add_command(demo.demo)
cli.add_command(schedule.schedule)
cli.add_command(sources.sources)
cli.add_command(tags.tags)
cli.add_command(users.users)
cli.add_command(web.web)
