"""Digest periods: ISO weeks such as "2026-W48", in the cluster's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tracker.config import Settings

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """One ISO week; its string form is the key of a digest delivery."""

    year: int
    week: int

    def __post_init__(self) -> None:
        # Week 53 exists only in some years; `fromisocalendar` knows which.
        try:
            date.fromisocalendar(self.year, self.week, 1)
        except ValueError:
            raise ValueError(f"{self.year} has no ISO week {self.week}") from None

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @classmethod
    def parse(cls, text: str) -> Period:
        """`Period.parse("2026-W48")`; anything else is a `ValueError`."""
        match = _ISO_WEEK.match(text.strip())
        if not match:
            raise ValueError(f"expected an ISO week like 2026-W48, not {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, moment: datetime, timezone: str) -> Period:
        """The week `moment` falls in, as seen on a wall clock in `timezone`."""
        year, week, _ = moment.astimezone(ZoneInfo(timezone)).isocalendar()
        return cls(year, week)

    def start(self, timezone: str) -> datetime:
        """Monday 00:00 local time, time-zone aware."""
        monday = date.fromisocalendar(self.year, self.week, 1)
        return datetime.combine(monday, time(), tzinfo=ZoneInfo(timezone))

    def end(self, timezone: str) -> datetime:
        """The next Monday 00:00 local time (exclusive)."""
        monday = date.fromisocalendar(self.year, self.week, 1) + timedelta(days=7)
        return datetime.combine(monday, time(), tzinfo=ZoneInfo(timezone))


def current_period(now: datetime, timezone: str | Settings) -> Period:
    """The week a digest sent at `now` belongs to (`timezone` or settings.TIMEZONE)."""
    if isinstance(timezone, Settings):
        timezone = timezone.TIMEZONE
    return Period.containing(now, timezone)


def news_window(
    period: Period, now: datetime, timezone: str
) -> tuple[datetime, datetime]:
    """What counts as "this week's news" for a digest of `period` built at `now`.

    Digests go out early in the week, when the ISO week has barely begun, so
    the window reaches back seven days from `now`. A digest of a past week
    (`--week`) covers that whole week and stops at its end.
    """
    until = min(now, period.end(timezone))
    since = min(period.start(timezone), until - timedelta(days=7))
    return since, until
