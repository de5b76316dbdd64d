"""Status is computed from dates; the source's claim only breaks ties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spiders.items import Deadline, FundingCall
from tracker.status import compute_status, status_of
from tracker.vocab import CallStatus as S
from tracker.vocab import DatePrecision

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
PAST = datetime(2026, 9, 15, 15, tzinfo=UTC)
SOON = datetime(2027, 1, 20, 16, tzinfo=UTC)
LATER = datetime(2027, 9, 14, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("opening", "deadlines", "hint", "expected"),
    [
        (PAST, [SOON], S.OPEN, S.OPEN),
        (PAST, [PAST], S.OPEN, S.CLOSED),  # stale "open" flag after the deadline
        (SOON, [LATER], S.OPEN, S.FORTHCOMING),  # opens later, whatever the flag
        (None, [SOON], S.FORTHCOMING, S.FORTHCOMING),
        (None, [SOON], None, S.OPEN),
        (PAST, [PAST, LATER], S.CLOSED, S.OPEN),  # a second cut-off is still ahead
        (None, [], S.CLOSED, S.CLOSED),
        (None, [], None, S.OPEN),
        (PAST, [], S.FORTHCOMING, S.OPEN),
        (PAST, [NOW], S.OPEN, S.CLOSED),  # the deadline instant itself is too late
    ],
)
def test_compute_status(opening, deadlines, hint, expected) -> None:
    assert compute_status(NOW, opening, deadlines, hint) is expected


@pytest.mark.parametrize(
    ("precision", "hint", "expected"),
    [
        (DatePrecision.QUARTER, S.FORTHCOMING, S.FORTHCOMING),  # "III/IV kwartał"
        (DatePrecision.MONTH, S.FORTHCOMING, S.FORTHCOMING),
        (DatePrecision.QUARTER, S.OPEN, S.OPEN),
        (DatePrecision.QUARTER, None, S.OPEN),
        (DatePrecision.DAY, S.FORTHCOMING, S.OPEN),  # an exact past opening decides
    ],
)
def test_fuzzy_opening_believes_a_planned_call(precision, hint, expected) -> None:
    call = FundingCall(
        source="x",
        source_id="1",
        title="t",
        url="https://example.org",
        funder="f",
        language="pl",
        opening_date=PAST,
        opening_precision=precision,
        deadlines=[Deadline(LATER)],
        source_status=hint,
    )
    assert status_of(call, NOW) is expected
