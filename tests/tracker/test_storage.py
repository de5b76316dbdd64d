"""Upsert, history and tags, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spiders.items import Deadline
from tests.factories import NOW, funding_call
from tracker.models import Call, CallTag, CallVersion
from tracker.storage import (
    UpsertOutcome,
    ensure_source,
    refresh_statuses,
    upsert_call,
)
from tracker.vocab import CallStatus, TagOrigin


def _source(session: Session):
    return ensure_source(session, "eu_test", "Test source", "EC", "https://example.org")


def test_new_call_is_stored_with_deadlines_and_tags(db_session: Session) -> None:
    source = _source(db_session)
    result = upsert_call(db_session, source, funding_call(), NOW)
    assert result.outcome is UpsertOutcome.NEW
    db_session.expire_all()
    call = db_session.scalars(select(Call)).one()
    assert call.status is CallStatus.OPEN
    assert call.deadlines[0].at == datetime(2027, 4, 8, 15, tzinfo=UTC)
    assert call.budget_amount == Decimal("12000000")
    assert call.first_seen_at == NOW
    tags = {t.tag: t for t in call.tags}
    assert {"biotech", "health"} <= set(tags)
    assert tags["biotech"].origin is TagOrigin.RULE
    assert "Biotechnology" in (tags["biotech"].evidence or "")


def test_unchanged_call_is_not_rewritten(db_session: Session) -> None:
    source = _source(db_session)
    upsert_call(db_session, source, funding_call(), NOW)
    later = NOW + timedelta(days=1)
    result = upsert_call(db_session, source, funding_call(), later)
    assert result.outcome is UpsertOutcome.UNCHANGED
    call = db_session.scalars(select(Call)).one()
    assert call.updated_at == NOW
    assert call.last_seen_at == later
    assert db_session.scalar(select(func.count(CallVersion.id))) == 0


def test_moved_deadline_adds_a_version(db_session: Session) -> None:
    source = _source(db_session)
    upsert_call(db_session, source, funding_call(), NOW)
    moved = funding_call(deadlines=[Deadline(datetime(2027, 4, 22, 15, tzinfo=UTC))])
    result = upsert_call(db_session, source, moved, NOW + timedelta(days=1))
    assert result.outcome is UpsertOutcome.CHANGED
    version = db_session.scalars(select(CallVersion)).one()
    assert version.changes == {
        "deadlines": {
            "old": ["2027-04-08T15:00:00+00:00"],
            "new": ["2027-04-22T15:00:00+00:00"],
        }
    }
    call = db_session.scalars(select(Call)).one()
    assert [d.at.day for d in call.deadlines] == [22]


def test_description_edit_updates_without_version(db_session: Session) -> None:
    source = _source(db_session)
    upsert_call(db_session, source, funding_call(), NOW)
    edited = funding_call(description="Clinical research with genomic data, edited.")
    result = upsert_call(db_session, source, edited, NOW + timedelta(hours=1))
    assert result.outcome is UpsertOutcome.CHANGED
    assert result.changes == {}
    assert db_session.scalar(select(func.count(CallVersion.id))) == 0


def test_title_and_budget_changes_are_material(db_session: Session) -> None:
    source = _source(db_session)
    upsert_call(db_session, source, funding_call(), NOW)
    edited = funding_call(title="New title about vaccines", budget_amount=None)
    result = upsert_call(db_session, source, edited, NOW + timedelta(hours=1))
    assert set(result.changes) == {"title", "budget"}
    assert result.changes["budget"] == {"old": "12000000.00 EUR", "new": None}


def test_coordinator_tags_survive_retagging(db_session: Session) -> None:
    source = _source(db_session)
    call = upsert_call(db_session, source, funding_call(), NOW).call
    call.tags.append(CallTag(tag="pharma", origin=TagOrigin.COORDINATOR, evidence="x"))
    db_session.flush()
    retitled = funding_call(title="Tools for personalised medicine", description=None)
    upsert_call(db_session, source, retitled, NOW + timedelta(days=1))
    tags = {t.tag: t.origin for t in call.tags}
    assert tags["pharma"] is TagOrigin.COORDINATOR
    assert "biotech" not in tags  # the words that produced it are gone


def test_same_key_in_two_sources_are_two_calls(db_session: Session) -> None:
    first = _source(db_session)
    second = ensure_source(db_session, "pl_test", "Other", "NCBR", None)
    upsert_call(db_session, first, funding_call(), NOW)
    upsert_call(db_session, second, funding_call(source="pl_test"), NOW)
    assert db_session.scalar(select(func.count(Call.id))) == 2


def test_refresh_closes_calls_whose_deadline_passed(db_session: Session) -> None:
    source = _source(db_session)
    upsert_call(db_session, source, funding_call(), NOW)
    after = datetime(2027, 5, 1, tzinfo=UTC)
    changed = refresh_statuses(db_session, after)
    assert [c.status for c in changed] == [CallStatus.CLOSED]
    version = db_session.scalars(select(CallVersion)).one()
    assert version.changes == {"status": {"old": "open", "new": "closed"}}
    assert refresh_statuses(db_session, after) == []
