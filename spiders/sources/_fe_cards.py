"""The call cards of the Polish EU-funds portals (FE regional cards, the national
portal): official call numbers, the cards on a listing and what each says, paging.

Everything here reads *text and structure* rather than deep CSS paths: the only
captured card is FE Śląskie's `section.recruitment-wrapper`
(`../shared/fixtures/pl_regional_portal/fe_slaskie_nabory_cards.html`); the
Lubelskie cards and the national portal are known only from their wording.
Page text is read by `_fe_text`, the meaning of words by `_fe_fields`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from spiders.parsing import parse_date
from spiders.sources._fe_fields import Term, parse_status
from spiders.sources._fe_text import clean, text_chunks
from tracker.vocab import CallStatus

FE_NUMBER = r"\bFE[A-Z]{1,4}\.\d{2}\.\d{2}-[A-Z]{2}\.\d{2}-\d{3}/\d{2}\b"
RPLU_NUMBER = r"\bRPLU(?:\.\d{2}){3}-(?:[A-Z]{2}\.\d{2}-)?\d{2}-\d{3}/\d{2}\b"
CALL_NUMBER = re.compile(f"{FE_NUMBER}|{RPLU_NUMBER}")
ACTION_CODE = re.compile(r"^FE[A-Z]{1,4}\.\d{2}(?:\.\d{2})?$")
FUND = re.compile(r"^(?:EFS\+?|EFRR|FST|FS|EFMRA)(?:\s*/\s*(?:EFS\+?|EFRR|FST))*$")
CALL_KIND = re.compile(r"^(?:Nabór|Tryb)?\s*(?:nie)?konkurencyjny$", re.I)
_EMPTY_LISTING = re.compile(
    r"brak (?:aktualnych )?(?:naborów|wyników)|nie znaleziono", re.I
)
_ANNOUNCES = "ogłasza nabór"
_CARD_TAGS = "self::section or self::article or self::li or self::div"
_CARD = (
    f"//*[{_CARD_TAGS}][contains(., '{_ANNOUNCES}')][.//a[@href]]"
    f"[not(.//*[{_CARD_TAGS}][contains(., '{_ANNOUNCES}')][.//a[@href]])]"
)
_NEXT = re.compile(r"^(?:następn[aey]|dalej|next|›|»|>)(?:\s*(?:strona|›|»))?$", re.I)


class CardError(Exception):
    """A card that cannot become a call; `kind` is counted in the crawl stats."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def call_number(text: str) -> str | None:
    """The first official call number in `text`, exactly as written."""
    match = CALL_NUMBER.search(text)
    return match.group(0) if match else None


def _page_number(url: str) -> int | None:
    """The `page` query parameter, if numeric."""
    values = parse_qs(urlsplit(url).query).get("page", [])
    return int(values[0]) if values and values[0].isdigit() else None


def next_page(page: Selector, url: str) -> str | None:
    """The next listing page: a "następna"/next link, else the `?page=N` after ours."""
    numbered: dict[int, str] = {}
    for link in page.xpath("//a[@href]"):
        target = urljoin(url, link.attrib["href"]).split("#")[0]
        words = [
            " ".join(text_chunks(link)),
            *link.xpath("@aria-label|@title").getall(),
        ]
        is_next = any(_NEXT.match(clean(w)) for w in words)
        if (is_next or "next" in link.xpath("@rel").get("").split()) and target != url:
            return target
        number = _page_number(target)
        if number is not None and urlsplit(target).path == urlsplit(url).path:
            numbered.setdefault(number, target)
    current = _page_number(url) or 0
    later = sorted(number for number in numbered if number > current)
    return numbered[later[0]] if later else None


@dataclass(frozen=True)
class Card:
    """What one FE call card says, as text (dates still unparsed)."""

    url: str
    title: str
    who: str | None = None
    action: str | None = None
    status_word: str | None = None
    number: str | None = None
    tags: list[str] = field(default_factory=list)
    kind: str | None = None
    funding: str | None = None
    start: str | None = None
    end: str | None = None
    texts: list[str] = field(default_factory=list)

    @property
    def status(self) -> CallStatus | None:
        return parse_status(self.status_word)

    def term(self) -> Term | None:
        """Start/Koniec as one window; `DateParseError` when unreadable."""
        if self.end is None:
            return None
        start = parse_date(self.start) if self.start else None
        return Term(start, parse_date(self.end))


def find_cards(page: Selector) -> list[Selector]:
    """The call cards: smallest blocks holding "… ogłasza nabór …" and a link."""
    cards = page.xpath(_CARD)
    if not cards and not _EMPTY_LISTING.search(" ".join(text_chunks(page))):
        raise ValueError(
            "FE listing: no call card (a block with 'ogłasza nabór' and a link)"
        )
    return list(cards)


