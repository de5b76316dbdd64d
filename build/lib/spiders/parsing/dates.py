"""Dates as Polish (and English) funding sources write them.

`parse_date` reads one date, `parse_range` an opening/closing pair, `find_dates`
every date in running prose, `is_undetermined` recognises "no date yet".
A date keeps the precision its source gave it (DATETIME, DAY, MONTH, QUARTER);
nothing here ever invents a day for "IV kw. 2026" or "05.2024".

Rules:
- A missing year ("31 lip") is the nearest such day not more than 183 days
  before `today` (default: today in Warsaw); in a range, a start without a year
  takes the end's year ("od 1 marca do 31 marca 2025"), or the year before when
  it would otherwise fall after the end ("od 20 grudnia do 15 stycznia 2026").
- Slash dates are dd/mm/yyyy for lang="pl" and mm/dd/yyyy for lang="en" (NCN's
  Drupal prints them so); dotted and ISO dates are the same in both languages.
- Times are Europe/Warsaw local; a time after a range applies to its end.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from spiders.parsing._datescan import Hit, scan
from spiders.parsing._fuzzy import WARSAW, DateParseError, FuzzyDate
from spiders.parsing._text import normalize

__all__ = [
    "DateParseError",
    "FuzzyDate",
    "find_dates",
    "is_undetermined",
    "parse_date",
    "parse_range",
]

# How far back a yearless day may lie before it is read as next year's.
_PAST_WINDOW = timedelta(days=183)

# The last of these before a lone date tells whether it opens or closes a call:
# "Start 31.08.2026" and "od 1 marca 2025" are no deadlines.
_ROLE_WORD = re.compile(
    r"(?<![a-z])(?:(?P<opening>od|from|start\w*|rozpocz\w*|otwar\w*|opens?|opening)"
    r"|(?P<closing>do|to|until|till|by|koniec|konczy|zamk\w*|termin\w*|clos\w*|"
    r"deadline|potrwa|uplyw\w*))(?![a-z])"
)
# What joins the two ends of a range: "do", "-", "to", "until".
_RANGE_JOIN = re.compile(r"(?<![a-z])(?:do|to|until|till|-)(?![a-z])")
_DIGIT = re.compile(r"\d")
# A range whose start is a bare day (or day.month): "1-31 marca", "od 1 do 31.03".
# Only at the start, after "od"/":" or "(": in "Runda 2 - 15.03.2025" the 2 is
# no day.
_PARTIAL_START = re.compile(
    r"(?:\A|[:(]\ ?|(?<![a-z])(?:od|from|w dniach)\ )"
    r"(?P<d>\d{1,2})(?:\.(?P<m>\d{1,2}))?\.?\ ?(?:-|do|to)\ ?\Z",
    re.ASCII,
)
_UNDETERMINED = re.compile(
    r"(?<![a-z])(?:w trakcie ustal\w*|do ustalenia|brak\w*|nie ustalon\w*|"
    r"nie okreslon\w*|nie dotyczy|n/?a|b\.? ?d\.?|tb[acd]|"
    r"to be (?:announced|confirmed|determined)|not (?:yet )?(?:known|set|announced)|"
    r"wkrotce|zostanie (?:podan|oglosz)\w*|(?:termin|data) zostanie \w+|"
    r"nieznan\w*|unknown|pending)(?![a-z])|\?+"
)


def _warsaw_today() -> date:
    return datetime.now(ZoneInfo(WARSAW)).date()


def _infer_year(month: int, day: int, today: date) -> int:
    """The year of the first (month, day) not more than `_PAST_WINDOW` before today."""
    try:
        floor = today - _PAST_WINDOW
    except OverflowError as exc:
        raise DateParseError("today is out of range") from exc
    for year in range(floor.year, floor.year + 9):  # 29 Feb may need 8 years
        try:
            if date(year, month, day) >= floor:
                return year
        except ValueError:
            continue
    raise DateParseError(f"no year for {day}.{month} near {today}")


def _resolve(hit: Hit, today: date | None) -> FuzzyDate:
    if hit.fuzzy is not None:
        return hit.fuzzy
    assert hit.month_day is not None
    return hit.resolve(_infer_year(*hit.month_day, today or _warsaw_today()))


def _resolve_before(hit: Hit, end: FuzzyDate) -> FuzzyDate:
    """A range start: a missing year is the end's, or the one before."""
    if hit.fuzzy is not None or hit.month_day is None:
        return hit.resolve(end.first.year)
    year = end.first.year
    if hit.month_day > (end.first.month, end.first.day):
        year -= 1
    return hit.resolve(year)


def _resolve_after(hit: Hit, start: FuzzyDate) -> FuzzyDate:
    """A range end without a year: the start's year, or the one after."""
    assert hit.month_day is not None
    year = start.last.year
    if hit.month_day < (start.last.month, start.last.day):
        year += 1
    return hit.resolve(year)


