"""`grants digest`: preview and send the weekly digest."""

from __future__ import annotations

import click

from digests.build import build_digest
from digests.period import Period, current_period
from digests.render import render_templates
from digests.send import send_weekly_digests
from tracker.config import get_settings
from tracker.db import session_factory
from tracker.members import get_member_by_email
from tracker.models import utcnow


def _period(week: str | None) -> Period:
    if week is None:
        return current_period(utcnow(), get_settings().TIMEZONE)
    try:
        return Period.parse(week)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--week") from None


week_option = click.option(
    "--week", help="ISO week such as 2026-W48 (default: the current week)."
)


@click.group()
def digest() -> None:
    """Weekly email digest of matching funding calls."""


@digest.command()
@click.option("--member", "email", required=True, help="Email of the member.")
@week_option
@click.option("--html", is_flag=True, help="Print the HTML part instead of the text.")
def preview(email: str, week: str | None, html: bool) -> None:
    """Print a member's digest (subject and text) without sending it."""
    settings, period = get_settings(), _period(week)
    with session_factory().begin() as session:
        member = get_member_by_email(session, email)
        if member is None:
            raise click.BadParameter(
                f"no member with email {email!r}", param_hint="--member"
            )
        context = build_digest(session, member, period, utcnow(), settings.TIMEZONE)
    if context.is_empty:
        click.echo(f"nothing to send to {member.email} for {period}")
        return
    subject, text, body_html = render_templates("weekly", context, settings)
    click.echo(f"Subject: {subject}\n")
    click.echo(body_html if html else text)


@digest.command()
@week_option
def send(week: str | None) -> None:
    """Send the week's digest to every active member (never twice)."""
    settings, period = get_settings(), _period(week)
    report = send_weekly_digests(session_factory(), settings, period, utcnow())
    click.echo(f"digest {period}:")
    click.echo(f"  sent: {report.sent}")
    click.echo(f"  already sent: {report.already_sent}")
    click.echo(f"  nothing to send: {report.skipped_empty}")
    click.echo(f"  failed: {report.failed}")
    for email, error in report.errors.items():
        click.echo(f"    {email}: {error}", err=True)
    if not report.ok:
        raise SystemExit(1)
