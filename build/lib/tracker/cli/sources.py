"""`grants sources`: each source's crawl health, and alerts for the coordinators."""

from __future__ import annotations

import click

from tracker.cli.crawl import notify_coordinators
from tracker.crawling import source_slugs
from tracker.db import session_factory
from tracker.health import SourceHealth, overview
from tracker.models import utcnow


@click.command()
@click.option(
    "--notify", is_flag=True, help="Mail pending alerts to COORDINATORS_EMAIL."
)
def sources(notify: bool) -> None:
    """Every source with last success, calls, open calls, last error and alerts."""
    with session_factory().begin() as session:
        report = overview(session, utcnow())
        known = {h.source.slug for h in report}
        for health in report:
            click.echo(format_health(health))
        for slug in sorted(set(source_slugs()) - known):
            click.echo(f"{slug}\n  never crawled")
    if notify:
        notify_coordinators()


def format_health(health: SourceHealth) -> str:
    success = health.last_success
    lines = [
        f"{health.source.slug} ({health.source.name})",
        f"  last success: {success:%Y-%m-%d %H:%M} UTC"
        if success
        else "  last success: never",
        f"  calls: {health.calls}, open: {health.open_calls}, "
        f"vanished while open: {health.missing}",
    ]
    if health.last_error:
        lines.append(f"  last error: {health.last_error}")
    lines += [f"  ALERT {a.kind}: {a.message}" for a in health.alerts]
    return "\n".join(lines)
