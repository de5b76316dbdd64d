"""Field parsers for NCN's sidebar blocks and call pages (see `pl_ncn`): entries,
slugs and families, dates, budget, applicants, instrument and areas of science.
The page's text is read by `_pl_ncn_text`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from spiders.items import Deadline
from spiders.parsing import (
    AmountParseError,
    DateParseError,
    FuzzyDate,
    Money,
    find_amount,
    find_dates,
    parse_date,
)
from spiders.sources._pl_ncn_text import text_of
from tracker.vocab import ApplicantType, Instrument

SITE = "https://ncn.gov.pl"
SEED_PATH = "/finansowanie-nauki/konkursy/harmonogram"
NCN_HOSTS = frozenset({"ncn.gov.pl", "www.ncn.gov.pl"})
# A call page: /ogloszenia/konkursy/{slug}, /en/... on the English site.
CALL_PATH = re.compile(r"^/(?:en/)?ogloszenia/konkursy/(?P<slug>[^/]*)/?$")
OPEN_BLOCK = (
    ("otwarte-konkursy",),
    ("aktualnie otwarte konkursy", "otwarte konkursy", "open calls"),
)
UPCOMING_BLOCK = (
    ("najblizsze-konkursy",),
    ("najbliższe konkursy", "upcoming calls"),
)
DEADLINE = {
    "pl": re.compile(
        r"termin\w* składania wniosków|nabór wniosków (?:potrwa|trwa)|potrwa do|"
        r"wnioski (?:można|należy) składać do",
        re.I,
    ),
    "en": re.compile(
        r"closes on|(?:submission )?deadline|(?:proposals|applications) "
        r"(?:may|can|must) be submitted (?:until|by)",
        re.I,
    ),
}
BUDGET = re.compile(r"budżet|budget", re.I)
# "…w kwocie 30 mln zł" counts only where the sentence is about the call's money
# (a monthly stipend "w kwocie 5000 zł" is not the budget).
IN_AMOUNT = re.compile(r"\bkwocie\b", re.I)
IN_AMOUNT_CONTEXT = re.compile(r"konkurs|przeznacz", re.I)
# Only a call "for scholarships" is a fellowship; NCN grants often pay stipends.
FELLOWSHIP = re.compile(
    r"\bkonkurs\w*\s+na\s+stypendi|\bcall\s+for\s+(?:doctoral\s+)?"
    r"(?:scholarships|fellowships)",
    re.I,
)
# Stems matched at a word start; "naukowc" is a person, "jednostk" an entity.
APPLICANTS: tuple[tuple[re.Pattern[str], tuple[ApplicantType, ...]], ...] = tuple(
    (re.compile(pattern, re.I), kinds)
    for pattern, kinds in (
        (
            r"\b(naukow(?:iec|c)|badacz|osob\w* (?:fizyczn|rozpoczynając)|"
            r"researchers?\b|scientists?\b|individuals?\b)",
            (ApplicantType.INDIVIDUAL_RESEARCHER,),
        ),
        (
            r"\bjednost\w* naukow|\bresearch entit",
            (ApplicantType.UNIVERSITY, ApplicantType.RESEARCH_INSTITUTE),
        ),
        (r"\b(uczelni|universit|higher education)", (ApplicantType.UNIVERSITY,)),
        (r"\b(instytut|institute)", (ApplicantType.RESEARCH_INSTITUTE,)),
        (r"\b(konsorcj|consorti)", (ApplicantType.CONSORTIUM,)),
    )
)
# NCN's three areas of science, with the codes its panels use.
PANELS: tuple[tuple[re.Pattern[str], str, dict[str, str]], ...] = tuple(
    (re.compile(pattern, re.I), code, labels)
    for pattern, code, labels in (
        (
            r"\bnauk\w* humanistyczn|\bhumanities",
            "HS",
            {
                "pl": "Nauki Humanistyczne, Społeczne i o Sztuce",
                "en": "Humanities, Social Sciences and Arts",
            },
        ),
        (
            r"\bnauk\w* o życiu|\blife sciences",
            "NZ",
            {"pl": "Nauki o Życiu", "en": "Life Sciences"},
        ),
        (
            r"\bnauk\w* ścisł\w* i techniczn|\bphysical sciences and engineering",
            "ST",
            {
                "pl": "Nauki Ścisłe i Techniczne",
                "en": "Physical Sciences and Engineering",
            },
        ),
    )
)
# "SONATA BIS 15" -> "SONATA BIS"; a family is capitals before the call number.
FAMILY = re.compile(r"^((?:[A-ZĄĆĘŁŃÓŚŹŻ]{2,}[ -]?)+?)\s*\d+\b")
SLUG_FAMILY = re.compile(r"^([a-z]+(?:-[a-z]+)*)-?\d+")
_NOT_WORD = re.compile(r"[^\w]+")


class EntryError(ValueError):
    """A sidebar entry that cannot be read; `kind` is counted as a crawl problem."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass(frozen=True)
