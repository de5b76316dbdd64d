"""`grants users`: the coordinators who log in to the desk (`grants web`)."""

from __future__ import annotations

import sys

import click

from tracker.db import session_factory
from tracker.users import UserError, add_user, deactivate_user, list_users
from tracker.vocab import Language


@click.group()
def users() -> None:
    """Manage coordinator accounts of the review desk."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line, for scripts and provisioning; never as an argument, where
        # it would end up in the shell history and the process list.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(
        "Password", hide_input=True, confirmation_prompt=True, prompt_suffix=": "
    )


@users.command("add")
@click.option("--email", required=True, help="Email address (the login).")
@click.option("--name", required=True, help="Name shown in the review log.")
@click.option(
    "--lang",
    "language",
    type=click.Choice([lang.value for lang in Language]),
    required=True,
    help="Language of the desk for this coordinator.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
def add(email: str, name: str, language: str, password_stdin: bool) -> None:
    """Add a coordinator, or update the one with this email (new password)."""
    password = _read_password(password_stdin)
    try:
        with session_factory().begin() as session:
            user = add_user(session, email, name, language, password)
            click.echo(f"{user.email}: {user.name} ({user.language})")
    except UserError as error:
        raise click.UsageError(str(error)) from None


@users.command("list")
def list_() -> None:
    """List coordinators, one per line: email, language, name."""
    with session_factory().begin() as session:
        rows = list_users(session)
        if not rows:
            click.echo("no coordinators yet; add one with `grants users add`")
        for user in rows:
            state = "" if user.active else "  [inactive]"
            click.echo(f"{user.email}\t{user.language}\t{user.name}{state}")


@users.command("deactivate")
@click.option("--email", required=True, help="Email address of the coordinator.")
def deactivate(email: str) -> None:
    """Lock a coordinator out of the desk (their actions stay in the log)."""
    try:
        with session_factory().begin() as session:
            user = deactivate_user(session, email)
            click.echo(f"{user.email}: deactivated")
    except UserError as error:
        raise click.UsageError(str(error)) from None
