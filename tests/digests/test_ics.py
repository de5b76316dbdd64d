"""The deadlines calendar: parsed back with the `icalendar` library itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from digests.build import Deadline
from digests.ics import build_calendar, calendar_domain, event_uid
from digests.render import render_digest
from tests.digests.contexts import SETTINGS, context, item
from tests.digests.factories import NOW
from tracker.vocab import DatePrecision

WARSAW = ZoneInfo("Europe/Warsaw")
WINTER = datetime(2026, 12, 1, 16, tzinfo=UTC)  # 17:00 in Warsaw (CET)
SUMMER = datetime(2027, 6, 30, 15, tzinfo=UTC)  # 17:00 in Warsaw (CEST)
# A deadline known to the day is stored as its last second, Warsaw time.
DAY = datetime(2027, 1, 20, 23, 59, 59, tzinfo=WARSAW)


def cut_off(at: datetime, precision=DatePrecision.DATETIME, label=None) -> Deadline:
    return Deadline(at, precision, label)


def parse(data: bytes) -> Calendar:
    calendar = Calendar.from_ical(data)
    assert isinstance(calendar, Calendar)
    return calendar


def events(calendar: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def calendar_of(*items, **options) -> Calendar:
    options.setdefault("now", NOW)
    options.setdefault("domain", "klaster.example")
    return parse(build_calendar(items, **options))


def test_a_publishable_calendar() -> None:
    calendar = calendar_of(item(1, deadline=cut_off(WINTER)), name="Terminy naborów")
    assert calendar["VERSION"] == "2.0"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert str(calendar["PRODID"]).startswith("-//")
    assert calendar["X-WR-CALNAME"] == "Terminy naborów"


def test_exact_deadline_is_a_timed_event_in_warsaw_time() -> None:
    calendar = calendar_of(
        item(1, deadline=cut_off(WINTER)), item(2, deadline=cut_off(SUMMER))
    )
    start = events(calendar)["1-20261201T160000Z@klaster.example"]
    assert start["DTSTART"].params["TZID"] == "Europe/Warsaw"
    assert start.decoded("DTSTART") == datetime(2026, 12, 1, 17, tzinfo=WARSAW)
    assert start.decoded("DTSTART") == WINTER
    later = events(calendar)["2-20270630T150000Z@klaster.example"]
    assert later.decoded("DTSTART").astimezone(WARSAW).hour == 17
    assert later.decoded("DTSTART") == SUMMER
    assert "DTEND" not in start  # zero length: the deadline is the moment
    (timezone,) = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/Warsaw"
    # Both offsets of the year are defined, so clients need no database.
    offsets = {str(c["TZNAME"]) for c in timezone.subcomponents}
    assert offsets == {"CET", "CEST"}
    assert "COMMENT" not in timezone


def test_a_day_deadline_is_an_all_day_event_ending_the_next_day() -> None:
    data = build_calendar(
        [item(1, deadline=cut_off(DAY, DatePrecision.DAY))], now=NOW, domain="x.pl"
    )
    (event,) = parse(data).walk("VEVENT")
    assert event.decoded("DTSTART") == date(2027, 1, 20)
    assert event.decoded("DTEND") == date(2027, 1, 21)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(days=1)
    assert b"DTSTART;VALUE=DATE:20270120" in data
    assert b"DTEND;VALUE=DATE:20270121" in data
    # All-day events float: no time zone is needed or added.
    assert b"VTIMEZONE" not in data


@pytest.mark.parametrize("precision", [DatePrecision.MONTH, DatePrecision.QUARTER])
def test_a_vague_deadline_is_no_calendar_entry(precision: DatePrecision) -> None:
    vague = item(1, deadline=cut_off(datetime(2027, 3, 31, tzinfo=UTC), precision))
    assert events(calendar_of(vague)) == {}


def test_uids_are_stable_across_renders() -> None:
    calls = [
        item(1, deadline=cut_off(WINTER)),
        item(2, deadline=cut_off(DAY, DatePrecision.DAY)),
    ]
    first = calendar_of(*calls, now=NOW)
    later = calendar_of(*reversed(calls), now=NOW + timedelta(days=7))
    assert (
        set(events(first))
        == set(events(later))
        == {
            "1-20261201T160000Z@klaster.example",
            "2-20270120T225959Z@klaster.example",
        }
    )
    stamps = {e.decoded("DTSTAMP") for e in events(later).values()}
    assert stamps == {NOW + timedelta(days=7)}


def test_one_event_per_cut_off_with_its_label() -> None:
    stages = (cut_off(WINTER, label="stage 1"), cut_off(SUMMER, label="stage 2"))
    two_stage = item(1, title="Two\nstages", deadline=stages[0], deadlines=stages)
    calendar = calendar_of(two_stage, item(1, deadline=stages[0]), language="pl")
    found = events(calendar)
    assert list(found) == [
        event_uid(1, WINTER, "klaster.example"),
        event_uid(1, SUMMER, "klaster.example"),
    ]
    summaries = [str(e["SUMMARY"]) for e in found.values()]
    assert summaries == ["Termin: Two stages (etap 1)", "Termin: Two stages (etap 2)"]


def test_event_details() -> None:
    call = item(3, deadline=cut_off(WINTER), programme="Horizon Europe")
    (event,) = calendar_of(call, language="en").walk("VEVENT")
    assert event["SUMMARY"] == "Deadline: Call 3"
    assert event["URL"] == "https://example.org/calls/3"
    assert event["DESCRIPTION"] == (
        "European Commission · Horizon Europe\n"
        "Deadline: 1 December 2026, 17:00\n"
        "https://example.org/calls/3"
    )
    assert event.decoded("DTSTAMP") == NOW
    assert event["TRANSP"] == "TRANSPARENT"


def test_a_scraped_javascript_url_is_left_out() -> None:
    (event,) = calendar_of(item(1, url="javascript:alert(1)")).walk("VEVENT")
    assert "URL" not in event
    assert "javascript" not in str(event["DESCRIPTION"])


def test_plain_entries_for_callers_without_call_items() -> None:
    entry = (9, "Reminder call", "https://example.org/9", cut_off(WINTER))
    (event,) = calendar_of(entry, language="en").walk("VEVENT")
    assert event["UID"] == "9-20261201T160000Z@klaster.example"
    assert event["SUMMARY"] == "Deadline: Reminder call"


def test_the_digest_attaches_the_calendar_of_its_calls() -> None:
    ctx = context(
        "pl",
        new=(item(1, deadline=cut_off(WINTER)),),
        other=(item(2, deadline=cut_off(DAY, DatePrecision.DAY)),),
    )
    message = render_digest(ctx, SETTINGS)
    (attachment,) = message.iter_attachments()
    attached = parse(attachment.get_content().encode("utf-8"))
    again = parse(
        next(render_digest(ctx, SETTINGS).iter_attachments()).get_content().encode()
    )
    domain = calendar_domain(SETTINGS)
    assert domain == "klaster.example"
    assert (
        set(events(attached))
        == set(events(again))
        == {
            f"1-20261201T160000Z@{domain}",
            f"2-20270120T225959Z@{domain}",
        }
    )
    assert attached["X-WR-CALNAME"] == "Terminy naborów"
