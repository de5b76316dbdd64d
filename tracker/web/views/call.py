"""A call's page: every field, every source's copy, its history and review log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.requests import Request
from starlette.responses import Response

from digests.build import Deadline, FieldChange
from tracker.identity import linked_calls
from tracker.models import Call, CallTag, MemberFeedback, User
from tracker.review import history
from tracker.vocab import Domain
from tracker.web.auth import page
from tracker.web.pages import render
from tracker.web.views.common import format_day, load_call

_LINE_BREAKS = re.compile(r"\s*\n\s*")
DOMAINS = frozenset(d.value for d in Domain)


@dataclass(frozen=True)
class Version:
    recorded_at: datetime
    changes: list[FieldChange]


def paragraphs(text: str | None) -> list[str]:
    """Scraped descriptions keep their line structure; each line a paragraph."""
    return [p for p in _LINE_BREAKS.split(text or "") if p.strip()]


def versions(call: Call) -> list[Version]:
    """Recorded changes, newest first, as the digests' formatter spells them out."""
    return [
        Version(
            v.recorded_at,
            [
                FieldChange(name, change.get("old"), change.get("new"))
                for name, change in v.changes.items()
            ],
        )
        for v in reversed(call.versions)
    ]


def sorted_tags(call: Call) -> list[CallTag]:
    # Live domain tags first, then sub-topics and facets ("geo:eu"); the
    # suppressed ones last, struck through.
    return sorted(call.tags, key=lambda t: (t.suppressed, t.tag not in DOMAINS, t.tag))


def _user_names(session: Session) -> dict[int, str]:
    # A handful of coordinators: one query beats a lookup per log line.
    return {
        user_id: name for user_id, name in session.execute(select(User.id, User.name))
    }


def member_feedback(session: Session, call: Call) -> list[MemberFeedback]:
    """Members' "not relevant" on this call, oldest first (from their digests)."""
    query = (
        select(MemberFeedback)
        .where(MemberFeedback.call_id == call.id)
        .options(selectinload(MemberFeedback.member))
        .order_by(MemberFeedback.created_at, MemberFeedback.id)
    )
    return list(session.scalars(query))


@page
def call_page(request: Request, session: Session, user: User) -> Response:
    call = load_call(session, request.path_params["call_id"])
    live = {t.tag for t in call.tags if not t.suppressed}
    opening = (
        Deadline(call.opening_date, call.opening_precision)
        if call.opening_date
        else None
    )
    context = {
        "call": call,
        "opening": opening,
        "paragraphs": paragraphs(call.description),
        "links": linked_calls(call),
        "versions": versions(call),
        "tags": sorted_tags(call),
        "addable_tags": [d.value for d in Domain if d.value not in live],
        "domains": DOMAINS,
        "log": history(session, call),
        "feedback": member_feedback(session, call),
        "names": _user_names(session),
        "format_day": format_day,
    }
    return render(request, "call.html", context, user=user)
