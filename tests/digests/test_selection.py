"""Coordinators' decisions steer the digest: vetoes, approval mode, picks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from digests.build import Selection, build_digest, matching_calls
from tests.digests.factories import NOW, PERIOD, call, member
from tracker.vocab import ReviewState

THRESHOLD = Selection("threshold", 0.5)
APPROVED_ONLY = Selection("approved", 0.5)


def _titles(session: Session, selection: Selection = THRESHOLD) -> dict[str, set[str]]:
    reader = member(session)
    digest = build_digest(session, reader, PERIOD, NOW, "Europe/Warsaw", selection)
    return {name: {c.title for c in getattr(digest, name)} for name in digest.sections}


def _all(sections: dict[str, set[str]]) -> set[str]:
    return set().union(*sections.values()) if sections else set()


def test_rejected_calls_never_reach_a_digest(db_session: Session) -> None:
    call(db_session, "kept")
    call(db_session, "vetoed", review_state=ReviewState.REJECTED, relevance=1.0)
    assert _all(_titles(db_session)) == {"Call kept"}


def test_threshold_mode_needs_relevance_unless_approved(db_session: Session) -> None:
    call(db_session, "strong", relevance=0.8)
    call(db_session, "weak", relevance=0.2)
    call(db_session, "weak-approved", relevance=0.2, review_state=ReviewState.APPROVED)
    assert _all(_titles(db_session)) == {"Call strong", "Call weak-approved"}


def test_approved_mode_takes_approved_calls_only(db_session: Session) -> None:
    call(db_session, "pending", relevance=1.0)
    call(db_session, "approved", review_state=ReviewState.APPROVED)
    assert _all(_titles(db_session, APPROVED_ONLY)) == {"Call approved"}


def test_picks_are_featured_first(db_session: Session) -> None:
    call(db_session, "ordinary")
    call(db_session, "picked", pick=True)
    sections = _titles(db_session)
    assert next(iter(sections)) == "picks"
    assert sections["picks"] == {"Call picked"}
    assert "Call picked" not in _all(
        {k: v for k, v in sections.items() if k != "picks"}
    )


def test_withdrawn_calls_leave_digests(db_session: Session) -> None:
    gone = datetime(2026, 11, 20, tzinfo=UTC)
    call(db_session, "gone", missing_since=gone, withdrawn_confirmed_at=gone)
    call(db_session, "unconfirmed", missing_since=gone)
    assert _all(_titles(db_session)) == {"Call unconfirmed"}


@pytest.mark.parametrize("suppressed", [True, False])
def test_a_removed_tag_does_not_match(db_session: Session, suppressed: bool) -> None:
    row = call(db_session, "retagged", tags=("health",))
    row.tags[0].suppressed = suppressed
    db_session.flush()
    assert bool(_all(_titles(db_session))) is not suppressed


def test_the_members_full_list_follows_the_coordinators_too(
    db_session: Session,
) -> None:
    call(db_session, "approved", review_state=ReviewState.APPROVED, relevance=0.1)
    call(db_session, "pending", relevance=1.0)
    call(db_session, "vetoed", review_state=ReviewState.REJECTED, relevance=1.0)
    reader = member(db_session)

    def listed(selection: Selection) -> set[str]:
        return {c.title for c in matching_calls(db_session, reader, NOW, selection)}

    assert listed(THRESHOLD) == {"Call approved", "Call pending"}
    assert listed(APPROVED_ONLY) == {"Call approved"}