class Entry:
    """One link of a sidebar block: the call's name, page, slug and date text."""

    name: str
    url: str
    slug: str | None  # None when the link is not a call page
    date_text: str


def find_block(
    page: Selector, spec: tuple[tuple[str, ...], tuple[str, ...]]
) -> Selector | None:
    """A sidebar block by its id, else the block whose heading reads as expected."""
    ids, headings = spec
    for block_id in ids:
        if found := page.xpath("//*[@id=$id]", id=block_id):
            return found[0]
    for heading in page.xpath("//*[self::h2 or self::h3 or self::h4]"):
        if text_of(heading).lower() in headings:
            return heading.xpath("..")[0]
    return None


def parse_entry(item: Selector, base_url: str) -> Entry:
    """One sidebar item (`li` or bare `a`): name, absolute URL, slug, date text."""
    link = item if item.root.tag == "a" else next(iter(item.css("a")), None)
    if link is None:
        raise EntryError("no_link", text_of(item)[:60])
    date_node = next(iter(item.css("time, [class*=date], [class*=termin]")), None)
    date_text = text_of(date_node) if date_node is not None else ""
    name = text_of(link).replace(date_text, "").strip() if date_text else text_of(link)
    if not date_text:
        date_text = text_of(item).replace(text_of(link), "", 1).strip(" -–:,")
    href = link.attrib.get("href", "").strip()
    if not name or not href:
        raise EntryError("no_title" if href else "no_link", text_of(item)[:60])
    url = urljoin(base_url, href)
    parts = urlsplit(url)
    match = CALL_PATH.match(parts.path) if parts.hostname in NCN_HOSTS else None
    if match is not None and not match["slug"]:
        raise EntryError("no_slug", url)
    return Entry(name, url, match["slug"] if match else None, date_text)


def slug_of(url: str) -> str | None:
    """The call slug of an NCN call page URL ("opus29"), else None."""
    parts = urlsplit(url)
    match = CALL_PATH.match(parts.path)
    return match["slug"] or None if match and parts.hostname in NCN_HOSTS else None


def slug_for_name(name: str) -> str:
    """The slug NCN would give a call ("SONATA BIS 8" -> "sonata-bis8")."""
    match = FAMILY.match(name.strip())
    if match is None:
        return _NOT_WORD.sub("-", name.lower()).strip("-")
    family = _NOT_WORD.sub("-", match[1].strip().lower()).strip("-")
    return family + name[match.end(1) :].split()[0]


def call_family(title: str, slug: str) -> str | None:
    """The programme family of a call ("SONATA BIS"), from its title or slug."""
    if match := FAMILY.match(title.strip()):
        return " ".join(match[1].replace("-", " ").split())
    if match := SLUG_FAMILY.match(slug):
        return match[1].replace("-", " ").upper()
    return None


def parse_applicants(answer: str) -> list[ApplicantType]:
    """Applicant types the answer names, in vocabulary order."""
    found = {
        kind
        for pattern, kinds in APPLICANTS
        if pattern.search(answer)
        for kind in kinds
    }
    return [kind for kind in ApplicantType if kind in found]


def parse_instrument(text: str) -> Instrument:
    """FELLOWSHIP for a call for scholarships, else GRANT."""
    return Instrument.FELLOWSHIP if FELLOWSHIP.search(text) else Instrument.GRANT


def parse_panels(text: str, lang: str) -> list[tuple[str, str]]:
    """(code, name) of the NCN areas (HS, NZ, ST) the page names."""
    return [
        (code, names[lang]) for pattern, code, names in PANELS if pattern.search(text)
    ]


def parse_opening(
    blocks: list[str], lang: str, today: date
) -> tuple[FuzzyDate | None, str | None]:
    """The date line near the top ("16 czerwca 2025 r."), and its text."""
    for block in blocks[:3]:
        if len(block) > 40:
            continue
        try:
            return parse_date(block, lang=lang, today=today), block
        except DateParseError:
            continue
    return None, None


def parse_deadline(
    lines: list[str], lang: str, today: date, tz: str, problems: list[str]
) -> list[Deadline]:
    """The submission deadline; DateParseError when its sentence has no date."""
    stated = [s for s in lines if DEADLINE[lang].search(s)]
    for sentence in stated:
        if found := find_dates(sentence, lang=lang, today=today):
            return [found[-1].to_deadline(tz)]
    if stated:
        raise DateParseError(f"no date in deadline sentence {stated[0]!r}")
    problems.append("no_deadline: no deadline sentence on the page")
    return []


def parse_budget(lines: list[str], problems: list[str]) -> Money | None:
    """The call budget from the sentence that names it."""
    candidates = [s for s in lines if BUDGET.search(s)] + [
        s for s in lines if IN_AMOUNT.search(s) and IN_AMOUNT_CONTEXT.search(s)
    ]
    for sentence in candidates:
        try:
            if money := find_amount(sentence):
                return money
        except AmountParseError:
            problems.append(f"budget_unreadable: {sentence[:80]}")
    return None
