"""`grants members`: who receives digests, in which language, about what."""

from __future__ import annotations

import click

from tracker.db import session_factory
from tracker.members import MemberError, add_member, deactivate_member, list_members
from tracker.vocab import Domain, Language


@click.group()
def members() -> None:
    """Manage cluster members who receive the weekly digest."""


@members.command("add")
@click.option("--email", required=True, help="Email address (the member's key).")
@click.option("--name", required=True, help="Name used in the greeting.")
@click.option(
    "--lang",
    "language",
    type=click.Choice([lang.value for lang in Language]),
    required=True,
    help="Language of the digest.",
)
@click.option(
    "--interests",
    required=True,
    help=f"Comma-separated domains: {','.join(d.value for d in Domain)}.",
)
def add(email: str, name: str, language: str, interests: str) -> None:
    """Add a member, or update the one with this email."""
    try:
        with session_factory().begin() as session:
            member = add_member(session, email, name, language, interests)
            click.echo(f"{member.email}: {', '.join(member.interests)} ({language})")
    except MemberError as error:
        raise click.UsageError(str(error)) from None


@members.command("list")
@click.option("--active-only", is_flag=True, help="Hide deactivated members.")
def list_(active_only: bool) -> None:
    """List members, one per line: email, language, interests, name."""
    with session_factory().begin() as session:
        rows = list_members(session, active_only=active_only)
        if not rows:
            click.echo("no members yet; add one with `grants members add`")
        for member in rows:
            state = "" if member.active else "  [inactive]"
            interests = ",".join(member.interests)
            click.echo(
                f"{member.email}\t{member.language}\t{interests}\t{member.name}{state}"
            )


@members.command("deactivate")
@click.option("--email", required=True, help="Email address of the member.")
def deactivate(email: str) -> None:
    """Stop sending digests to a member (history is kept)."""
    try:
        with session_factory().begin() as session:
            member = deactivate_member(session, email)
            click.echo(f"{member.email}: deactivated")
    except MemberError as error:
        raise click.UsageError(str(error)) from None
