"""The national EU-funds portal's list of calls (funduszeeuropejskie.gov.pl), the
catch-all for operators that have no spider of their own.

The markup is ASSUMED: no capture of `/nabory-wnioskow/` or of a `/nabory/{slug}/`
page exists and none was ever described (pl-sources.md §5). What is known: the
listing URL, that it is paged, and that calls live at `/nabory/{slug}/`. So the
parser is driven by links and words only: every link to `/nabory/{slug}/` is a
call; its entry is the largest block around it holding no other call link; the
entry's fields are found by their labels ("Program", "Instytucja", "Termin
naboru", "Status", "od … do …") in any markup (dt/dd, th/td, "Label: value").
The detail page is read the same way ("Numer naboru", "Instytucja organizująca
nabór", "Data rozpoczęcia/zakończenia naboru", "Budżet naboru", "Kto może
złożyć wniosek?"). Paging: a "następna"/next link, else the next `?page=N`.
A listing without any `/nabory/` link fails the crawl.

The operator goes into `funder` and the FE call number into `call_identifier`,
exactly as printed, so that the tracker can merge the call with the operator's
own record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy.http import Response

from spiders.items import CallSeen, FundingCall
from spiders.parsing import DateParseError, find_dates
from spiders.sources._fe_cards import call_number, next_page
from spiders.sources._fe_fields import (
    STATUS,
    Term,
    parse_applicants,
    parse_instrument,
    parse_status,
    parse_terms,
)
from spiders.sources._fe_spider import FeSpider
from spiders.sources._fe_text import Para, labelled, paragraphs, section, text_chunks

SITE = "https://www.funduszeeuropejskie.gov.pl"
CALL_PATH = re.compile(r"^/nabory/[^/]+/?$")
OPERATOR = r"Instytucja(?: (?:organizująca|ogłaszająca|prowadząca) nabór)?|Operator"
TERMS = r"Termin (?:naboru|składania wniosków)|Nabór trwa|Daty? naboru|Nabór"
NUMBER = r"Numer naboru|Nr naboru|Oznaczenie naboru|Numer"
APPLICANTS = r"Kto może (?:złożyć|składać) wnios\w*\??|Dla kogo\??|Wnioskodawc\w*"
_GENERIC_LINK = re.compile(r"^(?:zobacz|więcej|szczegóły|czytaj)", re.I)
_MODE = re.compile(r"Sposób wyboru projektów\W+((?:nie)?konkurencyjn)\w*", re.I)
# Programme names -> abbreviations, for calls whose number is not shown.
PROGRAMMES = {
    "Nowoczesnej Gospodarki": "FENG",
    "Rozwoju Społecznego": "FERS",
    "Polski Wschodniej": "FEPW",
    "Infrastruktur": "FENX",
    "Rozwój Cyfrowy": "FERC",
    "Pomoc Żywnościow": "FEPZ",
}


def _slug(url: str) -> str:
    """The call's slug in `/nabory/{slug}/`: its id when no number is listed."""
    return urlsplit(url).path.strip("/").split("/")[-1]


@dataclass(frozen=True)
class Entry:
    """What the listing says about one call (text, dates unparsed)."""

    url: str
    title: str
    programme: str | None = None
    operator: str | None = None
    dates: str | None = None
    status_word: str | None = None
    number: str | None = None
    texts: list[str] = field(default_factory=list)


