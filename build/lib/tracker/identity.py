"""One call, one row: recognising the same call published by several sources.

Two rules, in order, each leaving a sentence that explains the merge:
1. the same official call number (FENG.01.01-IP.01-001/23, ABM/2022/1, …);
2. the same funder, the same title once normalised, and the same final deadline.
The duplicate keeps its own row, history and tags, linked to the canonical call,
so nothing is lost and the merge can be explained (and later undone).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from tracker.models import Call, CallDeadline

WARSAW = ZoneInfo("Europe/Warsaw")
# Official call numbers. EU topic codes are not here on purpose: their
# callIdentifier is shared by every topic of a call, so it cannot identify one.
OFFICIAL_NUMBER = re.compile(
    r"\b(?:FE[A-Z]{1,4}\.\d{2}\.\d{2}-[A-Z]{2}\.\d{2}-\d{3}/\d{2}"
    r"|RP[A-Z]{2}\.\d{2}\.\d{2}\.\d{2}-[A-Z]{2}\.\d{2}-\d{2}-\d{3}/\d{2}"
    r"|ABM/\d{4}/\d+"
    r"|\d+/NC/[A-Z]+/[\d.]+/\d{4}/\S+)",
    re.IGNORECASE,
)
_NOT_WORD = re.compile(r"[^\w]+")


def official_number(text: str | None) -> str | None:
    """The official call number in `text`, upper-cased, or None."""
    match = OFFICIAL_NUMBER.search(text or "")
    return match.group(0).upper() if match else None


def normalise(text: str | None) -> str:
    """Case, accents, punctuation and spacing removed: for comparing titles."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", plain.replace("ł", "l")).strip()


def _final_day(call: Call) -> date | None:
    if not call.deadlines:
        return None
    return max(d.at for d in call.deadlines).astimezone(WARSAW).date()


def _others(call: Call) -> Select[tuple[Call]]:
    """Canonical calls of other sources; the SQL narrows, Python decides."""
    return (
        select(Call)
        .where(
            Call.id != call.id,
            Call.source_id != call.source_id,
            Call.merged_into_id.is_(None),
        )
        .options(selectinload(Call.deadlines), selectinload(Call.source))
        .order_by(Call.id)
    )


def _by_number(session: Session, call: Call, number: str) -> Call | None:
    query = _others(call).where(Call.call_identifier.ilike(f"%{number}%"))
    for other in session.scalars(query):
        if official_number(other.call_identifier) == number:
            return other
    return None


def _by_title(session: Session, call: Call, final: date) -> Call | None:
    start = datetime.combine(final, time(0), WARSAW)
    window = CallDeadline.at.between(start, start + timedelta(days=1))
    query = _others(call).where(Call.deadlines.any(window))
    title, funder = normalise(call.title), normalise(call.funder)
    for other in session.scalars(query):
        if (
            _final_day(other) == final
            and normalise(other.title) == title
            and normalise(other.funder) == funder
        ):
            return other
    return None


def find_same_call(session: Session, call: Call) -> tuple[Call, str] | None:
    """An existing canonical call from another source that is this one, and why."""
    number = official_number(call.call_identifier)
    if number and (other := _by_number(session, call, number)):
        return other, f"same call number {number} as {_where(other)}"
    final = _final_day(call)
    if final and (other := _by_title(session, call, final)):
        reason = f"same funder, title and final deadline {final.isoformat()}"
        return other, f"{reason} as {_where(other)}"
    return None


def _where(call: Call) -> str:
    return f"{call.source.slug}: {call.source_key}"


def merge_if_same(session: Session, call: Call) -> str | None:
    """Link `call` with its twin from another source; the operator's copy leads.

    Returns the explanation when a merge happened.
    """
    if call.merged_into_id is not None or call.duplicates:
        return None
    found = find_same_call(session, call)
    if found is None:
        return None
    other, reason = found
    canonical, duplicate = other, call
    if other.source.catch_all and not call.source.catch_all:
        canonical, duplicate = call, other
        reason = f"{reason} (the aggregator's copy yields to the operator's)"
        for twin in list(other.duplicates):
            twin.merged_into = canonical
    duplicate.merged_into = canonical
    duplicate.merge_reason = reason
    session.flush()
    return reason


def linked_calls(call: Call) -> list[Call]:
    """The canonical call and every source's copy of it, canonical first."""
    canonical = call.merged_into or call
    return [canonical, *canonical.duplicates]
