from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digests.period import Period, current_period, news_window
from tracker.config import load_settings

TZ = "Europe/Warsaw"


def test_parse_and_format_round_trip() -> None:
    period = Period.parse("2026-W48")
    assert period == Period(2026, 48)
    assert str(period) == "2026-W48"
    assert str(Period(2027, 1)) == "2027-W01"


@pytest.mark.parametrize("text", ["2026-48", "2026W48", "26-W48", "2026-W4", "x"])
def test_parse_rejects_other_spellings(text: str) -> None:
    with pytest.raises(ValueError, match="ISO week like 2026-W48"):
        Period.parse(text)


def test_week_53_exists_only_in_long_years() -> None:
    assert str(Period.parse("2026-W53")) == "2026-W53"
    with pytest.raises(ValueError, match="2027 has no ISO week 53"):
        Period.parse("2027-W53")


def test_current_period_uses_warsaw_wall_clock() -> None:
    # Sunday 23:30 UTC is already Monday 00:30 in Warsaw (CET): the next week.
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert current_period(sunday_night, TZ) == Period(2026, 49)
    assert current_period(sunday_night, "UTC") == Period(2026, 48)


def test_current_period_accepts_settings() -> None:
    settings = load_settings({"TIMEZONE": "Asia/Tokyo"})
    sunday = datetime(2026, 11, 29, 16, tzinfo=UTC)  # Monday 01:00 in Tokyo
    assert current_period(sunday, settings) == Period(2026, 49)


def test_iso_week_across_new_year() -> None:
    assert current_period(datetime(2027, 1, 1, 12, tzinfo=UTC), TZ) == Period(2026, 53)


def test_start_and_end_are_local_mondays() -> None:
    period = Period(2026, 48)
    assert period.start(TZ) == datetime(2026, 11, 22, 23, tzinfo=UTC)
    assert period.end(TZ) - period.start(TZ) == timedelta(days=7)


def test_news_window() -> None:
    monday = datetime(2026, 11, 23, 8, tzinfo=UTC)
    assert news_window(Period(2026, 48), monday, TZ) == (
        monday - timedelta(days=7),
        monday,
    )
    # A digest of a past week covers that week, however late it is built.
    late = datetime(2026, 12, 9, 8, tzinfo=UTC)
    assert news_window(Period(2026, 48), late, TZ) == (
        Period(2026, 48).start(TZ),
        Period(2026, 48).end(TZ),
    )
