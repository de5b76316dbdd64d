"""What a member's weekly digest contains: a pure query returning plain data.

Nothing here formats or translates; `digests.render` does that for the
member's language. Status is always recomputed from the dates at `now`,
because a stored status goes stale between crawls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from digests.period import Period, news_window
from tracker.config import get_settings
from tracker.models import Call, CallDeadline, CallTag, CallVersion, Member
from tracker.status import status_of
from tracker.vocab import CallStatus, DatePrecision, Language, ReviewState

CLOSING_SOON = timedelta(days=14)
OTHER_LIMIT = 10


@dataclass(frozen=True)
class Deadline:
    at: datetime
    precision: DatePrecision
    label: str | None = None


@dataclass(frozen=True)
class FieldChange:
    """One field of a call before and after, as stored in `CallVersion.changes`."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class CallItem:
    id: int
    title: str
    funder: str
    programme: str | None
    url: str
    status: CallStatus
    opening_date: datetime | None
    deadline: Deadline | None
    budget_amount: Decimal | None
    budget_currency: str | None
    matched_tags: tuple[str, ...]
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class DigestContext:
    """Everything the templates need; sections are disjoint and sorted by deadline."""

    member_id: int
    member_email: str
    member_name: str
    language: Language
    interests: tuple[str, ...]
    period: Period
    now: datetime
    since: datetime
    timezone: str
    picks: tuple[CallItem, ...] = ()
    new: tuple[CallItem, ...] = ()
    changed: tuple[CallItem, ...] = ()
    closing_soon: tuple[CallItem, ...] = ()
    other: tuple[CallItem, ...] = ()
    other_more: int = 0
    sections: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = ("picks", "new", "changed", "closing_soon", "other")
        object.__setattr__(
            self, "sections", tuple(n for n in names if getattr(self, n))
        )

    @property
    def call_count(self) -> int:
        """Calls in the digest, counting those behind "and N more"."""
        return (
            len(self.picks)
            + len(self.new)
            + len(self.changed)
            + len(self.closing_soon)
            + len(self.other)
            + self.other_more
        )

    @property
    def is_empty(self) -> bool:
        return self.call_count == 0


@dataclass(frozen=True)
class Selection:
    """Which calls the coordinators let through (DIGEST_MODE, DIGEST_MIN_RELEVANCE)."""

    mode: str = "threshold"
    min_relevance: float = 0.3

    @classmethod
    def from_settings(cls) -> Selection:
        settings = get_settings()
        return cls(settings.DIGEST_MODE, settings.digest_min_relevance)


def build_digest(
    session: Session,
    member: Member,
    period: Period,
    now: datetime,
    timezone: str | None = None,
    selection: Selection | None = None,
) -> DigestContext:
    """The digest of `member` for `period`, as things stand at `now`."""
    timezone = timezone or get_settings().TIMEZONE
    selection = selection or Selection.from_settings()
    since, until = news_window(period, now, timezone)
    interests = tuple(member.interests)
    calls = _live_matching_calls(session, interests, now, selection)
    changes = _changes_in_window(session, [c.id for c in calls], since, until)
    sections: dict[str, list[CallItem]] = {
        "picks": [],
        "new": [],
        "changed": [],
        "closing_soon": [],
        "other": [],
    }
    for call in calls:
        item = _item(call, interests, now, changes.get(call.id, ()))
        if item is not None:
            sections[_section(call, item, since, until, now)].append(item)
    for items in sections.values():
        items.sort(key=_by_deadline)
    other = sections["other"]
    return DigestContext(
        member_id=member.id,
        member_email=member.email,
        member_name=member.name,
        language=Language(member.language),
        interests=interests,
        period=period,
        now=now,
        since=since,
        timezone=timezone,
        picks=tuple(sections["picks"]),
        new=tuple(sections["new"]),
        changed=tuple(sections["changed"]),
        closing_soon=tuple(sections["closing_soon"]),
        other=tuple(other[:OTHER_LIMIT]),
        other_more=max(0, len(other) - OTHER_LIMIT),
    )


