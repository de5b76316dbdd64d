"""Field parsers for PARP's schedule tiles and call pages (see `pl_parp`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from parsel import Selector

from spiders.parsing import (
    DateParseError,
    FuzzyDate,
    Money,
    find_amount,
    find_dates,
    parse_date,
)
from tracker.vocab import ApplicantType, CallStatus, Instrument

PARP_HOSTS = frozenset({"www.parp.gov.pl", "parp.gov.pl"})
PROGRAMMES: dict[str, tuple[str, str]] = {
    "feng": ("FENG", "Fundusze Europejskie dla Nowoczesnej Gospodarki"),
    "fers": ("FERS", "Fundusze Europejskie dla Rozwoju Społecznego"),
    "fepw": ("FEPW", "Fundusze Europejskie dla Polski Wschodniej"),
}
ROUND_LABELS = {"data rozpoczęcia rundy": "start", "data zakończenia rundy": "end"}
# Status words PARP puts into a tile's title or notes; anything else is no hint.
STATUS_WORDS = {
    "nabór zakończony": CallStatus.CLOSED,
    "trwa nabór": CallStatus.OPEN,
    "nabór planowany": CallStatus.FORTHCOMING,
}
# Invalid call pages answer 200 with the site's generic <title> (pl-sources.md §4).
GENERIC_TITLE = "PARP - Centrum Rozwoju MŚP - www.parp.gov.pl"
FE_NUMBER = re.compile(r"\bFE[A-Z]{1,4}\.\d{2}\.\d{2}-[A-Z]{2}\.\d{2}-\d{3}/\d{2}\b")
MAX_FUNDING = re.compile(r"maksymalne dofinansowanie\s*:?\s*(?P<value>.*)", re.I)
# A tile "description" that is only a link to an operator's site.
LINK_ONLY = re.compile(r"^przejdź na stronę", re.I)
MANY_ROUNDS = re.compile(r"kilka rund", re.I)
CALL_END = re.compile(r"koniec naboru\s*:?\s*(?P<value>.+)", re.I)
APPLICANT_HEADINGS = re.compile(
    r"^(dla kogo|kto może (składać wnioski|złożyć wniosek|ubiegać się))", re.I
)
BUDGET_LABEL = re.compile(
    r"^(budżet naboru|alokacja|kwota przeznaczona na dofinansowanie)", re.I
)
# Stems of the applicant words PARP's pages use, matched at a word start.
APPLICANTS: tuple[tuple[re.Pattern[str], ApplicantType], ...] = tuple(
    (re.compile(pattern, re.I), kind)
    for pattern, kind in (
        (r"\bMŚP\b|\b(mikro|mał\w*)[\w ,-]*średni\w* przedsiębior", ApplicantType.SME),
        (r"\bduż\w* przedsiębior", ApplicantType.LARGE_COMPANY),
        (r"\bkonsorcj", ApplicantType.CONSORTIUM),
        (r"\buczelni", ApplicantType.UNIVERSITY),
        (
            r"\b(organizacj\w* badawcz|jednost\w* naukow|instytut\w* badawcz)",
            ApplicantType.RESEARCH_INSTITUTE,
        ),
        (r"\b(organizacj\w* pozarządow|fundacj|stowarzysze)", ApplicantType.NGO),
        (r"\b(jednost\w* samorządu|JST\b)", ApplicantType.PUBLIC_BODY),
    )
)
NOT_SLUG = re.compile(r"[^\w]+")
INSTRUMENTS = (
    (re.compile(r"\bbon(y|ów)?\b", re.I), Instrument.VOUCHER),
    (re.compile(r"\bpożycz", re.I), Instrument.LOAN),
)


class TileError(ValueError):
    """A tile that cannot be read; `kind` is counted as a crawl problem."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass(frozen=True)
