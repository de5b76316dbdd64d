"""`grants digest`: preview, send and (a coordinator's decision) resend the digest."""

from __future__ import annotations

import click

from digests.build import build_digest
from digests.period import Period, current_period
from digests.render import render_templates
from digests.send import SendReport, resend_digest, send_weekly_digests
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
    _print_report(f"digest {period}:", report)


@digest.command()
@click.option("--member", "email", required=True, help="Email of the member.")
@click.option("--week", required=True, help="ISO week such as 2026-W48.")
@click.option("--force", is_flag=True, help="Send even if it was recorded as sent.")
def resend(email: str, week: str, force: bool) -> None:
    """Send one member's digest again, e.g. after a run left it "uncertain".

    A run that died while handing a digest over cannot tell whether it left,
    so it is never resent automatically: check with the member, then resend.
    """
    settings, period = get_settings(), _period(week)
    try:
        report = resend_digest(
            session_factory(), settings, email, period, utcnow(), force=force
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    _print_report(f"digest {period} for {email}:", report)


def _print_report(title: str, report: SendReport) -> None:
    click.echo(title)
    click.echo(f"  sent: {report.sent}")
    click.echo(f"  already sent: {report.already_sent}")
    click.echo(f"  nothing to send: {report.skipped_empty}")
    click.echo(f"  failed: {report.failed}")
    click.echo(f"  uncertain (check, then `grants digest resend`): {report.uncertain}")
    for email, error in report.errors.items():
        click.echo(f"    {email}: {error}", err=True)
    for email in report.emails("uncertain"):
        click.echo(f"    {email}: may or may not have received it", err=True)
    if not report.ok:
        raise SystemExit(1)
