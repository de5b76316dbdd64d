"""The coordinators' decisions: every action logged with who and when, and undoable.

Plain functions taking a `Session`; the desk's request handlers and the CLI are
the entry points that open transactions.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Call, CallTag, ReviewLog, User
from tracker.vocab import Domain, ReviewAction, ReviewState, TagOrigin

KNOWN_TAGS = {str(d) for d in Domain}


class ReviewError(ValueError):
    """An action that cannot be done (unknown tag, nothing to undo, …)."""


def _log(
    session: Session,
    call: Call,
    user: User | None,
    action: ReviewAction,
    now: datetime,
    **detail: Any,
) -> ReviewLog:
    entry = ReviewLog(
        call=call, user=user, action=action, detail=detail, created_at=now
    )
    session.add(entry)
    session.flush()
    return entry


def decide(
    session: Session, call: Call, state: ReviewState, user: User | None, now: datetime
) -> ReviewLog:
    """Approve or reject; the call leaves the queue until it changes again."""
    if state is ReviewState.PENDING:
        raise ReviewError("a decision is approve or reject")
    old = {"state": str(call.review_state), "needs_review": call.needs_review}
    call.review_state, call.needs_review = state, False
    action = (
        ReviewAction.APPROVE if state is ReviewState.APPROVED else ReviewAction.REJECT
    )
    new = {"state": str(state), "needs_review": False}
    return _log(session, call, user, action, now, old=old, new=new)


def add_tag(
    session: Session, call: Call, tag: str, user: User | None, now: datetime
) -> ReviewLog:
    """A coordinator's tag: kept whatever the rules say later."""
    tag = tag.strip().lower()
    if tag not in KNOWN_TAGS:
        raise ReviewError(
            f"unknown tag {tag!r}; known: {', '.join(sorted(KNOWN_TAGS))}"
        )
    existing = _tag(call, tag)
    old = _tag_state(existing)
    if existing is None:
        existing = CallTag(tag=tag, origin=TagOrigin.COORDINATOR)
        call.tags.append(existing)
    existing.origin, existing.suppressed = TagOrigin.COORDINATOR, False
    existing.evidence = f"added by {user.name if user else 'a coordinator'}"
    return _log(
        session, call, user, ReviewAction.TAG_ADD, now, tag=tag, old=old, new="added"
    )


def remove_tag(
    session: Session, call: Call, tag: str, user: User | None, now: datetime
) -> ReviewLog:
    """Suppress a tag: the row stays so that the rules never put it back."""
    existing = _tag(call, tag)
    if existing is None or existing.suppressed:
        raise ReviewError(f"the call has no tag {tag!r}")
    old = _tag_state(existing)
    existing.suppressed = True
    return _log(
        session,
        call,
        user,
        ReviewAction.TAG_REMOVE,
        now,
        tag=tag,
        old=old,
        new="removed",
    )


def _tag(call: Call, tag: str) -> CallTag | None:
    return next((t for t in call.tags if t.tag == tag), None)


def _tag_state(tag: CallTag | None) -> dict[str, Any] | None:
    if tag is None:
        return None
    return {
        "origin": str(tag.origin),
        "evidence": tag.evidence,
        "suppressed": tag.suppressed,
    }


def set_note(
    session: Session, call: Call, note: str | None, user: User | None, now: datetime
) -> ReviewLog:
    old, call.note = call.note, (note or "").strip() or None
    return _log(session, call, user, ReviewAction.NOTE, now, old=old, new=call.note)


def set_internal_deadline(
    session: Session, call: Call, day: date | None, user: User | None, now: datetime
) -> ReviewLog:
    old = call.internal_deadline.isoformat() if call.internal_deadline else None
    call.internal_deadline = day
    new = day.isoformat() if day else None
    return _log(
        session, call, user, ReviewAction.INTERNAL_DEADLINE, now, old=old, new=new
    )


def set_pick(
    session: Session, call: Call, pick: bool, user: User | None, now: datetime
) -> ReviewLog:
    """The coordinator's pick is featured at the top of the digest."""
    old, call.pick = call.pick, pick
    action = ReviewAction.PICK if pick else ReviewAction.UNPICK
    return _log(session, call, user, action, now, old=old, new=pick)


def confirm_withdrawn(
    session: Session, call: Call, user: User | None, now: datetime
) -> ReviewLog:
    """A vanished call confirmed as withdrawn: it leaves digests, nothing is deleted."""
    if call.missing_since is None:
        raise ReviewError("the call has not vanished from its source")
    old = (
        call.withdrawn_confirmed_at.isoformat() if call.withdrawn_confirmed_at else None
    )
    call.withdrawn_confirmed_at = now
    return _log(
        session,
        call,
        user,
        ReviewAction.CONFIRM_WITHDRAWN,
        now,
        old=old,
        new=now.isoformat(),
    )


def undo(
    session: Session, entry_id: int, user: User | None, now: datetime
) -> ReviewLog:
    """Reverse one logged action (once); the undo is itself on the record."""
    entry = session.get(ReviewLog, entry_id)
    if entry is None or entry.undone_at is not None:
        raise ReviewError("nothing to undo")
    _reverse(entry)
    entry.undone_at, entry.undone_by_id = now, user.id if user else None
    session.flush()
    return entry


def _reverse(entry: ReviewLog) -> None:
    call, old, action = entry.call, entry.detail.get("old"), entry.action
    if action in (ReviewAction.APPROVE, ReviewAction.REJECT):
        call.review_state = ReviewState(old["state"])
        call.needs_review = old["needs_review"]
    elif action in (ReviewAction.TAG_ADD, ReviewAction.TAG_REMOVE):
        _restore_tag(call, entry.detail["tag"], old)
    elif action is ReviewAction.NOTE:
        call.note = old
    elif action is ReviewAction.INTERNAL_DEADLINE:
        call.internal_deadline = date.fromisoformat(old) if old else None
    elif action in (ReviewAction.PICK, ReviewAction.UNPICK):
        call.pick = bool(old)
    elif action is ReviewAction.CONFIRM_WITHDRAWN:
        call.withdrawn_confirmed_at = datetime.fromisoformat(old) if old else None


def _restore_tag(call: Call, tag: str, old: dict[str, Any] | None) -> None:
    existing = _tag(call, tag)
    if old is None:
        if existing is not None:
            call.tags.remove(existing)
        return
    if existing is None:
        existing = CallTag(tag=tag, origin=TagOrigin(old["origin"]))
        call.tags.append(existing)
    existing.origin = TagOrigin(old["origin"])
    existing.evidence, existing.suppressed = old["evidence"], old["suppressed"]


def history(session: Session, call: Call) -> list[ReviewLog]:
    """Every action on the call, newest first."""
    return list(
        session.scalars(
            select(ReviewLog)
            .where(ReviewLog.call_id == call.id)
            .order_by(ReviewLog.created_at.desc(), ReviewLog.id.desc())
        )
    )
