"""The review queue: new and changed calls, most relevant first; bulk decisions."""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tracker.models import Call, Source, User, utcnow
from tracker.queue import QueueFilter, queue_size, review_queue
from tracker.review import decide
from tracker.vocab import CallStatus, Domain, ReviewState
from tracker.web.auth import HOME_URL, action, page
from tracker.web.pages import flash, redirect, render, safe_next, translations_of
from tracker.web.views.common import next_deadline

PAGE_SIZE = 50
DEADLINE_WINDOWS = (7, 14, 30, 60, 90)
E = TypeVar("E", CallStatus, ReviewState)
DECISIONS = {"approve": ReviewState.APPROVED, "reject": ReviewState.REJECTED}


def _choice(kind: type[E], value: str | None) -> E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None  # a hand-edited URL: ignore the filter rather than fail


def parse_filter(params: QueryParams) -> QueueFilter:
    """The queue filter of the query string; anything unknown means "any"."""
    within = params.get("within", "")
    tag = params.get("tag") or None
    return QueueFilter(
        source=params.get("source") or None,
        tag=tag if tag in {d.value for d in Domain} else None,
        status=_choice(CallStatus, params.get("status")),
        state=_choice(ReviewState, params.get("state")),
        deadline_within_days=int(within) if within.isdigit() else None,
        # The filter form says "filtered" with it: an unticked box is then absent.
        to_review="review" in params if "filtered" in params else True,
        search=(params.get("q") or "").strip()[:200] or None,
    )


def row_tags(call: Call) -> list[str]:
    """Domains, then sub-topics; facets ("geo:eu") only on the call page."""
    live = [t.tag for t in call.tags if not t.suppressed and ":" not in t.tag]
    return sorted(live, key=lambda tag: ("/" in tag, tag))


def _page_number(params: QueryParams) -> int:
    value = params.get("page", "1")
    return max(int(value), 1) if value.isdigit() else 1


def _page_link(params: QueryParams, number: int) -> str:
    values = [(k, v) for k, v in params.multi_items() if k not in ("page", "lang")]
    return f"{HOME_URL}?{urlencode([*values, ('page', str(number))])}"


@page
def queue_page(request: Request, session: Session, user: User) -> Response:
    params = request.query_params
    wanted, number, now = parse_filter(params), _page_number(params), utcnow()
    total = queue_size(session, wanted, now)
    offset = (number - 1) * PAGE_SIZE
    calls = review_queue(session, wanted, now, limit=PAGE_SIZE, offset=offset)
    context = {
        "calls": calls,
        "total": total,
        "wanted": wanted,
        "filters": {k: params.get(k, "") for k in ("source", "tag", "status", "state")},
        "within": wanted.deadline_within_days,
        "windows": DEADLINE_WINDOWS,
        "sources": session.scalars(select(Source).order_by(Source.name)).all(),
        "domains": [d.value for d in Domain],
        "statuses": [s.value for s in CallStatus],
        "states": [s.value for s in ReviewState],
        "next_deadline": next_deadline,
        "row_tags": row_tags,
        "previous_page": _page_link(params, number - 1) if number > 1 else None,
        "next_page": _page_link(params, number + 1)
        if offset + PAGE_SIZE < total
        else None,
        "first": offset + 1,
        "last": offset + len(calls),
    }
    return render(request, "queue.html", context, user=user)


@action
def bulk(request: Request, session: Session, user: User, form: FormData) -> Response:
    """Approve or reject the ticked calls, each logged on its own (undo per call)."""
    state = DECISIONS.get(str(form.get("decision")))
    if state is None:
        raise HTTPException(400, "Unknown decision.")
    ids = {int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdigit()}
    now = utcnow()
    calls = session.scalars(select(Call).where(Call.id.in_(ids))).all() if ids else []
    for call in calls:
        decide(session, call, state, user, now)
    ngettext, n = translations_of(request).ngettext, len(calls)
    if state is ReviewState.APPROVED:
        text = ngettext("%(num)d call approved.", "%(num)d calls approved.", n)
    else:
        text = ngettext(
            "%(num)d call marked as not relevant.",
            "%(num)d calls marked as not relevant.",
            n,
        )
    flash(request, text % {"num": n}, "ok" if n else "error")
    return redirect(safe_next(form.get("next"), HOME_URL))
