"""The review queue: new and changed calls, most relevant first, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from tracker.models import Call, CallDeadline, CallTag, Source
from tracker.vocab import CallStatus, ReviewState


@dataclass(frozen=True)
class QueueFilter:
    """What a coordinator narrows the queue to; `None` means any."""

    source: str | None = None
    tag: str | None = None
    status: CallStatus | None = None
    state: ReviewState | None = None
    # Only calls whose next deadline falls within this many days.
    deadline_within_days: int | None = None
    # Only calls waiting for a decision (new, or changed since the last one).
    to_review: bool = True
    search: str | None = None


def review_queue(
    session: Session,
    wanted: QueueFilter,
    now: datetime,
    limit: int = 100,
    offset: int = 0,
) -> list[Call]:
    """Canonical calls matching `wanted`: picks, then relevance, then deadline."""
    next_deadline = (
        select(func.min(CallDeadline.at))
        .where(CallDeadline.call_id == Call.id, CallDeadline.at >= now)
        .scalar_subquery()
    )
    query = _filtered(select(Call).join(Call.source), wanted, now)
    query = (
        query.options(
            selectinload(Call.deadlines),
            selectinload(Call.tags),
            selectinload(Call.source),
        )
        .order_by(
            Call.pick.desc(),
            Call.relevance.desc(),
            next_deadline.is_(None),
            next_deadline,
            Call.id,
        )
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def queue_size(session: Session, wanted: QueueFilter, now: datetime) -> int:
    query = _filtered(select(func.count(Call.id)).join(Call.source), wanted, now)
    return session.scalar(query) or 0


def _filtered(query: Select, wanted: QueueFilter, now: datetime) -> Select:
    query = query.where(Call.merged_into_id.is_(None))
    if wanted.to_review:
        query = query.where(Call.needs_review.is_(True))
    if wanted.state is not None:
        query = query.where(Call.review_state == wanted.state)
    if wanted.source:
        query = query.where(Source.slug == wanted.source)
    if wanted.status is not None:
        query = query.where(Call.status == wanted.status)
    if wanted.tag:
        tagged = select(CallTag.call_id).where(
            CallTag.tag == wanted.tag, CallTag.suppressed.is_(False)
        )
        query = query.where(Call.id.in_(tagged))
    if wanted.deadline_within_days is not None:
        until = now + timedelta(days=wanted.deadline_within_days)
        soon = select(CallDeadline.call_id).where(CallDeadline.at.between(now, until))
        query = query.where(Call.id.in_(soon))
    if wanted.search:
        like = f"%{wanted.search.strip()}%"
        query = query.where(
            or_(
                Call.title.ilike(like),
                Call.description.ilike(like),
                Call.source_key.ilike(like),
                Call.call_identifier.ilike(like),
                Call.funder.ilike(like),
            )
        )
    return query