def _after_label(chunks: list[str], label: str) -> tuple[int, str] | None:
    """(index, value) of a "Label value" chunk pair or a "Label: value" chunk."""
    pattern = re.compile(rf"^{label}\s*:?\s*(.*)$", re.I)
    for index, chunk in enumerate(chunks):
        match = pattern.match(chunk)
        if match and match.group(1):
            return index, match.group(1)
        if match and index + 1 < len(chunks):
            return index + 1, chunks[index + 1]
    return None


def _card_funding(chunks: list[str]) -> str | None:
    """ "do 85% wydatków" after "Poziom dofinansowania" (split over spans)."""
    found = _after_label(chunks, "Poziom dofinansowania")
    if found is None:
        return None
    index, value = found
    parts = [value]
    while "%" not in " ".join(parts) and index + len(parts) < len(chunks):
        parts.append(chunks[index + len(parts)])
    return re.sub(r"\s+%", "%", " ".join(parts)) if "%" in " ".join(parts) else None


def _card_end(chunks: list[str]) -> str | None:
    """The "Koniec" date with the time shown next to it ("30.10.2026 23:59")."""
    found = _after_label(chunks, "Koniec")
    if found is None:
        return None
    index, value = found
    following = chunks[index + 1] if index + 1 < len(chunks) else ""
    return f"{value} {following}" if re.match(r"^\d{1,2}:\d{2}$", following) else value


def _card_header(chunks: list[str]) -> tuple[str | None, str | None]:
    """(who, action) from "<who> ogłasza nabór w ramach działania <action>"."""
    for index, chunk in enumerate(chunks):
        if _ANNOUNCES not in chunk:
            continue
        before, _, after = chunk.partition(_ANNOUNCES)
        who = clean(before) or (chunks[index - 1] if index else None)
        action = clean(re.sub(r"^\s*w ramach (?:działania|poddziałania)", "", after))
        if not action and index + 1 < len(chunks):
            candidate = chunks[index + 1]
            if not (CALL_NUMBER.search(candidate) or parse_status(candidate)):
                action = candidate
        return who, action or None
    return None, None


def _card_title(link: Selector) -> str | None:
    """The link text without "Nabór nr <number>"."""
    parts = []
    for chunk in text_chunks(link):
        chunk = clean(CALL_NUMBER.sub("", chunk))
        chunk = re.sub(r"^(?:Nabór\s*)?(?:nr|numer)?\s*:?\s*$", "", chunk, flags=re.I)
        if chunk:
            parts.append(chunk)
    return " ".join(parts) or None


def _card_tags(card: Selector, number: str | None) -> tuple[str | None, list[str]]:
    """(status word, other tags): leaf elements styled as tags, or known words."""
    leaves = card.xpath(".//*[contains(@class, 'tag') or contains(@class, 'status')]")
    words = [clean(" ".join(text_chunks(s))) for s in leaves if not s.xpath("*")]
    words = [w for w in words if w and w != number]
    status = next((w for w in words if parse_status(w)), None)
    if status is None:
        others = [w for w in words if not (ACTION_CODE.match(w) or FUND.match(w))]
        status = others[0] if others else None
    if status is None:
        status = next((c for c in text_chunks(card) if parse_status(c)), None)
    return status, [w for w in words if w != status]


def parse_card(card: Selector, base_url: str) -> Card:
    """One card as text fields; `CardError` when it has no call link or title."""
    chunks = text_chunks(card)
    text = " ".join(chunks)
    number = call_number(text)
    links = [a for a in card.xpath(".//a[@href]") if text_chunks(a)]
    if not links:
        raise CardError("no_link")
    link = max(links, key=lambda a: len(" ".join(text_chunks(a))))
    who, action = _card_header(chunks)
    title = _card_title(link) or action
    if not title:
        raise CardError("no_title", link.attrib["href"])
    status_word, tags = _card_tags(card, number)
    start = _after_label(chunks, "Start")
    return Card(
        url=urljoin(base_url, link.attrib["href"]),
        title=title,
        who=who,
        action=action,
        status_word=status_word,
        number=number,
        tags=tags,
        kind=next((c for c in chunks if CALL_KIND.match(c)), None),
        funding=_card_funding(chunks),
        start=start[1] if start else None,
        end=_card_end(chunks),
        texts=chunks,
    )


def path_id(url: str) -> str:
    """The URL path without its slashes: a stable id when a call has no number."""
    return urlsplit(url).path.strip("/")
