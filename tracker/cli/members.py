"""`grants members`: who receives digests, in which language, about what; CSV
import; GDPR export and erasure."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click
from sqlalchemy.orm import Session

from tracker.db import session_factory
from tracker.member_data import delete_member, export_member
from tracker.member_import import import_members, read_members_csv
from tracker.members import (
    Change,
    MemberError,
    deactivate_member,
    list_members,
    parse_preferences,
    revoke_member_links,
    save_member,
    update_member,
)
from tracker.models import Member
from tracker.vocab import ApplicantType, Domain, Frequency, Language

_CELL_WIDTH = 32  # a long organisation must not push the table off the screen


@click.group()
def members() -> None:
    """Manage cluster members who receive the weekly digest."""


@contextmanager
def _transaction() -> Iterator[Session]:
    """A committed transaction; bad member data is a usage error, nothing saved."""
    try:
        with session_factory().begin() as session:
            yield session
    except MemberError as error:
        raise click.UsageError(str(error)) from None


def _preference_options(required: bool) -> Callable[[Any], Any]:
    """The options of `add` (name and interests required) and `set` (all optional)."""
    options = [
        click.option("--name", required=required, help="Name used in the greeting."),
        click.option(
            "--lang",
            "language",
            type=click.Choice([lang.value for lang in Language]),
            help="Language of the digest (a new member: pl).",
        ),
        click.option(
            "--interests",
            required=required,
            help=f"Domains or sub-topics, comma-separated: "
            f"{','.join(d.value for d in Domain)}, pharma/vaccines, ….",
        ),
        click.option("--organisation", help="The member's organisation."),
        click.option(
            "--applicant-type",
            help=f"Only calls this type may enter: "
            f"{', '.join(a.value for a in ApplicantType)} (or MŚP, uczelnia, …).",
        ),
        click.option("--region", help="Region, e.g. lubelskie."),
        click.option(
            "--frequency",
            type=click.Choice([f.value for f in Frequency]),
            help="weekly (a new member's default) or off.",
        ),
        click.option(
            "--reminders",
            "reminder_offsets",
            help='Days before a deadline to remind, e.g. "14,3" (default), "none".',
        ),
    ]

    def decorate(command: Any) -> Any:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def _summary(member: Member) -> str:
    parts = [
        member.language,
        _show(member.interests),
        member.applicant_type,
        f"digest {member.frequency}",
        f"reminders {_show(member.reminder_offsets)}",
    ]
    return "; ".join(str(part) for part in parts if part)


def _echo_changes(changes: list[Change]) -> None:
    for name, old, new in changes:
        click.echo(f"  {name}: {_show(old)} → {_show(new)}")


@members.command("add")
@click.option("--email", required=True, help="Email address (the member's key).")
@_preference_options(required=True)
def add(email: str, **raw: str | None) -> None:
    """Add a member, or update (and re-activate) the one with this email."""
    with _transaction() as session:
        prefs = parse_preferences(**raw)
        member, outcome, changes = save_member(session, email, prefs, reactivate=True)
        if outcome == "added":
            click.echo(f"{member.email}: added ({_summary(member)})")
        else:
            click.echo(f"{member.email}: {outcome}")
            _echo_changes(changes)
        if member.unsubscribed_at is not None:
            click.echo(
                f"  note: unsubscribed on {member.unsubscribed_at:%Y-%m-%d}; they get "
                "nothing until they subscribe again"
            )


@members.command("set")
@click.option("--email", required=True, help="Email address of the member.")
@_preference_options(required=False)
@click.option(
    "--resubscribe",
    is_flag=True,
    help="Undo the member's unsubscribe (only at their request).",
)
def set_(email: str, resubscribe: bool, **raw: str | None) -> None:
    """Change a member's preferences; options left out stay as they are."""
    with _transaction() as session:
        prefs = parse_preferences(**raw)
        member, changes = update_member(session, email, prefs, resubscribe=resubscribe)
        click.echo(f"{member.email}: {'updated' if changes else 'nothing changed'}")
        _echo_changes(changes)


def _state(member: Member) -> str:
    parts = [] if member.active else ["removed"]
    if member.unsubscribed_at is not None:
        parts.append(f"unsubscribed {member.unsubscribed_at:%Y-%m-%d}")
    if member.flagged_at is not None:
        parts.append("FLAGGED")
    return ", ".join(parts) or "active"


def _cell(value: Any) -> str:
    text = _show(value)
    return text if len(text) <= _CELL_WIDTH else text[: _CELL_WIDTH - 1] + "…"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


