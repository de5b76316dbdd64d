"""Crawl health: vanished calls are flagged, alerts rise and clear with the runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from spiders.items import Deadline
from tests.factories import NOW, funding_call
from tracker.health import evaluate, flag_missing, overview, run_problems
from tracker.models import CrawlRun, Source
from tracker.storage import ensure_source, upsert_call
from tracker.vocab import AlertKind, CrawlOutcome

OK, FAILED = CrawlOutcome.SUCCESS, CrawlOutcome.FAILED


def _run(days_ago: float, outcome=OK, found=10, dropped=0, **extra) -> CrawlRun:
    finished = NOW - timedelta(days=days_ago)
    return CrawlRun(
        started_at=finished - timedelta(minutes=5),
        finished_at=finished,
        outcome=outcome,
        items_scraped=found,
        items_dropped=dropped,
        errors=extra.pop("errors", 0),
        messages=extra.pop("messages", []),
    )


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        ([_run(0), _run(1), _run(2)], set()),
        (
            [_run(0, FAILED, 0, errors=3, messages=["DNS lookup failed"]), _run(1)],
            {"failed"},
        ),
        ([_run(4), _run(5)], {"stale"}),
        ([_run(0, FAILED, 0), _run(3.5)], {"failed", "stale"}),
        ([_run(0, found=0), _run(1), _run(2)], {"no_calls"}),
        ([_run(0, found=4), _run(1, found=10), _run(2, found=12)], {"drop"}),
        ([_run(0, found=6), _run(1, found=10), _run(2, found=12)], set()),
        ([_run(0, found=8, dropped=2)], {"validation"}),
        ([_run(0, found=19, dropped=1)], set()),
        ([_run(0, found=0)], set()),  # a source that never had calls is not alarming
    ],
)
def test_run_problems(runs: list[CrawlRun], expected: set[str]) -> None:
    assert set(run_problems(runs, NOW)) == expected


def test_failed_message_carries_the_error() -> None:
    runs = [_run(0, FAILED, 0, errors=3, messages=["DNS lookup failed"])]
    assert "DNS lookup failed" in run_problems(runs, NOW)[AlertKind.FAILED]


def _source(session: Session) -> Source:
    return ensure_source(session, "pl_test", "Test", "NCBR", None)


def test_alerts_are_raised_once_and_resolved(db_session: Session) -> None:
    source = _source(db_session)
    for run in (_run(2), _run(1), _run(0, FAILED, 0, errors=1)):
        run.source = source
        db_session.add(run)
    db_session.flush()
    (alert,) = evaluate(db_session, source, NOW)
    assert alert.kind is AlertKind.FAILED
    assert evaluate(db_session, source, NOW) == [alert]  # not raised twice
    recovered = _run(-0.1)
    recovered.source = source
    db_session.add(recovered)
    db_session.flush()
    assert evaluate(db_session, source, NOW + timedelta(hours=3)) == []
    assert alert.resolved_at == NOW + timedelta(hours=3)


def test_open_call_that_vanished_is_flagged_not_closed(db_session: Session) -> None:
    source = _source(db_session)
    earlier = NOW - timedelta(days=1)
    vanished = upsert_call(db_session, source, funding_call(source_id="gone"), earlier)
    coming = funding_call(
        source_id="later",
        opening_date=datetime(2027, 1, 10, tzinfo=UTC),
        deadlines=[Deadline(datetime(2027, 3, 1, tzinfo=UTC))],
    )
    upsert_call(db_session, source, coming, earlier)
    upsert_call(db_session, source, funding_call(source_id="still"), NOW)
    flagged = flag_missing(db_session, source, since=NOW, now=NOW)
    assert [c.source_key for c in flagged] == ["gone"]
    assert vanished.call.missing_since == NOW
    assert vanished.call.status.value == "open"  # never silently closed
    back = upsert_call(db_session, source, funding_call(source_id="gone"), NOW)
    assert back.call.missing_since is None


def test_overview_counts_calls_and_alerts(db_session: Session) -> None:
    source = _source(db_session)
    upsert_call(db_session, source, funding_call(source_id="a"), NOW)
    run = _run(5)
    run.source = source
    db_session.add(run)
    db_session.flush()
    (health,) = [h for h in overview(db_session, NOW) if h.source.slug == "pl_test"]
    assert (health.calls, health.open_calls, health.missing) == (1, 1, 0)
    assert health.last_success == run.finished_at
    assert [a.kind for a in health.alerts] == [AlertKind.STALE]
