"""Fundusze Europejskie dla Lubelskiego 2021-2027 (FELU), LAWP included: call cards
on the listings, then each call's page.

Confirmed by a capture: the card family of the 2021-2027 regional portals, FE
Śląskie's `section.recruitment-wrapper`
(`../shared/fixtures/pl_regional_portal/fe_slaskie_nabory_cards.html`): who
"ogłasza nabór w ramach działania" what, status tag, action tag, "Nabór nr …"
and title in the link, type, "Poziom dofinansowania do 85% wydatków", "Start" /
"Koniec" with the time in its own span. Confirmed by public texts
(pl-sources.md §6): the listing and detail URLs, the Lubelskie card wording
("Departament Wdrażania … ogłasza nabór w ramach działania / 10.3 Kształcenie
ogólne / Wyniki / EFS+ / FELU.10.03-IZ.00-002/23") and the detail wording
("Termin składania wniosków", "od dnia 02.04.2024 r. (otwarcie naboru – …) do
dnia 31.05.2024 r. (zamknięcie naboru – …)", "w trybie konkurencyjnym").

Assumed (no Lubelskie page was ever captured): that Lubelskie's cards are that
family at all, so cards are found by their text and structure (the smallest
block with "ogłasza nabór" and a link) rather than by class; the detail page's
markup (any `main`/`article`, labels found by their words); the paging (a
"następna" link or `?page=N`); and that `/nabory/` may list LAWP's calls again.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from spiders.items import CallSeen, FundingCall
from spiders.parsing import DateParseError
from spiders.sources._fe_cards import (
    ACTION_CODE,
    FUND,
    Card,
    CardError,
    call_number,
    find_cards,
    next_page,
    parse_card,
    path_id,
)
from spiders.sources._fe_fields import (
    Term,
    parse_applicants,
    parse_instrument,
    parse_status,
    parse_terms,
)
from spiders.sources._fe_spider import FeSpider
from spiders.sources._fe_text import Para, labelled, section
from tracker.vocab import CallStatus

SITE = "https://funduszeue.lubelskie.pl"
LAWP = "Lubelska Agencja Wspierania Przedsiębiorczości"
UMWL = "Urząd Marszałkowski Województwa Lubelskiego"
TERMS = (
    r"(?:Planowany )?termin "
    r"(?:(?:składania|przyjmowania) wniosków|naboru(?: wniosków)?)"
)
APPLICANTS = (
    r"Kto może (?:składać|złożyć) wnios\w*\??|Wnioskodawc\w*|Beneficjenci"
    r"|Typy? (?:beneficjent|wnioskodawc)\w*|O dofinansowanie mogą ubiegać się"
)
_FROM_TO = re.compile(r"\bod dnia\b.*\bdo dnia\b", re.I)
_MODE = re.compile(r"\b(?:w trybie|nabór) ((?:nie)?konkurencyjn)\w*", re.I)


class PlFeLubelskieSpider(FeSpider):
    """FELU calls of the Marshal's Office departments and of LAWP."""

    name = "pl_fe_lubelskie"
    label = "FELU"
    funder = UMWL
    source_name = "Fundusze Europejskie dla Lubelskiego 2021-2027 (z LAWP)"
    source_url = f"{SITE}/nabory/"
    listings = (f"{SITE}/nabory/", f"{SITE}/lawp/nabory/")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.listings:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A listing page: a detail request per new card, then the next page."""
        blocks = find_cards(response.selector)
        cards = []
        for block in blocks:
            try:
                cards.append(parse_card(block, response.url))
            except CardError as exc:
                self.count_problem(f"{self.name}/{exc.kind}")
        if blocks and not cards:
            raise ValueError(f"FELU listing: no card could be read on {response.url}")
        for card in cards:
            source_id = card.number or path_id(card.url)
            if source_id in self.emitted:
                continue
            self.emitted.add(source_id)
            yield self.follow_call(response, card.url, source_id, card.texts, card=card)
        if url := next_page(response.selector, response.url):
            yield response.follow(url, self.parse)

    def parse_call(
        self,
        response: Response,
        card: Card | None = None,
        source_id: str | None = None,
        digest: str | None = None,
    ) -> Iterator[FundingCall | CallSeen]:
        """The call's page, completed by what its card said (if it came from one)."""
        paras, heading = self.page_text(response)
        card = card or Card(url=response.url, title="")
        text = "\n".join(p.text for p in paras)
        number = card.number or call_number(text)
        title = card.title or heading
        problems: list[str] = []
        terms = self._parse_terms(paras, card, problems)
        if not title or terms is None:
            self.count_problem(f"{self.name}/{'bad_date' if title else 'no_title'}")
            return
        if call_number(text) not in (None, number):
            problems.append(f"number_mismatch: the page says {call_number(text)}")
        action = self._parse_action(card, paras, number)
        prefix = number.split(".")[0] if number else "FELU"
        call = FundingCall(
            source=self.source_slug,
            source_id=source_id or number or path_id(response.url),
            title=title,
            url=response.url,
            funder=self._parse_funder(card.who, response.url),
            language=self.language,
            programme=f"{prefix} {action}" if action else prefix,
            call_identifier=number,
            description=self._parse_description(card, paras, heading),
            applicant_types=parse_applicants(" ".join(section(paras, APPLICANTS))),
            instrument=parse_instrument(title),
            source_status=self._parse_status(card, paras, problems),
            keywords=self._parse_keywords(card, action, text),
            programme_codes=self._parse_codes(card, prefix, number),
            problems=problems,
            listing_hash=digest,
        )
        yield self.complete(call, terms, paras)

    def _parse_terms(
        self, paras: list[Para], card: Card, problems: list[str]
    ) -> list[Term] | None:
        """Windows from the page, else from the card; None when dates are unreadable."""
        lines = section(paras, TERMS) or [
            p.text for p in paras if _FROM_TO.search(p.text)
        ]
        errors: list[str] = []
        terms: list[Term] = []
        carded = None
        try:
            terms = parse_terms(lines)
        except DateParseError as exc:
            errors.append(f"bad_date: {exc}")
        try:
            carded = card.term()
        except DateParseError as exc:
            errors.append(f"bad_date: card {exc}")
        problems += errors
        if carded is None:
            return None if errors and not terms else terms
        if not terms:
            return [carded]
        if carded.end.last != terms[-1].end.last:
            problems.append(f"dates_disagree: the card ends {carded.end.last}")
        elif len(terms) == 1 and terms[0].end.time is None:
            return [Term(terms[0].start, carded.end)]  # the card shows the hour
        return terms

    def _parse_action(
        self, card: Card, paras: list[Para], number: str | None
    ) -> str | None:
        """ "1.3 Badania i innowacje …": the card's action, numbered from the code."""
        action = card.action or labelled(paras, r"Działanie|Poddziałanie")
        code = re.match(r"FE[A-Z]+\.(\d{2})\.(\d{2})", number or "")
        if action and code and not action[0].isdigit():
            action = f"{int(code[1])}.{int(code[2])} {action}"
        return action

    def _parse_funder(self, who: str | None, url: str) -> str:
        """LAWP, the Marshal's Office (for its departments), or the body named."""
        if who and re.search(r"Agencj\w* Wspierania Przedsiębiorczości|\bLAWP\b", who):
            return LAWP
        if who is None or re.match(r"Departament|Urząd Marszałkowski|Zarząd", who):
            return LAWP if path_id(url).startswith("lawp/") else UMWL
        return who

    def _parse_status(
        self, card: Card, paras: list[Para], problems: list[str]
    ) -> CallStatus | None:
        """The card's status tag (or the page's "Status:") as a hint."""
        word = card.status_word or labelled(paras, "Status")
        status = parse_status(word)
        if word and status is None:
            problems.append(f"unknown_status: {word}")
        return status

    def _parse_description(
        self, card: Card, paras: list[Para], heading: str | None
    ) -> str | None:
        """The page text, led by the card's call type and funding level."""
        facts = [f"{card.kind}."] if card.kind else []
        facts += [f"Poziom dofinansowania: {card.funding}."] if card.funding else []
        body = [p.text for p in paras if p.text != heading]
        return "\n\n".join(([" ".join(facts)] if facts else []) + body) or None

    def _parse_keywords(self, card: Card, action: str | None, text: str) -> list[str]:
        """The action's name and the selection mode."""
        mode = _MODE.search(f"{card.kind or ''}\n{text}")
        name = re.sub(r"^[\d.]+\s*", "", action or "")
        return [k for k in (name, mode and f"nabór {mode[1].lower()}y") if k]

    def _parse_codes(self, card: Card, prefix: str, number: str | None) -> list[str]:
        """Programme, action code ("FELU.01.03") and fund ("EFRR", "EFS+")."""
        code = re.match(r"FE[A-Z]+\.\d{2}\.\d{2}", number or "")
        tags = [t for t in card.tags if FUND.match(t) or ACTION_CODE.match(t)]
        return list(dict.fromkeys([prefix, *([code[0]] if code else []), *tags]))