class Round:
    start: FuzzyDate | None
    end: FuzzyDate | None

    def sort_key(self) -> tuple[date, date]:
        """Date order: by start (or end, when the tile gives no start), then end."""
        first = self.start or self.end
        return (
            first.first if first else date.max,
            self.end.last if self.end else date.max,
        )


@dataclass
class Tile:
    """One schedule tile: one round of one call, as printed."""

    href: str
    title: str
    programme: str
    description: str | None
    max_funding: str | None
    dates: list[tuple[str, str]]  # (label, value) as printed
    notes: list[str] = field(default_factory=list)
    round: Round = Round(None, None)

    def facts(self) -> tuple[object, ...]:
        """What the tile says, as printed: the input of the listing hash."""
        return (self.programme, self.description, self.max_funding, self.dates)


def _text(node: Selector | None) -> str:
    """Whitespace-collapsed text of a node, '' for none."""
    return (node.xpath("normalize-space()").get() or "") if node is not None else ""


def _parse_programme(classes: str) -> str:
    """The `schedule-<x>` suffix of a tile's classes ('' when there is none)."""
    suffixes = [c[9:] for c in classes.split() if c.startswith("schedule-")]
    suffixes = [s for s in suffixes if s != "main"]
    return suffixes[0] if suffixes else ""


def _parse_dates(tile: Selector) -> list[tuple[str, str]]:
    """(label, value) pairs: a `p.text-cr-18` value, then its `p.text-cr-13` label."""
    pairs = []
    for value in tile.css("p.m-0.text-cr-18"):
        label = value.xpath("following-sibling::p[1][contains(@class,'text-cr-13')]")
        pairs.append((_text(label[0] if label else None).lower(), _text(value)))
    return pairs


def _parse_round(dates: list[tuple[str, str]]) -> Round:
    """The round's start and end; `TileError` on an unknown label or bad date."""
    found: dict[str, FuzzyDate] = {}
    for label, value in dates:
        if label not in ROUND_LABELS:
            raise TileError("unknown_date_label", f"{label!r} ({value!r})")
        try:
            found[ROUND_LABELS[label]] = parse_date(value)
        except DateParseError as exc:
            raise TileError("bad_date", f"{label} {value!r}") from exc
    if not found:
        raise TileError("no_dates", "the tile gives no round dates")
    return Round(found.get("start"), found.get("end"))


def parse_tile(tile: Selector) -> Tile:
    """A schedule tile (`a.schedule-main`); `TileError` when it cannot be one."""
    href = (tile.attrib.get("href") or "").strip()
    title = _text(tile.css("p.text-mm-18")[:1] or None)
    if not href or not title:
        raise TileError("missing_title" if href else "missing_link", title or href)
    description = _text(tile.css("p.text-cr-14.text-dark.mb-3")[:1] or None)
    if LINK_ONLY.match(description):
        description = ""
    max_funding = None
    notes = []
    for p in tile.css("p.text-cr-14, p.text-cr-13:not(.text-uppercase)"):
        text = _text(p)
        if match := MAX_FUNDING.match(text):
            max_funding = match["value"].strip() or None
        elif "text-cr-13" in p.attrib.get("class", "") and text:
            notes.append(text)
    dates = _parse_dates(tile)
    return Tile(
        href=href,
        title=title,
        programme=_parse_programme(tile.attrib.get("class", "")),
        description=description or None,
        max_funding=max_funding,
        dates=dates,
        notes=notes,
        round=_parse_round(dates),
    )


def parse_call_end(notes: list[str]) -> FuzzyDate | None:
    """The call's last day from a note "Nabór ma kilka rund. Koniec naboru: …"."""
    for note in notes:
        if match := CALL_END.search(note):
            dates = find_dates(match["value"])
            if not dates:
                raise TileError("bad_date", f"call end {note!r}")
            return dates[0]
    return None


def parse_status(texts: list[str]) -> CallStatus | None:
    """The status hint from PARP's own words in a title or note."""
    for text in texts:
        for words, status in STATUS_WORDS.items():
            if words in text.lower():
                return status
    return None


