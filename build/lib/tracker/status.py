"""Call status computed from dates; a source's own status is only a tie-breaker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tracker.vocab import CallStatus, DatePrecision

EXACT = (DatePrecision.DATETIME, DatePrecision.DAY)


def compute_status(
    now: datetime,
    opening: datetime | None,
    deadlines: Sequence[datetime],
    hint: CallStatus | None = None,
    *,
    opening_exact: bool = True,
) -> CallStatus:
    """Forthcoming before opening, open until the last cut-off, closed after it.

    Sources keep stale flags (an EU topic "open" months after its deadline), so
    dates always win where they can decide. Without any date the source's hint
    is all there is; a call with neither is treated as open, because hiding it
    would lose it. An opening known only to the month or quarter ("III/IV
    kwartał 2026") cannot tell whether it has happened: a source saying the call
    is still planned is believed then.
    """
    if deadlines and max(deadlines) <= now:
        return CallStatus.CLOSED
    if opening is not None and opening > now:
        return CallStatus.FORTHCOMING
    if hint is CallStatus.FORTHCOMING and (opening is None or not opening_exact):
        return CallStatus.FORTHCOMING
    if opening is not None or deadlines:
        return CallStatus.OPEN
    return hint or CallStatus.OPEN


def status_of(call: object, now: datetime) -> CallStatus:
    """The status of a scraped `FundingCall` or a stored `Call` at `now`."""
    precision = getattr(call, "opening_precision", DatePrecision.DAY)
    return compute_status(
        now,
        getattr(call, "opening_date", None),
        [d.at for d in getattr(call, "deadlines", [])],
        getattr(call, "source_status", None),
        opening_exact=precision in EXACT,
    )
