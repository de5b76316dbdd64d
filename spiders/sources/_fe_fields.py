"""What the Polish EU-funds portals' words mean: status words, applicants,
submission windows (one per round), the kind of support and the budget.

Shared by the FE card reader (`_fe_cards`) and the FE spiders; the wording is
taken from public texts (pl-sources.md §5-6), the markup is not needed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spiders.parsing import (
    AmountParseError,
    FuzzyDate,
    Money,
    find_amount,
    find_dates,
    parse_range,
)
from spiders.sources._fe_text import Para, clean
from tracker.vocab import ApplicantType, CallStatus, Instrument

# The sources' own status words (lower case) -> hints; anything else is unknown.
STATUS: dict[str, CallStatus] = {
    "trwa nabór": CallStatus.OPEN,
    "trwa nabór wniosków": CallStatus.OPEN,
    "nabór trwa": CallStatus.OPEN,
    "otwarty": CallStatus.OPEN,
    "planowany": CallStatus.FORTHCOMING,
    "nabór planowany": CallStatus.FORTHCOMING,
    "zakończony": CallStatus.CLOSED,
    "nabór zakończony": CallStatus.CLOSED,
    "zamknięty": CallStatus.CLOSED,
    "wyniki": CallStatus.CLOSED,
    "rozstrzygnięty": CallStatus.CLOSED,
}


def parse_status(word: str | None) -> CallStatus | None:
    """The hint for a status word the sources use; None for any other."""
    return STATUS.get(clean(word).lower()) if word else None


_APPLICANTS: tuple[tuple[ApplicantType, str], ...] = (
    (ApplicantType.UNIVERSITY, r"uczelni|szkoł\w* wyższ|uniwersytet"),
    (
        ApplicantType.RESEARCH_INSTITUTE,
        r"jednost\w* naukow|organizacj\w* badawcz|instytut\w* (?:badawcz|naukow)",
    ),
    (ApplicantType.SME, r"\bmśp\b|mikro|\bmał\w* (?:i|lub) średni|średni\w* przedsięb"),
    (ApplicantType.LARGE_COMPANY, r"duż\w* przedsięb"),
    (ApplicantType.NGO, r"organizacj\w* pozarządow|stowarzysz|fundacj"),
    (
        ApplicantType.PUBLIC_BODY,
        r"jednost\w* samorządu|\bjst\b|administracj\w* (?:publiczn|rządow)"
        r"|państwow\w* jednost|podmiot\w* lecznicz\w* publiczn",
    ),
    (ApplicantType.CONSORTIUM, r"konsorcj"),
)
_ANY_COMPANY = re.compile(r"przedsiębiorc|przedsiębiorstw", re.I)


def parse_applicants(text: str) -> list[ApplicantType]:
    """The applicant types the text names; enterprises of no stated size: all."""
    found = [kind for kind, pattern in _APPLICANTS if re.search(pattern, text, re.I)]
    sized = {ApplicantType.SME, ApplicantType.LARGE_COMPANY} & set(found)
    if not sized and _ANY_COMPANY.search(text):
        found += [ApplicantType.SME, ApplicantType.LARGE_COMPANY]
    return [kind for kind in ApplicantType if kind in found]


_ROUND = re.compile(
    r"\b(?:([IVX]+|\d+)\.?\s+rund\w*|rund\w*\s+(?:nr\s*)?([IVX]+|\d+))\b", re.I
)
# Dates of other events that a "Termin" section may mention.
_NOT_SUBMISSION = re.compile(r"rozstrzygn|wynik", re.I)
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8}


@dataclass(frozen=True)
class Term:
    """One submission window; `label` names the round when there are several."""

    start: FuzzyDate | None
    end: FuzzyDate
    label: str | None = None


def _round_number(match: re.Match[str]) -> int:
    """3 for "III runda" or "runda 3"; 0 when unreadable."""
    value = (match.group(1) or match.group(2)).upper()
    return int(value) if value.isdigit() else _ROMAN.get(value, 0)


def parse_terms(lines: list[str]) -> list[Term]:
    """The windows in a "Termin składania wniosków" section, one per round;
    `DateParseError` when a line with dates is no readable range."""
    segments: list[tuple[int | None, str]] = []
    for line in lines:
        cuts = [m.start() for m in _ROUND.finditer(line)] or [0]
        for begin, end in zip([0, *cuts[1:]], [*cuts[1:], len(line)], strict=True):
            part = line[begin:end]
            marker = _ROUND.search(part)
            if find_dates(part) and not _NOT_SUBMISSION.search(part):
                segments.append((_round_number(marker) if marker else None, part))
    terms = []
    for index, (number, part) in enumerate(segments, start=1):
        start, end = parse_range(part)
        several = len(segments) > 1 or number is not None
        terms.append(Term(start, end, f"runda {number or index}" if several else None))
    return terms


_INSTRUMENTS: tuple[tuple[Instrument, str], ...] = (
    (Instrument.LOAN, r"pożycz"),
    (Instrument.VOUCHER, r"\bbon\w*\b|voucher"),
    (Instrument.PRIZE, r"nagrod"),
    (Instrument.FELLOWSHIP, r"stypendi"),
)


def parse_instrument(title: str) -> Instrument:
    """What the title says the support is; a grant unless it names another kind."""
    for instrument, pattern in _INSTRUMENTS:
        if re.search(pattern, title, re.I):
            return instrument
    return Instrument.GRANT


_BUDGET = re.compile(r"kwot\w* (?:środków )?przeznaczon|alokacj|budżet", re.I)
_NOT_BUDGET = re.compile(r"maksymaln|minimaln|wkład", re.I)


def parse_budget(paras: list[Para]) -> Money | None:
    """The call's budget: the first amount in (or under) a budget line."""
    for index, para in enumerate(paras):
        if not _BUDGET.search(para.text) or _NOT_BUDGET.search(para.text):
            continue
        following = paras[index + 1].text if index + 1 < len(paras) else ""
        for text in (para.text, following):
            try:
                money = find_amount(text)
            except AmountParseError:
                money = None
            if money is not None:
                return money
    return None
