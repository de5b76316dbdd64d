"""What a member's weekly digest contains: a pure query returning plain data.

Nothing here formats or translates; `digests.render` does that for the
member's language. Status is always recomputed from the dates at `now`,
because a stored status goes stale between crawls.

`matching_calls` is the member's whole list (the web page and the private
feeds); `build_digest` sorts the same calls into the week's sections.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from tracker.vocab import CallStatus, DatePrecision, Frequency, Language, ReviewState

# In the order a digest shows them; a call appears in the first that fits.
SECTIONS = ("picks", "new", "changed", "closing_soon", "forthcoming", "other")
# A digest is read in a minute or two; the rest is one click away.
SECTION_LIMIT = 10
CLOSING_SOON = timedelta(days=14)


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
    deadline: Deadline | None  # the next cut-off
    budget_amount: Decimal | None
    budget_currency: str | None
    # Why the member sees it: their interests among the call's tags, with
    # the sub-topics ("health/vaccines") of the domains they follow.
    matched_tags: tuple[str, ...]
    changes: tuple[FieldChange, ...] = ()
    deadlines: tuple[Deadline, ...] = ()  # every cut-off still ahead, in order


@dataclass(frozen=True)
class DigestContext:
    """Everything the templates need; sections are disjoint and sorted by deadline.

    Each section holds at most SECTION_LIMIT calls; `more` counts the rest.
    """

    member_id: int
    member_email: str
    member_name: str
    language: Language
    interests: tuple[str, ...]
    period: Period
    now: datetime
    since: datetime
    timezone: str
    token_version: int = 1  # signs the member's links (tracker.tokens)
    picks: tuple[CallItem, ...] = ()
    new: tuple[CallItem, ...] = ()
    changed: tuple[CallItem, ...] = ()
    closing_soon: tuple[CallItem, ...] = ()
    forthcoming: tuple[CallItem, ...] = ()
    other: tuple[CallItem, ...] = ()
    more: Mapping[str, int] = field(default_factory=dict)
    sections: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        shown = tuple(n for n in SECTIONS if getattr(self, n))
        object.__setattr__(self, "sections", shown)

    @property
    def items(self) -> tuple[CallItem, ...]:
        """Every call shown, in reading order."""
        return tuple(item for name in self.sections for item in getattr(self, name))

    @property
    def call_count(self) -> int:
        """Calls in the digest, counting those behind "and N more"."""
        return len(self.items) + sum(self.more.values())

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


def wants_digest(member: Member) -> bool:
    """Active, subscribed and on a weekly frequency: the only members mailed."""
    return (
        bool(member.active)
        and member.unsubscribed_at is None
        and member.frequency != Frequency.OFF
    )


def is_eligible(call: Call, member: Member) -> bool:
    """A hard filter: an SME is never sent a call only universities may enter.

    A call that names no applicant types is open to everyone as far as we
    know; a member without a type cannot be filtered and sees every call.
    """
    kinds = call.applicant_types or []
    return not kinds or member.applicant_type is None or member.applicant_type in kinds


def matching_calls(
    session: Session,
    member: Member,
    now: datetime,
    selection: Selection | None = None,
) -> list[CallItem]:
    """Every current call for `member` (interests, eligibility), by deadline."""
    interests = tuple(member.interests)
    calls = _calls_for(session, member, now, selection)
    items = (_item(call, interests, now, ()) for call in calls)
    return sorted((i for i in items if i is not None), key=_by_deadline)


def build_digest(
    session: Session,
    member: Member,
    period: Period,
    now: datetime,
    timezone: str | None = None,
    selection: Selection | None = None,
) -> DigestContext:
    """The digest of `member` for `period`, as things stand at `now`.

    Empty for a member who wants no digest (see `wants_digest`).
    """
    timezone = timezone or get_settings().TIMEZONE
    since, until = news_window(period, now, timezone)
    interests = tuple(member.interests)
    calls = _calls_for(session, member, now, selection) if wants_digest(member) else []
    changes = _changes_in_window(session, [c.id for c in calls], since, until)
    sections: dict[str, list[CallItem]] = {name: [] for name in SECTIONS}
    for call in calls:
        item = _item(call, interests, now, changes.get(call.id, ()))
        if item is not None:
            sections[_section(call, item, since, until, now)].append(item)
    for items in sections.values():
        items.sort(key=_by_deadline)
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
        token_version=member.token_version or 1,
        more={
            name: len(items) - SECTION_LIMIT
            for name, items in sections.items()
            if len(items) > SECTION_LIMIT
        },
        **{name: tuple(items[:SECTION_LIMIT]) for name, items in sections.items()},
    )


def _calls_for(
    session: Session, member: Member, now: datetime, selection: Selection | None
) -> list[Call]:
    selection = selection or Selection.from_settings()
    calls = _live_matching_calls(session, tuple(member.interests), now, selection)
    return [call for call in calls if is_eligible(call, member)]


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
        .options(
            selectinload(Call.deadlines),
            selectinload(Call.tags),
            selectinload(Call.duplicates).selectinload(Call.tags),
        )
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
    ahead = tuple(
        Deadline(d.at, d.precision, d.label)
        for d in sorted(call.deadlines, key=lambda d: d.at)
        if d.at > now
    )
    return CallItem(
        id=call.id,
        # Scraped text may carry line breaks; a digest line must not.
        title=" ".join(call.title.split()),
        funder=call.funder,
        programme=call.programme,
        url=call.url,
        status=status,
        opening_date=call.opening_date,
        deadline=ahead[0] if ahead else None,
        budget_amount=call.budget_amount,
        budget_currency=call.budget_currency,
        matched_tags=_reasons(call, interests),
        changes=changes,
        deadlines=ahead,
    )


def _reasons(call: Call, interests: tuple[str, ...]) -> tuple[str, ...]:
    """The call's live tags (its merged copies' too) that the member follows.

    Sorted, so a domain is followed by its sub-topics: ("health",
    "health/vaccines", "pharma").
    """
    rows = [*call.tags, *(t for dup in call.duplicates for t in dup.tags)]
    tags = {t.tag for t in rows if not t.suppressed}
    wanted = set(interests)
    return tuple(
        sorted(t for t in tags if t in wanted or t.partition("/")[0] in wanted)
    )


def _section(
    call: Call, item: CallItem, since: datetime, until: datetime, now: datetime
) -> str:
    """Each call appears once, in the first section that fits (SECTIONS order)."""
    if call.pick:
        return "picks"
    if since <= call.first_seen_at <= until:
        return "new"
    if item.changes:
        return "changed"
    if item.deadline and item.deadline.at - now <= CLOSING_SOON:
        return "closing_soon"
    if item.status is CallStatus.FORTHCOMING:
        return "forthcoming"
    return "other"


def _by_deadline(item: CallItem) -> tuple[bool, datetime | None, str]:
    # Calls without a deadline go last; ties read alphabetically.
    at = item.deadline.at if item.deadline else None
    return (at is None, at, item.title.casefold())
