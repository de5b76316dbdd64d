"""Status is computed from dates; the source's claim only breaks ties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracker.status import compute_status
from tracker.vocab import CallStatus as S

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
