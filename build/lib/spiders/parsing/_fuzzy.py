"""The value the date parser returns: a date only as precise as its source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from spiders.items import Deadline
from tracker.vocab import DatePrecision

WARSAW = "Europe/Warsaw"
# A deadline given as a bare day means the whole day counts.
END_OF_DAY = time(23, 59, 59)


class DateParseError(ValueError):
    """The text holds no date we can read, or a date that cannot exist."""


@dataclass(frozen=True)
class FuzzyDate:
    """A date as precise as the source gave it: a day, a month, a quarter (or a span
    of quarters/months), with an optional time."""

    first: date  # first day of the period
    last: date  # last day of the period (== first for a day)
    precision: DatePrecision  # DATETIME if a time was given, else DAY/MONTH/QUARTER
    time: time | None = None

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"period ends before it starts: {self.first}..{self.last}")

    def deadline(self, tz: str = WARSAW) -> datetime:
        """Aware: `last` at `time`, or 23:59:59 local when no time was given."""
        return datetime.combine(self.last, self.time or END_OF_DAY, ZoneInfo(tz))

    def opening(self, tz: str = WARSAW) -> datetime:
        """Aware: `first` at `time`, or 00:00 local when no time was given."""
        return datetime.combine(self.first, self.time or time(0), ZoneInfo(tz))

    def to_deadline(self, tz: str = WARSAW, label: str | None = None) -> Deadline:
        return Deadline(self.deadline(tz), label, self.precision)
