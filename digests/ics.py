"""Deadlines as iCalendar (RFC 5545): the digest's attachment and the member's feed.

One VEVENT per call and cut-off, under METHOD:PUBLISH (a calendar to add, not
an invitation to answer). What each deadline becomes, by its precision:

- DATETIME: an event at the deadline itself, in the cluster's time zone with
  its VTIMEZONE, and of no length: the time a calendar shows is then the
  one that matters, not a slot invented before it.
- DAY: an all-day event, DTSTART;VALUE=DATE the day and DTEND the next day
  (all-day ends are exclusive, RFC 5545 §3.6.1).
- MONTH or QUARTER: no event. A calendar entry is a date people act on, and
  a guessed day ("the end of the quarter") would be trusted as one; the
  digest and the member's page show such deadlines as the source wrote them.

UID = "<call id>-<cut-off in UTC as %Y%m%dT%H%M%SZ>@<domain>": the call's id
never changes once stored and the cut-off is the event, so every digest and
every poll of the feed name the same event alike, and a calendar updates it
instead of adding a copy. A cut-off that moves is a new event; the feed then
drops the old one, while an imported attachment keeps it, as imports do (the
digest's "changed" section says so).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from typing import NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from digests.build import CallItem, Deadline
from digests.formatting import Formatter
from tracker.config import Settings
from tracker.vocab import DatePrecision, Language

# (call id, title, url, cut-off): one event, for callers without a CallItem.
Entry = tuple[int, str, str, Deadline]

DEFAULT_DOMAIN = "grants.localhost"
PRODID = "-//Klaster Biotech Lublin//grants//EN"
_TIMED = (DatePrecision.DATETIME,)
_ALL_DAY = (DatePrecision.DAY,)


def calendar_domain(settings: Settings) -> str:
    """The UID domain: the sender's, as in the digests' Message-IDs."""
    return parseaddr(settings.MAIL_FROM)[1].rpartition("@")[2] or DEFAULT_DOMAIN


def event_uid(call_id: int, at: datetime, domain: str = DEFAULT_DOMAIN) -> str:
    return f"{call_id}-{at.astimezone(UTC):%Y%m%dT%H%M%SZ}@{domain}"


def build_calendar(
    items: Sequence[CallItem] | Sequence[Entry],
    *,
    name: str | None = None,
    now: datetime | None = None,
    domain: str = DEFAULT_DOMAIN,
    language: Language | str = Language.PL,
    timezone: str = "Europe/Warsaw",
) -> bytes:
    """The calendar of `items`' deadlines ahead of `now`, as UTF-8 bytes.

    `items` are the calls of a digest or a member's list (every cut-off still
    ahead), or `Entry` tuples (one cut-off each). `name` is what calendar
    apps call it (default: "Funding call deadlines" in `language`).
    """
    now = now or datetime.now(UTC)
    fmt = Formatter(language, timezone, now)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name or fmt.gettext("Funding call deadlines"))
    calendar.add("x-wr-timezone", timezone)
    seen: set[str] = set()
    for cut in sorted(_cut_offs(items), key=lambda c: (c.deadline.at, c.call_id)):
        uid = event_uid(cut.call_id, cut.deadline.at, domain)
        if uid not in seen and cut.deadline.precision in (*_TIMED, *_ALL_DAY):
            seen.add(uid)
            calendar.add_component(_event(cut, uid, fmt, now))
    _add_timezone(calendar, timezone)
    return calendar.to_ical()


class _CutOff(NamedTuple):
    call_id: int
    title: str
    url: str
    deadline: Deadline
    by: str | None = None  # funder and programme, when known


def _cut_offs(items: Sequence[CallItem] | Sequence[Entry]) -> Iterator[_CutOff]:
    for item in items:
        if not isinstance(item, CallItem):
            yield _CutOff(*item)
            continue
        by = " · ".join(p for p in (item.funder, item.programme) if p)
        for deadline in item.deadlines or ([item.deadline] if item.deadline else []):
            yield _CutOff(item.id, item.title, item.url, deadline, by)


def _event(cut: _CutOff, uid: str, fmt: Formatter, now: datetime) -> Event:
    deadline = cut.deadline
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    title = " ".join(cut.title.split())
    summary = fmt.gettext("Deadline: %(call)s") % {"call": title}
    if deadline.label:
        summary += f" ({fmt.deadline_label(deadline.label)})"
    event.add("summary", summary)
    if deadline.precision in _TIMED:
        event.add("dtstart", deadline.at.astimezone(fmt.tz))
    else:
        day = deadline.at.astimezone(fmt.tz).date()
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a deadline makes nobody busy
    link = fmt.link(cut.url)
    when = fmt.gettext("Deadline: %(deadline)s") % {"deadline": fmt.deadline(deadline)}
    lines = [cut.by, when, link]
    event.add("description", "\n".join(line for line in lines if line))
    if link:
        event.add("url", link)
    return event


def _add_timezone(calendar: Calendar, timezone: str) -> None:
    """The VTIMEZONE of the timed events, for the years they span only.

    icalendar writes every transition in the range; the default range
    (1970-2038) would make each attachment kilobytes longer for nothing.
    """
    starts = [
        e.decoded("dtstart")
        for e in calendar.walk("VEVENT")
        if isinstance(e.decoded("dtstart"), datetime)
    ]
    if not starts:
        return
    first = min(starts).astimezone(ZoneInfo(timezone)).year
    last = max(starts).astimezone(ZoneInfo(timezone)).year
    calendar.add_missing_timezones(date(first - 1, 1, 1), date(last + 2, 1, 1))
    for component in calendar.timezones:
        # icalendar's English note on the range: nothing a member should read.
        component.pop("COMMENT", None)
