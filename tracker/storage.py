"""Storing calls: upsert by natural key, history of material changes, tags."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from spiders.items import FundingCall, call_to_json
from tracker.identity import merge_if_same
from tracker.models import Call, CallDeadline, CallTag, CallVersion, Source
from tracker.status import status_of
from tracker.tagging import TagMatch, relevance_score, tag_call
from tracker.vocab import CallStatus, Language, TagOrigin

# Changes to these fields are news: they become a version a digest can spell out.
MATERIAL_FIELDS = (
    "title",
    "deadlines",
    "status",
    "budget",
    "opening_date",
    "applicant_types",
)
# Copied verbatim from the item onto the row.
_PLAIN_FIELDS = (
    "title",
    "funder",
    "programme",
    "call_identifier",
    "url",
    "opening_date",
    "opening_precision",
    "budget_amount",
    "budget_currency",
    "description",
    "instrument",
    "status",
    "source_status",
    "keywords",
    "programme_codes",
    "problems",
    "listing_hash",
)


class UpsertOutcome(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class UpsertResult:
    call: Call
    outcome: UpsertOutcome
    changes: dict[str, dict[str, Any]]
    merged: str | None = None  # why the call was linked to another source's copy


def ensure_source(
    session: Session,
    slug: str,
    name: str,
    funder: str,
    url: str | None,
    catch_all: bool = False,
) -> Source:
    """The source row for `slug`, created on first use, kept up to date."""
    source = session.scalar(select(Source).where(Source.slug == slug))
    if source is None:
        source = Source(slug=slug, name=name, funder=funder, url=url)
        session.add(source)
    source.name, source.funder, source.url = name, funder, url
    source.catch_all = catch_all
    session.flush()
    return source


def content_hash(item: FundingCall) -> str:
    """A digest of everything the source said about the call."""
    data = call_to_json(item)
    data.pop("status")  # derived from the dates and the clock, not from the source
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def material_state(call: Call | FundingCall) -> dict[str, Any]:
    """The material fields of a stored or scraped call, as JSON-ready values."""
    deadlines = [_utc_iso(d.at) for d in sorted(call.deadlines, key=lambda d: d.at)]
    amount = call.budget_amount
    budget = None if amount is None else f"{amount:.2f} {call.budget_currency or ''}"
    opening = _utc_iso(call.opening_date) if call.opening_date else None
    return {
        "title": call.title,
        "deadlines": deadlines,
        "status": str(call.status) if call.status else None,
        "budget": budget.strip() if budget else None,
        "opening_date": opening,
        "applicant_types": sorted(str(a) for a in call.applicant_types),
    }


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def diff_material(
    old: dict[str, Any], new: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    return {
        name: {"old": old[name], "new": new[name]}
        for name in MATERIAL_FIELDS
        if old[name] != new[name]
    }


def listing_hashes(session: Session, source: Source) -> dict[str, str]:
    """source_key -> listing hash of the source's stored calls."""
    rows = session.execute(
        select(Call.source_key, Call.listing_hash).where(
            Call.source_id == source.id, Call.listing_hash.is_not(None)
        )
    )
    return {key: digest for key, digest in rows if digest}


def mark_seen(
    session: Session, source: Source, source_key: str, now: datetime
) -> UpsertOutcome:
    """A call listed unchanged (its detail page was not fetched): it is still there."""
    call = find_call(session, source, source_key)
    if call is None:
        raise LookupError(f"{source.slug}: no stored call {source_key!r}")
    call.last_seen_at = now
    call.missing_since = None
    return UpsertOutcome.UNCHANGED


def find_call(session: Session, source: Source, source_key: str) -> Call | None:
    return session.scalar(
        select(Call)
        .where(Call.source_id == source.id, Call.source_key == source_key)
        .options(selectinload(Call.deadlines), selectinload(Call.tags))
    )


def upsert_call(
    session: Session,
    source: Source,
    item: FundingCall,
    now: datetime,
    crawl_run_id: int | None = None,
) -> UpsertResult:
    """Insert a new call, or update a known one and record what materially changed.

    An unchanged call is not rewritten; only its `last_seen_at` moves, which is
    what later tells a vanished call from a quiet one.
    """
    digest = content_hash(item)
    call = find_call(session, source, item.source_id)
    if call is None:
        call = Call(source=source, source_key=item.source_id, first_seen_at=now)
        _copy_item(call, item, digest, now)
        session.add(call)
        apply_tags(session, call, tag_call(item))
        session.flush()
        return UpsertResult(call, UpsertOutcome.NEW, {}, merge_if_same(session, call))
    if digest == call.content_hash and item.status == call.status:
        call.last_seen_at = now
        call.missing_since = None
        return UpsertResult(call, UpsertOutcome.UNCHANGED, {})
    changes = diff_material(material_state(call), material_state(item))
    _copy_item(call, item, digest, now)
    if changes:
        session.add(
            CallVersion(
                call=call, crawl_run_id=crawl_run_id, recorded_at=now, changes=changes
            )
        )
        call.needs_review = True  # news: the desk looks at it again
    apply_tags(session, call, tag_call(item))
    session.flush()
    merged = merge_if_same(session, call)
    return UpsertResult(call, UpsertOutcome.CHANGED, changes, merged)


def _copy_item(call: Call, item: FundingCall, digest: str, now: datetime) -> None:
    for name in _PLAIN_FIELDS:
        setattr(call, name, getattr(item, name))
    call.language = Language(item.language)
    call.applicant_types = [str(a) for a in item.applicant_types]
    new_deadlines = [(d.at, d.label, d.precision) for d in item.deadlines]
    old_deadlines = [(d.at, d.label, d.precision) for d in call.deadlines]
    if new_deadlines != old_deadlines:
        call.deadlines = [
            CallDeadline(at=at, label=label, precision=precision)
            for at, label, precision in new_deadlines
        ]
    call.content_hash = digest
    call.last_seen_at = now
    call.updated_at = now
    call.missing_since = None


def apply_tags(session: Session, call: Call, matches: list[TagMatch]) -> None:
    """Replace automatic tags with `matches`; a coordinator's tags are never touched.

    A tag a coordinator removed stays suppressed, so the rules cannot revive it.
    """
    wanted = {m.tag: m for m in matches}
    call.relevance = relevance_score(matches)
    for tag in list(call.tags):
        if tag.origin is TagOrigin.COORDINATOR or tag.suppressed:
            wanted.pop(tag.tag, None)
        elif tag.tag not in wanted:
            call.tags.remove(tag)
        else:
            match = wanted.pop(tag.tag)
            tag.origin, tag.evidence = match.origin, match.evidence
    for match in wanted.values():
        call.tags.append(
            CallTag(tag=str(match.tag), origin=match.origin, evidence=match.evidence)
        )


def refresh_statuses(session: Session, now: datetime) -> list[Call]:
    """Recompute every non-closed call's status from its dates; record changes.

    Time alone closes a call or opens a forthcoming one; the digest must not wait
    for the next crawl to notice.
    """
    calls = session.scalars(
        select(Call)
        .where(Call.status != CallStatus.CLOSED)
        .options(selectinload(Call.deadlines))
    ).all()
    changed = []
    for call in calls:
        status = status_of(call, now)
        if status != call.status:
            changes = {"status": {"old": str(call.status), "new": str(status)}}
            session.add(CallVersion(call=call, recorded_at=now, changes=changes))
            call.status = status
            changed.append(call)
    session.flush()
    return changed
