"""Small helpers shared by the desk's views."""

from __future__ import annotations

from datetime import date

from babel.dates import format_skeleton
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from digests.formatting import Formatter
from tracker.models import Call, CallDeadline


def load_call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise HTTPException(404, "No such call.")
    return call


def next_deadline(call: Call) -> CallDeadline | None:
    """The deadline row behind `Call.next_deadline`, with its label and precision."""
    at = call.next_deadline
    return next((d for d in call.deadlines if d.at == at), None)


def format_day(fmt: Formatter, value: date | str | None) -> str:
    """A calendar day (an internal deadline) in the reader's words; no time zone."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value  # logged by other code; shown as stored rather than failing
    return format_skeleton("yMMMMd", value, locale=fmt.locale)
