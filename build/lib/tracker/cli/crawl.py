"""`grants crawl`: run spiders and report what the tracker stored."""

from __future__ import annotations

import click

from digests.alerts import notify_alerts
from tracker.config import get_settings
from tracker.crawling import crawl_each, crawl_here, source_slugs
from tracker.crawls import latest_run
from tracker.db import session_factory
from tracker.models import CrawlRun, utcnow
from tracker.vocab import CrawlOutcome


@click.command()
@click.argument("slug", required=False)
@click.option("--all", "run_all", is_flag=True, help="Crawl every source.")
@click.option(
    "--httpcache", is_flag=True, help="Use Scrapy's HTTP cache (development)."
)
@click.option("--log-level", default="WARNING", show_default=True)
@click.option(
    "--notify/--no-notify",
    default=True,
    show_default=True,
    help="Mail new crawl-health alerts to COORDINATORS_EMAIL afterwards.",
)
def crawl(
    slug: str | None, run_all: bool, httpcache: bool, log_level: str, notify: bool
) -> None:
    """Crawl source SLUG (or --all sources, each in its own process)."""
    if run_all == bool(slug):
        raise click.UsageError("give a source SLUG or --all")
    if run_all:
        extra = ["--log-level", log_level, "--no-notify"]
        extra += ["--httpcache"] if httpcache else []
        failed = [s for s, rc in crawl_each(source_slugs(), extra).items() if rc]
        if notify:
            notify_coordinators()
        if failed:
            raise click.ClickException(f"failed: {', '.join(failed)}")
        return
    assert slug is not None
    overrides: dict[str, object] = {"LOG_LEVEL": log_level}
    if httpcache:
        overrides["HTTPCACHE_ENABLED"] = True
    try:
        crawl_here(slug, overrides)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    with session_factory().begin() as session:
        run = latest_run(session, slug)
        if run is None:
            raise click.ClickException(f"{slug}: the crawl recorded no run")
        click.echo(format_run(slug, run))
        outcome = run.outcome
    if notify:
        notify_coordinators()
    if outcome is not CrawlOutcome.SUCCESS:
        raise click.ClickException(f"{slug}: crawl {outcome}")


def notify_coordinators() -> None:
    """Mail pending alerts; a mail failure is reported, never fatal to a crawl."""
    try:
        sent = notify_alerts(session_factory(), get_settings(), utcnow())
    except Exception as exc:  # any SMTP trouble: the crawl result stands
        click.echo(f"warning: alerts not mailed: {exc}", err=True)
        return
    if sent:
        click.echo(f"{sent} alert(s) mailed to the coordinators")


def format_run(slug: str, run: CrawlRun) -> str:
    lines = [
        f"{slug}: {run.outcome} - found {run.items_scraped}, new {run.items_new}, "
        f"changed {run.items_changed}, unchanged {run.items_unchanged}, "
        f"dropped {run.items_dropped}, errors {run.errors}"
    ]
    lines += [f"  {message}" for message in run.messages]
    return "\n".join(lines)
