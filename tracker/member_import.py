"""Members from a spreadsheet: CSV import, all rows checked before any is saved."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from tracker.members import (
    PARSERS,
    MemberError,
    Preferences,
    _key,
    normalize_email,
    parse_preferences,
    save_member,
)

REQUIRED_COLUMNS = ("email", "name", "interests")
_REQUIRED_CELLS = (("name", "name is missing"), ("interests", "interests are missing"))
_COLUMN_ALIASES = {"reminders": "reminder_offsets", "lang": "language"}
COLUMNS = ("email", *PARSERS)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class MemberRow:
    line: int
    email: str
    preferences: Preferences


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # In the file but removed or unsubscribed: updated, still sent nothing.
    not_receiving: list[str] = field(default_factory=list)


def read_members_csv(data: bytes) -> tuple[list[MemberRow], list[RowError]]:
    """Every row of a members' CSV checked: the good ones, and why the rest are bad.

    UTF-8 with or without a BOM; comma, semicolon (Polish Excel) or tab separated,
    told apart by the header. Raises `MemberError` when the file as a whole is
    unusable (encoding, header).
    """
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = _header(next(reader, None))
    rows: list[MemberRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    next_line = reader.line_num + 1
    for cells in reader:
        # A quoted cell may span lines; a row is named by the line it starts on.
        line, next_line = next_line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        try:
            row = _row(line, columns, cells)
        except MemberError as error:
            errors.append(RowError(line, str(error)))
            continue
        if row.email in seen:
            errors.append(
                RowError(line, f"{row.email} is already on line {seen[row.email]}")
            )
            continue
        seen[row.email] = line
        rows.append(row)
    if not rows and not errors:
        raise MemberError("the file has a header but no members")
    return rows, errors


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise MemberError(
            f'line {line}: not UTF-8; save the file as "CSV UTF-8"'
        ) from None


def _header(cells: list[str] | None) -> list[str]:
    if cells is None:
        raise MemberError("the file is empty")
    columns = [
        _COLUMN_ALIASES.get(c, c) for c in (_key(c).replace(" ", "_") for c in cells)
    ]
    unknown = [c for c in columns if c and c not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    doubled = sorted({c for c in columns if c and columns.count(c) > 1})
    problems = [
        *([f"unknown column(s): {', '.join(unknown)}"] if unknown else []),
        *([f"missing column(s): {', '.join(missing)}"] if missing else []),
        *([f"repeated column(s): {', '.join(doubled)}"] if doubled else []),
    ]
    if problems:
        raise MemberError(
            f"line 1: {'; '.join(problems)} (columns: {', '.join(COLUMNS)})"
        )
    return columns


def _row(line: int, columns: list[str], cells: list[str]) -> MemberRow:
    if any(cell.strip() for cell in cells[len(columns) :]):
        raise MemberError(
            f"{len(cells)} cells but {len(columns)} columns; quote a cell that "
            'holds the separator, e.g. "health,biotech"'
        )
    raw = {c: value for c, value in zip(columns, cells, strict=False) if c}
    email, problems = raw.pop("email", "").strip(), []
    if not email:
        problems.append("email is missing")
    else:
        try:
            email = normalize_email(email)
        except MemberError as error:
            problems.append(str(error))
    for column, reason in _REQUIRED_CELLS:
        if not raw.get(column, "").strip():
            problems.append(reason)
    try:
        prefs = parse_preferences(**raw)
    except MemberError as error:
        problems.append(str(error))
    if problems:
        raise MemberError("; ".join(problems))
    return MemberRow(line, email, prefs)


def import_members(session: Session, rows: Iterable[MemberRow]) -> ImportReport:
    """Add or update each row's member; removed and unsubscribed ones stay so."""
    report = ImportReport()
    for row in rows:
        member, outcome, _ = save_member(session, row.email, row.preferences)
        getattr(report, outcome).append(member.email)
        if not member.active or member.unsubscribed_at is not None:
            report.not_receiving.append(member.email)
    return report
