"""Finding dates (and the times next to them) in normalised text.

`DATE_RE` is scanned left to right; each of its alternatives has a builder that
turns the groups into a `Hit`. Day dates then look for a clock time right after
them, a few words after them, or just before them.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from spiders.parsing._datepatterns import (
    DATE_RE,
    FAR_GAP_FORBIDDEN,
    TIME_BEFORE,
    TIME_FAR,
    TIME_NEAR,
)
from spiders.parsing._fuzzy import END_OF_DAY, WARSAW, DateParseError, FuzzyDate
from spiders.parsing._months import HALVES, MONTHS, QUARTERS, ROMAN_MONTHS
from tracker.vocab import DatePrecision

# Calls of the tracked programmes fall in these years; any other "year" is a
# misread number (a call number, a programme period, a typo).
MIN_YEAR, MAX_YEAR = 1990, 2100


@dataclass(frozen=True)
class Hit:
    """One date found in the text; a day without a year waits for `resolve`."""

    start: int
    end: int
    fuzzy: FuzzyDate | None = None
    month_day: tuple[int, int] | None = None  # set when the year is missing
    time: time | None = None

    def resolve(self, year: int) -> FuzzyDate:
        if self.fuzzy is not None:
            return self.fuzzy
        assert self.month_day is not None
        return day(year, *self.month_day, at=self.time)


def check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateParseError(f"implausible year {year}")
    return year


def day(year: int, month: int, day_: int, at: time | None = None) -> FuzzyDate:
    try:
        d = date(check_year(year), month, day_)
    except ValueError as exc:
        raise DateParseError(f"no such day: {day_}.{month}.{year}") from exc
    precision = DatePrecision.DAY if at is None else DatePrecision.DATETIME
    return FuzzyDate(d, d, precision, at)


def months(year: int, first: int, last: int) -> FuzzyDate:
    if not 1 <= first <= last <= 12:
        raise DateParseError(f"no such month span: {first}..{last}")
    end = calendar.monthrange(check_year(year), last)[1]
    return FuzzyDate(date(year, first, 1), date(year, last, end), DatePrecision.MONTH)


def quarters(year: int, first: int, last: int) -> FuzzyDate:
    if not 1 <= first <= last <= 4:
        raise DateParseError(f"no such quarter span: {first}..{last}")
    span = months(year, 3 * first - 2, 3 * last)
    return FuzzyDate(span.first, span.last, DatePrecision.QUARTER)


# Builders for day dates: groups -> (year or None when missing, month, day).
_Groups = dict[str, str | None]
_DayFields = tuple[int | None, int, int]


def _int(g: _Groups, name: str) -> int:
    return int(g[name] or 0)


def _month(g: _Groups, name: str) -> int:
    return MONTHS[(g[name] or "").rstrip(".")]


def _dname(g: _Groups) -> _DayFields:
    year = None if g["dn_y"] is None else _int(g, "dn_y")
    return year, _month(g, "dn_m"), _int(g, "dn_d")


_DAY_BUILDERS: dict[str, Callable[[_Groups], _DayFields]] = {
    "iso": lambda g: (_int(g, "iso_y"), _int(g, "iso_m"), _int(g, "iso_d")),
    "ymd": lambda g: (_int(g, "ymd_y"), _int(g, "ymd_m"), _int(g, "ymd_d")),
    "dmy": lambda g: (_int(g, "dmy_y"), _int(g, "dmy_m"), _int(g, "dmy_d")),
    "dname": _dname,
    "droman": lambda g: (
        _int(g, "dr_y"),
        ROMAN_MONTHS[g["dr_m"] or ""],
        _int(g, "dr_d"),
    ),
    "mdy": lambda g: (_int(g, "md_y"), _month(g, "md_m"), _int(g, "md_d")),
}


def _span(g: _Groups, a: str, b: str, table: dict[str, int]) -> tuple[int, int]:
    """'III/IV' -> (3, 4); a single name is a span of one."""
    first = table[(g[a] or "").rstrip(".")]
    return first, first if g[b] is None else table[(g[b] or "").rstrip(".")]


_DIGITS = {str(n): n for n in range(1, 5)}
_PERIOD_BUILDERS: dict[str, Callable[[_Groups], FuzzyDate]] = {
    "quarter": lambda g: quarters(_int(g, "q_y"), *_span(g, "q_a", "q_b", QUARTERS)),
    "qshort": lambda g: quarters(_int(g, "qs_y"), *_span(g, "qs_a", "qs_b", _DIGITS)),
    "mname": lambda g: months(_int(g, "mn_y"), *_span(g, "mn_a", "mn_b", MONTHS)),
    "mnum": lambda g: months(_int(g, "mu_y"), _int(g, "mu_m"), _int(g, "mu_m")),
    "half": lambda g: _half(g),
}


def _half(g: _Groups) -> FuzzyDate:
    half = HALVES[g["h_n"]] if g["h_n"] else _int(g, "h_h")
    return quarters(_int(g, "h_y"), 2 * half - 1, 2 * half)


def _clock(m: re.Match[str]) -> time | None:
    """The time in a clock match, or None when it is no plausible time."""
    hour, minute, second = int(m["h"]), int(m["mi"] or 0), int(m["s"] or 0)
    words = m.groupdict()
    if m["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m["ampm"].startswith("p") else 0)
    elif words.get("word") is None and (
        m["mi"] is None or (m["sep"] == "." and words.get("at") is None)
    ):
        # Without "godz." a time needs its minutes, and "2.10" right after a date
        # is the next date unless "o"/"at" announces a time.
        return None
    if (hour, minute, second) == (24, 0, 0):
        return END_OF_DAY  # "do godz. 24:00": the end of that day
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _time_after(text: str, pos: int) -> tuple[time, int] | None:
    rest = text[pos : pos + 120]
    near = TIME_NEAR.match(rest)
    if near and (at := _clock(near)):
        return at, pos + near.end()
    far = TIME_FAR.match(rest)
    if far and not FAR_GAP_FORBIDDEN.search(far["gap"]) and (at := _clock(far)):
        return at, pos + far.end()
    return None


def _time_before(text: str, since: int, start: int) -> time | None:
    m = TIME_BEFORE.search(text[max(since, start - 60) : start])
    return _clock(m) if m else None


def _iso_time(g: _Groups, fields: _DayFields) -> tuple[_DayFields, time]:
    """An ISO time; an explicit offset is converted to Warsaw local time."""
    year, month, day_ = fields
    stamp = f"{year:04d}-{month:02d}-{day_:02d}T{g['iso_t']}{(g['iso_off'] or '')}"
    try:
        moment = datetime.fromisoformat(stamp.upper().replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo(WARSAW))
    except (ValueError, OverflowError) as exc:
        raise DateParseError(f"bad ISO timestamp {stamp!r}") from exc
    return (moment.year, moment.month, moment.day), moment.time()


def _build(m: re.Match[str], text: str, lang: str, since: int) -> Hit:
    kind, g = m.lastgroup or "", m.groupdict()
    if kind in _PERIOD_BUILDERS:  # months and quarters never carry a time
        return Hit(m.start(), m.end(), fuzzy=_PERIOD_BUILDERS[kind](g))
    if kind == "slash":
        a, b = _int(g, "sl_a"), _int(g, "sl_b")
        # Drupal prints dd/mm/yyyy on NCN's Polish pages, mm/dd/yyyy on English.
        fields: _DayFields = (_int(g, "sl_y"), *((a, b) if lang == "en" else (b, a)))
    else:
        fields = _DAY_BUILDERS[kind](g)
    at, end = None, m.end()
    if kind == "iso" and g["iso_t"]:
        fields, at = _iso_time(g, fields)
    elif found := _time_after(text, end):
        at, end = found
    else:
        at = _time_before(text, since, m.start())
    year, month, day_ = fields
    if year is None:
        day(2000, month, day_)  # validates the day in a leap year: "30 lutego" fails
        return Hit(m.start(), end, month_day=(month, day_), time=at)
    return Hit(m.start(), end, fuzzy=day(year, month, day_, at))


def scan(text: str, lang: str, *, strict: bool) -> list[Hit]:
    """Every date in normalised `text`, in order. Strict: an impossible date
    ("31.02.2025") raises instead of being skipped."""
    hits: list[Hit] = []
    pos = 0
    while m := DATE_RE.search(text, pos):
        try:
            hit = _build(m, text, lang, since=pos)
        except DateParseError:
            if strict:
                raise
            pos = m.end()
            continue
        hits.append(hit)
        pos = hit.end
    return hits