def parse_instrument(title: str) -> Instrument:
    """A voucher ('Bony na innowacje') or loan by its title, else a grant."""
    return next(
        (kind for rx, kind in INSTRUMENTS if rx.search(title)), Instrument.GRANT
    )


def parse_applicants(text: str) -> list[ApplicantType]:
    """Applicant types the text names, in vocabulary order."""
    found = {kind for rx, kind in APPLICANTS if rx.search(text)}
    return [kind for kind in ApplicantType if kind in found]


def page_blocks(container: Selector) -> list[tuple[str, str]]:
    """(tag, text) of the headings, paragraphs and list items, in page order."""
    nodes = container.xpath(
        ".//*[self::h2 or self::h3 or self::h4 or self::p or self::li]"
        "[not(ancestor::nav or ancestor::header or ancestor::footer)]"
    )
    blocks = [(node.root.tag, _text(node)) for node in nodes]
    return [(tag, text) for tag, text in blocks if text]


def _applicant_texts(blocks: list[tuple[str, str]]) -> list[str]:
    """Texts under "Dla kogo" / "Kto może …" headings, or paragraphs opening so."""
    texts: list[str] = []
    under = False
    for tag, text in blocks:
        if tag in ("h2", "h3", "h4"):
            under = bool(APPLICANT_HEADINGS.match(text))
        elif under or APPLICANT_HEADINGS.match(text):
            texts.append(text)
    return texts


def parse_page_applicants(
    blocks: list[tuple[str, str]], problems: list[str]
) -> list[ApplicantType]:
    """Applicant types a call page states; a problem when its words are unclear."""
    texts = _applicant_texts(blocks)
    kinds = parse_applicants(" ".join(texts))
    if texts and not kinds:
        problems.append(f"applicants_unclear: {' '.join(texts)[:120]}")
    return kinds


def parse_budget(blocks: list[tuple[str, str]], problems: list[str]) -> Money | None:
    """The call's allocation ("Budżet naboru", "Alokacja"), not a project's cap."""
    for index, (tag, text) in enumerate(blocks):
        if not (match := BUDGET_LABEL.match(text)):
            continue
        value = text[match.end() :]
        if tag.startswith("h") and index + 1 < len(blocks):
            value = blocks[index + 1][1]
        if money := find_amount(value):
            return money
        problems.append(f"budget_unreadable: {text}")
    return None


def parse_call_number(blocks: list[tuple[str, str]], problems: list[str]) -> str | None:
    """The FE call number in the page's text (the first, if several)."""
    numbers = list(dict.fromkeys(FE_NUMBER.findall(" ".join(t for _, t in blocks))))
    if len(numbers) > 1:
        problems.append(f"several_call_numbers: {', '.join(numbers)}")
    return numbers[0] if numbers else None


def merge_description(blocks: list[tuple[str, str]], listing: str | None) -> str | None:
    """The page's text, then the schedule's lines it does not repeat."""
    texts = [text for _, text in blocks]
    lines = (listing or "").split("\n\n")
    texts += [line for line in lines if line and line not in texts]
    return "\n\n".join(texts) or None


def source_ids(keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Per (href, title): the page slug, or off-site host and path; plus a title
    slug when several titles share one page."""
    bases = {}
    for href, title in keys:
        parts = urlsplit(href)
        path = parts.path.strip("/")
        if (parts.hostname or "") in PARP_HOSTS:
            bases[(href, title)] = path.rsplit("/", 1)[-1]
        else:
            bases[(href, title)] = f"{parts.hostname}/{path}".rstrip("/")
    ids = {}
    for key, base in bases.items():
        shared = sum(other == base for other in bases.values()) > 1
        title = NOT_SLUG.sub("-", key[1].lower()).strip("-")
        ids[key] = f"{base}/{title}" if shared else base
    return ids
