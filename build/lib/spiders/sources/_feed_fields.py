"""Field parsers for RSS/Atom entries: HTML to text, deadlines, amounts, numbers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from w3lib.html import remove_tags, replace_entities

from spiders.items import Deadline
from spiders.parsing import AmountParseError, FuzzyDate, Money, find_amount, find_dates

_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|ul|ol|table|tr|blockquote)>", re.I)
_LINE_BREAK = re.compile(r"<br\s*/?>", re.I)
_LIST_ITEM = re.compile(r"<li\b[^>]*>", re.I)
_SENTENCE_END = re.compile(r"\n+|(?<=[.!?])\s+(?=[A-ZĄĆĘŁŃÓŚŹŻ])")
# Words by which a sentence says that its date is a deadline; a results date
# ("termin rozstrzygnięcia konkursu") is none.
_DEADLINE_CUE = re.compile(
    r"(?<!\w)(?:termin(?!\w*\s+(?:rozstrzygni|ogłoszenia))\w*|do dnia|upływa|"
    r"potrwa do|zakończeni\w* naboru|zamknięci\w* naboru|deadline\w*|"
    r"clos(?:e|es|ed|ing)(?!\w)|until)",
    re.I,
)
_RANGE = re.compile(r"(?<!\w)(?:od|from|between)(?!\w)|\s[–—-]\s", re.I)
_BUDGET_CUE = re.compile(
    r"(?<!\w)(?:budżet\w*|alokacj\w*|kwota przeznaczona|budget|total funding)", re.I
)
# Official call numbers: FE 2021-27, RPO Lubelskie 2014-20, ABM, NFOŚiGW.
_CALL_NUMBERS = (
    re.compile(r"\bFE[A-Z]{1,4}\.\d{2}\.\d{2}-[A-Z]{2}\.\d{2}-\d{3}/\d{2}\b"),
    re.compile(r"\bRPLU\.\d{2}\.\d{2}\.\d{2}-[A-Z]{2}\.\d{2}-\d{2}-\d{3}/\d{2}\b"),
    re.compile(r"\bABM/\d{4}/\d+\b"),
    re.compile(r"\b\d{1,3}/NC/[A-Z]{2,3}/\d+(?:\.\d+)*/\d{4}\b"),
)
_PROGRAMME = re.compile(r"\b(FENG|FERS|FEPW|FELU|FENX)\b")


class EntryError(Exception):
    """An entry that cannot become a call; `kind` is counted in the crawl stats."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def fold(text: str) -> str:
    """Lower case without diacritics, so that "nabor" matches "nabór", "naboru"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def mentions(text: str, words: Iterable[str]) -> bool:
    """True when a word of the text starts with one of `words` (case, accents aside)."""
    folded = fold(text)
    return any(re.search(r"(?<!\w)" + re.escape(fold(w)), folded) for w in words)


def included(text: str, include: Iterable[str], exclude: Iterable[str] = ()) -> bool:
    """Whether an entry is a call: it mentions an `include` word (if any are
    given) and no `exclude` word."""
    include = list(include)
    return (not include or mentions(text, include)) and not mentions(text, exclude)


def html_text(value: str) -> str:
    """Feed HTML as plain text, one blank line between paragraphs."""
    value = _BLOCK_END.sub("\n\n", _LIST_ITEM.sub("\n- ", value))
    value = replace_entities(remove_tags(_LINE_BREAK.sub("\n", value)))
    lines = (" ".join(line.split()) for line in value.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def detail_text(detail: Mapping[str, Any] | None) -> str:
    """The text of a feedparser `*_detail` value, HTML or plain."""
    if not detail or not detail.get("value"):
        return ""
    value = str(detail["value"])
    return html_text(value) if "html" in str(detail.get("type", "")) else value.strip()


def sentences(text: str) -> Iterator[str]:
    """Lines and sentences of plain text."""
    return (s.strip() for s in _SENTENCE_END.split(text) if s.strip())


def _parse_deadline_date(
    sentence: str, lang: str, today: date | None
) -> FuzzyDate | None:
    """The date a sentence calls a deadline: after its cue, a range's end."""
    cue = _DEADLINE_CUE.search(sentence)
    if cue is None:
        return None
    tail = sentence[cue.start() :]
    dates = find_dates(tail, lang=lang, today=today)
    if len(dates) >= 2 and _RANGE.search(tail):
        return dates[1]
    if dates:
        return dates[0]
    before = find_dates(sentence[: cue.start()], lang=lang, today=today)
    return before[-1] if before else None  # "30 kwietnia upływa termin"


def parse_deadlines(
    text: str, lang: str, tz: str, today: date | None
) -> list[Deadline]:
    """One deadline per sentence that says it names one."""
    by_day: dict[date, FuzzyDate] = {}
    for sentence in sentences(text):
        found = _parse_deadline_date(sentence, lang, today)
        # A title's "deadline 30 April" and the text's "30 April at 12:00" are one.
        if found is None:
            continue
        known = by_day.get(found.last)
        if known is None or (known.time is None and found.time is not None):
            by_day[found.last] = found
    return [d.to_deadline(tz) for d in by_day.values()]


def parse_budget(text: str) -> Money | None:
    """The first amount in a sentence about the call's budget."""
    for sentence in sentences(text):
        if _BUDGET_CUE.search(sentence):
            try:
                money = find_amount(sentence)
            except AmountParseError:
                continue
            if money is not None:
                return money
    return None


def parse_call_identifier(text: str) -> str | None:
    """The first official call number in the text."""
    found = [m for p in _CALL_NUMBERS if (m := p.search(text))]
    return min(found, key=lambda m: m.start()).group(0) if found else None


def parse_programme_codes(text: str, identifier: str | None) -> list[str]:
    """Programme abbreviations (FENG, FERS, ...) in the call number and the text."""
    codes = [m.group(1) for m in _PROGRAMME.finditer(f"{identifier or ''} {text}")]
    return list(dict.fromkeys(codes))