def parse_date(text: str, *, lang: str = "pl", today: date | None = None) -> FuzzyDate:
    """One date in any form the sources use; DateParseError if there is none,
    if it cannot exist, or if the text holds several different dates."""
    norm = normalize(text)
    hits = scan(norm, lang, strict=True)
    if not hits:
        raise DateParseError(f"no date in {text!r}")
    dates = [_resolve(hit, today) for hit in hits]
    if any(d != dates[0] for d in dates[1:]):
        raise DateParseError(f"several dates in {text!r}; use parse_range/find_dates")
    return dates[0]


def parse_range(
    text: str, *, lang: str = "pl", today: date | None = None
) -> tuple[FuzzyDate | None, FuzzyDate]:
    """(opening, closing) from "od ... do ...", "a – b" and the like.

    A lone date is a closing date: (None, date); but a lone date that the text
    calls an opening ("od 1 marca 2025", "Start 31.08.2026") raises, since it is
    no deadline. Of more than two dates, the one "od X do Y" pair is taken;
    without exactly one such pair it raises.
    """
    norm = normalize(text)
    hits = scan(norm, lang, strict=True)
    if not hits:
        raise DateParseError(f"no date in {text!r}")
    if len(hits) == 1:
        end = _resolve(hits[0], today)
        before = norm[: hits[0].start]
        if partial := _PARTIAL_START.search(before):
            return _partial_start(partial, end), end
        if _last_role(before) == "opening":
            raise DateParseError(f"only an opening date in {text!r}")
        return None, end
    first, last = _the_pair(norm, hits)
    if last.fuzzy is None and first.fuzzy is not None:
        end = _resolve_after(last, first.fuzzy)  # "od 1.03.2025 do 31 marca"
    else:
        end = _resolve(last, today)
    start = _resolve_before(first, end)
    if start.first > end.last:
        raise DateParseError(f"range ends before it starts: {text!r}")
    return start, end


def _last_role(before: str) -> str | None:
    """'opening' or 'closing': what the last role word before a date says."""
    roles = [m.lastgroup for m in _ROLE_WORD.finditer(before)]
    return roles[-1] if roles else None


def _the_pair(norm: str, hits: list[Hit]) -> tuple[Hit, Hit]:
    """Two dates are the range; among more, the one "od X do Y" pair is
    ("od 1.03 do 31.03.2025 (ogłoszenie z 15.02.2025)"), else we cannot tell."""
    if len(hits) == 2:
        return hits[0], hits[1]
    pairs = [
        (hit, nxt)
        for prev_end, hit, nxt in zip(
            [0, *(h.end for h in hits)], hits, hits[1:], strict=False
        )
        if _last_role(norm[prev_end : hit.start]) == "opening"
        and _RANGE_JOIN.search(norm[hit.end : nxt.start])
    ]
    if len(pairs) != 1:
        raise DateParseError(f"{len(hits)} dates and no single od/do pair")
    return pairs[0]


def _partial_start(m: re.Match[str], end: FuzzyDate) -> FuzzyDate:
    """The start of "1-31 marca 2025" / "od 1.03 do 31.03.2025": end's month/year."""
    month = int(m["m"]) if m["m"] else end.first.month
    hit = Hit(m.start(), m.end(), month_day=(month, int(m["d"])))
    start = _resolve_before(hit, end)
    if start.first > end.last:
        raise DateParseError("range ends before it starts")
    return start


def find_dates(
    text: str, *, lang: str = "pl", today: date | None = None
) -> list[FuzzyDate]:
    """Every readable date in running prose, in order; impossible ones are
    skipped, and this never raises. A yearless day joined to the next date by
    "do"/"-" takes that date's year, as in `parse_range`."""
    norm = normalize(text)
    hits = scan(norm, lang, strict=False)
    found: list[FuzzyDate] = []
    for i in range(len(hits)):
        try:
            found.append(_resolve_in_prose(norm, hits, i, today))
        except DateParseError:
            continue
    return found


def _resolve_in_prose(
    norm: str, hits: list[Hit], i: int, today: date | None
) -> FuzzyDate:
    hit = hits[i]
    if hit.fuzzy is None and i + 1 < len(hits):
        nxt = hits[i + 1]
        gap = norm[hit.end : nxt.start]
        joined = len(gap) <= 40 and _RANGE_JOIN.search(gap) and not _DIGIT.search(gap)
        if nxt.fuzzy is not None and joined:
            return _resolve_before(hit, nxt.fuzzy)
    return _resolve(hit, today)


def is_undetermined(text: str) -> bool:
    """True when the text says there is no date yet ("w trakcie ustalania",
    "do ustalenia", "brak", "-", ""), so a missing date is no parse error."""
    norm = normalize(text).strip(" .,:;()[]*-_/")
    if not norm:
        return True
    if not _UNDETERMINED.search(norm):
        return False
    return not scan(norm, "pl", strict=False)  # "do ustalenia, IV kw. 2026": a date
