"""Call status computed from dates; a source's own status is only a tie-breaker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tracker.vocab import CallStatus


def compute_status(
    now: datetime,
    opening: datetime | None,
    deadlines: Sequence[datetime],
    hint: CallStatus | None = None,
) -> CallStatus:
    """Forthcoming before opening, open until the last cut-off, closed after it.

    Sources keep stale flags (an EU topic "open" months after its deadline), so
    dates always win. Without any date the source's hint is all there is; a call
    with neither is treated as open, because hiding it would lose it.
    """
    if deadlines and max(deadlines) <= now:
        return CallStatus.CLOSED
    if opening is not None and opening > now:
        return CallStatus.FORTHCOMING
    if opening is not None or deadlines:
        if hint is CallStatus.FORTHCOMING and opening is None:
            return CallStatus.FORTHCOMING
        return CallStatus.OPEN
    return hint or CallStatus.OPEN
