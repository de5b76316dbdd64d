"""A member's data on request (GDPR): everything exported, everything erased."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, delete, select
from sqlalchemy.orm import Session

from tracker.members import require_member
from tracker.models import Base, Call, Member, utcnow


def _member_references() -> list[tuple[Table, Column[Any]]]:
    """Every table column pointing at a member, found from the models, so that a
    table added later is exported and erased too."""
    members = Member.__table__
    return [
        (table, fk.parent)
        for table in reversed(Base.metadata.sorted_tables)
        for fk in table.foreign_keys
        if fk.column.table is members
    ]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def export_member(session: Session, email: str) -> dict[str, Any]:
    """Everything stored about a member, JSON-ready (GDPR access request)."""
    member = require_member(session, email)
    data: dict[str, Any] = {
        "exported_at": _plain(utcnow()),
        "member": {
            c.key: _plain(getattr(member, c.key)) for c in Member.__table__.columns
        },
    }
    for table, column in _member_references():
        rows = session.execute(
            select(table).where(column == member.id).order_by(*table.primary_key)
        ).mappings()
        data[table.name] = [
            {k: _plain(v) for k, v in row.items() if k != column.key} for row in rows
        ]
    _add_call_titles(session, data)
    return data


def _add_call_titles(session: Session, data: dict[str, Any]) -> None:
    # An id means nothing to the member; the title says what they reacted to.
    rows = [row for value in data.values() if isinstance(value, list) for row in value]
    ids = {row["call_id"] for row in rows if "call_id" in row}
    query = select(Call.id, Call.title).where(Call.id.in_(ids))
    titles = {call_id: title for call_id, title in session.execute(query)}
    for row in rows:
        if "call_id" in row:
            row["call_title"] = titles.get(row["call_id"])


def delete_member(session: Session, email: str) -> dict[str, int]:
    """Erase a member and every row referencing them (GDPR erasure): the number of
    rows deleted per table."""
    member = require_member(session, email)
    counts = {
        table.name: session.execute(delete(table).where(column == member.id)).rowcount
        for table, column in _member_references()
    }
    session.delete(member)
    session.flush()
    return {**counts, "members": 1}