class PlFePortalSpider(FeSpider):
    """Calls on funduszeeuropejskie.gov.pl, funder = the operator running each."""

    name = "pl_fe_portal"
    label = "FE portal"
    funder = "Ministerstwo Funduszy i Polityki Regionalnej"
    source_name = "Portal Funduszy Europejskich: nabory wniosków"
    source_url = f"{SITE}/nabory-wnioskow/"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A listing page: a detail request per new entry, then the next page."""
        boxes = self._entry_boxes(response)
        if not boxes:
            raise ValueError(f"FE portal listing: no /nabory/ link on {response.url}")
        entries = {
            url: self._parse_entry(url, box)
            for url, box in boxes.items()
            if url not in self.emitted  # a sidebar repeating an earlier page's call
        }
        if entries and not any(entries.values()):
            raise ValueError(f"FE portal listing: no entry readable on {response.url}")
        for url, entry in entries.items():
            if entry is None:
                self.count_problem(f"{self.name}/bare_link")
                continue
            self.emitted.add(url)
            source_id = entry.number or _slug(url)
            yield self.follow_call(response, url, source_id, entry.texts, entry=entry)
        if url := next_page(response.selector, response.url):
            yield response.follow(url, self.parse)

    def _entry_boxes(self, response: Response) -> dict[str, Selector]:
        """Call URL -> the largest block around one of its links with no other call."""
        boxes: dict[str, Selector] = {}
        for link in response.xpath("//a[@href]"):
            url = self._call_url(response.url, link.attrib["href"])
            if url is None:
                continue
            box = link
            for ancestor in reversed(link.xpath("ancestor::*")):
                hrefs = {
                    self._call_url(response.url, h)
                    for h in ancestor.xpath(".//a/@href").getall()
                }
                if hrefs - {None} != {url}:
                    break
                box = ancestor
            if url not in boxes or len(box.get()) > len(boxes[url].get()):
                boxes[url] = box
        return boxes

    def _call_url(self, base: str, href: str) -> str | None:
        """The absolute call URL when `href` is a `/nabory/{slug}/` link."""
        parts = urlsplit(urljoin(base, href))
        if parts.netloc != urlsplit(base).netloc or not CALL_PATH.match(parts.path):
            return None
        return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/"

    def _parse_entry(self, url: str, box: Selector) -> Entry | None:
        """The entry's labelled fields; None for a bare link (no dates, no status)."""
        paras = paragraphs(box)
        links = box.xpath(".//a[@href]")
        links = [a for a in links if self._call_url(url, a.attrib["href"]) == url]
        names = [" ".join(text_chunks(a)) for a in links]
        names = [n for n in names if n and not _GENERIC_LINK.match(n)]
        title = max(names, key=len) if names else None
        dates = labelled(paras, TERMS)
        if not (dates and find_dates(dates)):
            dates = next((p.text for p in paras if find_dates(p.text)), None)
        word = self._status_word(box, paras)
        operator = labelled(paras, OPERATOR)
        if not title or not (dates or word or operator):
            return None
        return Entry(
            url=url,
            title=title,
            programme=labelled(paras, "Program"),
            operator=operator,
            dates=dates,
            status_word=word,
            number=call_number(" ".join(p.text for p in paras)),
            texts=[p.text for p in paras],
        )

    def _status_word(self, box: Selector, paras: list[Para]) -> str | None:
        """ "Status: …", a block styled as the status, or a known status word."""
        styled = box.xpath(".//*[contains(@class, 'status')]")
        word = labelled(paras, r"Status(?: naboru)?") or (
            " ".join(text_chunks(styled[0])) if styled else None
        )
        return word or next((p.text for p in paras if p.text.lower() in STATUS), None)

    def parse_call(
        self,
        response: Response,
        entry: Entry | None = None,
        source_id: str | None = None,
        digest: str | None = None,
    ) -> Iterator[FundingCall | CallSeen]:
        """The call's page, completed by what the listing said about it."""
        paras, heading = self.page_text(response)
        entry = entry or Entry(url=response.url, title="")
        title = heading or entry.title
        problems: list[str] = []
        terms = self._parse_terms(paras, entry, problems)
        if not title or terms is None:
            self.count_problem(f"{self.name}/{'bad_date' if title else 'no_title'}")
            return
        text = "\n".join(p.text for p in paras)
        number = call_number(labelled(paras, NUMBER) or text) or entry.number
        if entry.number and number != entry.number:
            problems.append(f"number_mismatch: the listing says {entry.number}")
        programme = labelled(paras, "Program") or entry.programme
        operator = labelled(paras, OPERATOR) or entry.operator
        if operator is None:
            problems.append("no_operator: the page names no institution")
        word = labelled(paras, r"Status(?: naboru)?") or entry.status_word
        status = parse_status(word)
        if word and status is None:
            problems.append(f"unknown_status: {word}")
        action = labelled(paras, r"Działanie")
        mode = _MODE.search(text)
        call = FundingCall(
            source=self.source_slug,
            source_id=source_id or number or _slug(response.url),
            title=title,
            url=response.url,
            funder=operator or self.funder,
            language=self.language,
            programme=programme,
            call_identifier=number,
            description="\n\n".join(p.text for p in paras if p.text != heading) or None,
            applicant_types=parse_applicants(" ".join(section(paras, APPLICANTS))),
            instrument=parse_instrument(title),
            source_status=status,
            keywords=self._parse_keywords(action, mode),
            programme_codes=self._parse_codes(programme, number, action),
            problems=problems,
            listing_hash=digest,
        )
        yield self.complete(call, terms, paras)

    def _parse_terms(
        self, paras: list[Para], entry: Entry, problems: list[str]
    ) -> list[Term] | None:
        """Windows from the page (a start/end pair or a range), else the listing's;
        None when every date found is unreadable."""
        start = labelled(paras, r"Data (?:rozpoczęcia|otwarcia) naboru")
        end = labelled(paras, r"Data (?:zakończenia|zamknięcia) naboru")
        pair = [f"od {start} do {end}" if start else end] if end else []
        errors = []
        for lines in (pair, section(paras, TERMS), [entry.dates or ""]):
            try:
                if terms := parse_terms(lines):
                    problems += errors
                    return terms
            except DateParseError as exc:
                errors.append(f"bad_date: {exc}")
        problems += errors
        return None if errors else []

    def _parse_keywords(
        self, action: str | None, mode: re.Match[str] | None
    ) -> list[str]:
        """The action's name (without its code) and the selection mode."""
        name = re.sub(r"^FE[A-Z]+\.\d{2}\.\d{2}\s*", "", action or "")
        return [k for k in (name, mode and f"nabór {mode[1].lower()}y") if k]

    def _parse_codes(
        self, programme: str | None, number: str | None, action: str | None
    ) -> list[str]:
        """Programme abbreviation ("FENG") and action code ("FENG.01.01")."""
        codes = [number.split(".")[0]] if number else []
        codes += [a for n, a in PROGRAMMES.items() if programme and n in programme]
        for source in (number or "", action or ""):
            if code := re.match(r"FE[A-Z]+\.\d{2}\.\d{2}", source):
                codes.append(code[0])
        return list(dict.fromkeys(codes))