def _live_matching_calls(
    session: Session, interests: tuple[str, ...], now: datetime, selection: Selection
) -> list[Call]:
    """Tagged calls not yet past their last deadline (the SQL side of "closed").

    A call a coordinator rejected, or confirmed as withdrawn, never reaches a
    digest; in "approved" mode only approved calls do, otherwise every call
    relevant enough (or approved despite a low score).
    """
    if not interests:
        return []
    # A merged duplicate speaks through its canonical call, with its tags too.
    duplicate = aliased(Call)
    merged_ids = select(duplicate.id).where(duplicate.merged_into_id == Call.id)
    has_tag = exists().where(
        or_(CallTag.call_id == Call.id, CallTag.call_id.in_(merged_ids)),
        CallTag.tag.in_(interests),
        CallTag.suppressed.is_(False),
    )
    approved = Call.review_state == ReviewState.APPROVED
    let_through = (
        approved
        if selection.mode == "approved"
        else or_(approved, Call.relevance >= selection.min_relevance)
    )
    has_deadline = exists().where(CallDeadline.call_id == Call.id)
    deadline_ahead = exists().where(
        CallDeadline.call_id == Call.id, CallDeadline.at > now
    )
    query = (
        select(Call)
        .where(
            Call.merged_into_id.is_(None),
            Call.review_state != ReviewState.REJECTED,
            Call.withdrawn_confirmed_at.is_(None),
            let_through,
            has_tag,
            or_(~has_deadline, deadline_ahead),
        )
        .options(selectinload(Call.deadlines), selectinload(Call.tags))
        .order_by(Call.id)
    )
    return list(session.scalars(query))


def _changes_in_window(
    session: Session, call_ids: list[int], since: datetime, until: datetime
) -> dict[int, tuple[FieldChange, ...]]:
    """Per call, the net change of each field over the window's versions."""
    if not call_ids:
        return {}
    versions = session.scalars(
        select(CallVersion)
        .where(
            CallVersion.call_id.in_(call_ids),
            CallVersion.recorded_at >= since,
            CallVersion.recorded_at <= until,
        )
        .order_by(CallVersion.call_id, CallVersion.recorded_at, CallVersion.id)
    )
    net: dict[int, dict[str, FieldChange]] = {}
    for version in versions:
        fields = net.setdefault(version.call_id, {})
        for name, change in version.changes.items():
            first = fields.get(name)
            old = first.old if first else change.get("old")
            fields[name] = FieldChange(name, old, change.get("new"))
    # A field changed and changed back within the week is no news.
    return {
        call_id: tuple(c for c in fields.values() if c.old != c.new)
        for call_id, fields in net.items()
    }


def _item(
    call: Call,
    interests: tuple[str, ...],
    now: datetime,
    changes: tuple[FieldChange, ...],
) -> CallItem | None:
    status = status_of(call, now)
    if status is CallStatus.CLOSED:
        return None
    ahead = [d for d in call.deadlines if d.at > now]
    next_deadline = min(ahead, key=lambda d: d.at) if ahead else None
    return CallItem(
        id=call.id,
        # Scraped text may carry line breaks; a digest line must not.
        title=" ".join(call.title.split()),
        funder=call.funder,
        programme=call.programme,
        url=call.url,
        status=status,
        opening_date=call.opening_date,
        deadline=(
            Deadline(next_deadline.at, next_deadline.precision, next_deadline.label)
            if next_deadline
            else None
        ),
        budget_amount=call.budget_amount,
        budget_currency=call.budget_currency,
        matched_tags=tuple(sorted({t.tag for t in call.tags} & set(interests))),
        changes=changes,
    )


def _section(
    call: Call, item: CallItem, since: datetime, until: datetime, now: datetime
) -> str:
    """Each call appears once, in the first section that fits."""
    if call.pick:
        return "picks"
    if since <= call.first_seen_at <= until:
        return "new"
    if item.changes:
        return "changed"
    if item.deadline and item.deadline.at - now <= CLOSING_SOON:
        return "closing_soon"
    return "other"


def _by_deadline(item: CallItem) -> tuple[bool, datetime | None, str]:
    # Calls without a deadline go last; ties read alphabetically.
    at = item.deadline.at if item.deadline else None
    return (at is None, at, item.title.casefold())