# Heading and Member attribute of each column of `grants members list`.
_LIST_COLUMNS = (
    ("EMAIL", "email"),
    ("NAME", "name"),
    ("ORGANISATION", "organisation"),
    ("LANG", "language"),
    ("INTERESTS", "interests"),
    ("APPLICANT", "applicant_type"),
    ("REGION", "region"),
    ("DIGEST", "frequency"),
    ("REMINDERS", "reminder_offsets"),
)


@members.command("list")
@click.option("--active-only", is_flag=True, help="Hide removed members.")
@click.option("--flagged", is_flag=True, help="Only members with delivery problems.")
def list_(active_only: bool, flagged: bool) -> None:
    """List members with their preferences and state, flags explained below."""
    with session_factory().begin() as session:
        rows = list_members(session, active_only=active_only, flagged_only=flagged)
        if not rows:
            click.echo("no members; add some with `grants members add` or `import`")
            return
        header = [heading for heading, _ in _LIST_COLUMNS] + ["STATE"]
        cells = [
            [_cell(getattr(m, key)) for _, key in _LIST_COLUMNS] + [_state(m)]
            for m in rows
        ]
        click.echo(_table(header, cells))
        for m in rows:
            if m.flagged_at is not None:
                click.echo(
                    f"flagged {m.email} on {m.flagged_at:%Y-%m-%d}: {m.flag_reason}"
                )


@members.command("remove")
@click.option("--email", required=True, help="Email address of the member.")
def remove(email: str) -> None:
    """Stop all mail to a member; their history is kept (see `delete` to erase)."""
    with _transaction() as session:
        member = deactivate_member(session, email)
        click.echo(f"{member.email}: removed; they get nothing more, history kept")


# The command's old name, for scripts written before `remove`.
members.add_command(
    click.Command(
        "deactivate", callback=remove.callback, params=remove.params, hidden=True
    )
)


@members.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--skip-bad", is_flag=True, help="Import the good rows, list the bad.")
@click.option("--dry-run", is_flag=True, help="Check and count, save nothing.")
def import_(file: IO[bytes], skip_bad: bool, dry_run: bool) -> None:
    """Add or update members from a CSV file (UTF-8, comma or semicolon separated).

    Columns: email, name, interests (required), organisation, language,
    applicant_type, region, frequency, reminder_offsets. An empty cell keeps
    what is stored. Nothing is imported if any row is bad, unless --skip-bad.
    """
    try:
        rows, errors = read_members_csv(file.read())
    except MemberError as error:
        raise click.ClickException(f"{file.name}: {error}") from None
    for error in errors:
        click.echo(f"{file.name}: {error}", err=True)
    if errors and not skip_bad:
        raise click.ClickException(
            f"nothing imported: {len(errors)} bad row(s); fix them, "
            "or import the good ones with --skip-bad"
        )
    with session_factory()() as session:
        report = import_members(session, rows)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    click.echo(
        f"added: {len(report.added)}, updated: {len(report.updated)}, "
        f"unchanged: {len(report.unchanged)}, bad rows skipped: {len(errors)}"
    )
    if report.not_receiving:
        click.echo(
            "removed or unsubscribed, so still sent nothing: "
            + ", ".join(report.not_receiving)
        )
    if dry_run:
        click.echo("dry run: nothing saved")


@members.command("export")
@click.option("--email", required=True, help="Email address of the member.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON here (readable only by you) instead of printing it.",
)
def export(email: str, output: Path | None) -> None:
    """Everything stored about a member, as JSON (GDPR right of access)."""
    with _transaction() as session:
        data = export_member(session, email)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    # Personal data: not for other users of the machine.
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"{data['member']['email']}: exported to {output}")


@members.command("delete")
@click.option("--email", required=True, help="Email address of the member.")
@click.option("--yes", is_flag=True, help="Confirm: the erasure cannot be undone.")
def delete(email: str, yes: bool) -> None:
    """Erase a member and everything about them (GDPR right to erasure)."""
    if not yes:
        raise click.UsageError(
            f"this erases {email} and their history for good; add --yes "
            "(and consider `grants members export` first)"
        )
    with _transaction() as session:
        counts = delete_member(session, email)
    deleted = ", ".join(f"{table} {count}" for table, count in counts.items())
    click.echo(f"{email.strip().lower()}: deleted ({deleted})")
    click.echo("remove them from your members' CSV too, or an import adds them back")


@members.command("revoke-links")
@click.option("--email", required=True, help="Email address of the member.")
def revoke(email: str) -> None:
    """Make every emailed link and feed URL of a member stop working."""
    with _transaction() as session:
        member = revoke_member_links(session, email)
        click.echo(
            f"{member.email}: all links and feeds revoked; "
            "the next email carries new ones"
        )
