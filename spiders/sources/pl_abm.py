"""Agencja Badań Medycznych (ABM): the list of open calls, then each call's page.

Most of this is assumed: no capture of any ABM page exists. Documented (pl-sources.md
§7) are only the URL shape of call pages, `…/pl/konkursy/…/{id},{Title-Slug}.html`
(the archive being `/pl/konkursy/archiwalne-nabory-1/{year}/{slug}/{id},{…}.html`),
and the wording of call pages: the code "ABM/2022/1", "Nabór adresowany jest do
podmiotów takich jak: …", "Kwota przeznaczona na dofinansowanie Projektów … wynosi
…" and deadlines like "do 30.10.2020 r. do godziny 12:00".

Assumed: that the open calls are listed at `/pl/konkursy/` (path unverified) by links
of that shape; that a call page has its title in an <h1> and its text in <p>/<li>
inside <main> or <article>; that the deadline sentence names "Termin składania
wniosków", "Wnioski należy składać …" or "Nabór wniosków trwa/potrwa …".

So the selectors stay shallow: call links are found by their URL anywhere on the list
(archive links are skipped), facts by their wording anywhere in the page's text. A
list without a single call link fails the crawl; a page without <h1> too.

`source_id` is the call code (from the list entry, else from the page), or the page
id when neither has one. When the code is on the page only, an unchanged entry is
recognised by its listing hash (which covers the URL) among the stored ones.
Applicants: uczelnie, instytuty badawcze/naukowe, MŚP, duże przedsiębiorstwa,
konsorcja and NGOs map to types; "podmioty lecznicze", "szpitale" and plain
"przedsiębiorcy" (no size given) are kept as keywords, not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import takewhile
from typing import Any

import scrapy
from parsel import Selector
from scrapy.http import Response

from spiders.base import FundingSpider, listing_hash
from spiders.items import FundingCall
from spiders.parsing import DateParseError, find_amount, find_dates, parse_range
from tracker.vocab import ApplicantType, Instrument

CALL_LINK = re.compile(
    r"^https?://(?:www\.)?abm\.gov\.pl/pl/konkursy/(?:[^?#]*/)?(?P<id>\d+),[^/?#]+\.html$"
)
CALL_CODE = re.compile(r"\bABM/\d{4}/\d{1,3}\b")
ELIGIBILITY = re.compile(r"nabór adresowany jest do( podmiotów takich jak)?:?", re.I)
BUDGET = re.compile(r"kwota przeznaczona na dofinansowanie", re.I)
DEADLINE = re.compile(
    r"termin\w* składania|wnioski (należy|można) składać|nabór wniosków (trwa|potrwa)",
    re.I,
)
APPLICANTS = tuple(
    (re.compile(pattern, re.I), kind)
    for pattern, kind in (
        (r"\buczelni|\buczelnie", ApplicantType.UNIVERSITY),
        (
            r"\binstytut\w* (badawcz|naukow)|\bŁukasiewicz",
            ApplicantType.RESEARCH_INSTITUTE,
        ),
        (
            r"\bMŚP\b|\b(mikro|mał\w*)[\w ,-]*średni\w* przedsiębiorstw",
            ApplicantType.SME,
        ),
        (r"\bduż\w* przedsiębiorstw", ApplicantType.LARGE_COMPANY),
        (r"\bkonsorcj", ApplicantType.CONSORTIUM),
        (r"\borganizacj\w* pozarządow|\bfundacj|\bstowarzysz", ApplicantType.NGO),
    )
)
# Applicants without a clear type of their own: kept as keywords, not guessed
# (a podmiot leczniczy may be public or private; "przedsiębiorcy" says no size).
APPLICANT_KEYWORDS = (
    (re.compile(r"\bpodmiot\w* lecznicz", re.I), "podmioty lecznicze"),
    (re.compile(r"\bszpital", re.I), "szpitale"),
    (re.compile(r"\bprzedsiębiorc", re.I), "przedsiębiorcy"),
)


class PlAbmSpider(FundingSpider):
    """ABM's open calls (medical research, clinical trials)."""

    name = "pl_abm"
    funder = "Agencja Badań Medycznych"
    source_name = "Agencja Badań Medycznych – konkursy"
    source_url = "https://abm.gov.pl/pl/konkursy/"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """The list: one request per open call page (or a `CallSeen` when unchanged)."""
        entries: dict[str, tuple[str, str]] = {}
        links = 0
        for link in response.xpath("//a[@href]"):
            url = response.urljoin(link.attrib["href"].strip())
            if not (match := CALL_LINK.match(url)):
                continue
            links += 1
            if "/archiwalne-" not in url and match["id"] not in entries:
                entries[match["id"]] = (url, _entry_text(link))
        if not links:
            raise ValueError(
                f"ABM list: no call links ({{id}},{{Title}}.html) on {response.url}"
            )
        # A call's code may be on its page only; the hash covers the URL, so the
        # id stored with an entry's hash is that entry's call.
        stored = {h: source_id for source_id, h in self.known_listings.items()}
        for page_id, (url, text) in entries.items():
            code = CALL_CODE.search(text)
            h = listing_hash(url, text)
            source_id = code.group(0) if code else stored.get(h, page_id)
            if seen := self.unchanged_listing(source_id, h):
                yield seen
                continue
            yield scrapy.Request(
                url, self.parse_call, cb_kwargs={"page_id": page_id, "entry_hash": h}
            )

    def parse_call(
        self,
        response: Response,
        page_id: str | None = None,
        entry_hash: str | None = None,
        **kwargs: Any,
    ) -> Iterator[FundingCall]:
        """A call page: code, applicants, amount and dates found by their wording."""
        container = response.xpath("//main | //article | //*[@id='content']")
        page = container[0] if container else Selector(response)
        title = page.xpath("normalize-space((.//h1)[1])").get()
        if not title:
            raise ValueError(f"ABM call page without an <h1> title: {response.url}")
        tagged = _blocks(page)
        blocks = [text for _, text in tagged]
        text = "\n\n".join(blocks)
        code = CALL_CODE.search(text)
        call = FundingCall(
            source=self.source_slug,
            source_id=_source_id(response.url, code, page_id),
            title=title,
            url=response.url,
            funder=self.funder,
            language=self.language,
            call_identifier=code.group(0) if code else None,
            description=text or None,
            instrument=Instrument.GRANT,
            listing_hash=entry_hash,
        )
        try:
            self._parse_dates(call, blocks)
        except DateParseError as exc:
            self.logger.warning("skipped %s: %s", response.url, exc)
            self.count_problem("pl_abm/bad_date")
            return
        self._parse_budget(call, blocks)
        self._parse_applicants(call, tagged)
        yield call

    def _parse_dates(self, call: FundingCall, blocks: list[str]) -> None:
        """Opening and deadline from the deadline sentence (or the text under it)."""
        for index, block in enumerate(blocks):
            if not DEADLINE.search(block):
                continue
            if not find_dates(block) and index + 1 < len(blocks):
                block = blocks[index + 1]
            if not find_dates(block):
                continue
            start, end = parse_range(block)
            if start is not None:
                call.opening_date = start.opening(self.timezone)
                call.opening_precision = start.precision
            call.deadlines = [end.to_deadline(self.timezone)]
            return
        self._problem(call, "no_deadline", "no deadline sentence")

    def _parse_budget(self, call: FundingCall, blocks: list[str]) -> None:
        """The amount of "Kwota przeznaczona na dofinansowanie Projektów … wynosi …"."""
        for block in blocks:
            if match := BUDGET.search(block):
                money = find_amount(block[match.start() :])
                if money is None:
                    self._problem(call, "budget_unreadable", block)
                    return
                call.budget_amount, call.budget_currency = money.amount, money.currency
                return

    def _parse_applicants(
        self, call: FundingCall, blocks: list[tuple[str, str]]
    ) -> None:
        """Types named after "Nabór adresowany jest do podmiotów takich jak:"."""
        for index, (_, block) in enumerate(blocks):
            if not (match := ELIGIBILITY.search(block)):
                continue
            text = block[match.end() :]
            if not text.strip():  # a list follows: take its items
                items = takewhile(lambda b: b[0] == "li", blocks[index + 1 :])
                text = " ".join(item for _, item in items)
            found = {kind for rx, kind in APPLICANTS if rx.search(text)}
            call.applicant_types = [kind for kind in ApplicantType if kind in found]
            call.keywords += [
                word for rx, word in APPLICANT_KEYWORDS if rx.search(text)
            ]
            if not found:
                self._problem(call, "applicants_unclear", text[:120])
            return

    def _problem(self, call: FundingCall, kind: str, detail: str) -> None:
        """Record a non-fatal problem on the call and count it."""
        call.problems.append(f"{kind}: {detail}")
        self.count_problem(f"pl_abm/{kind}")


def _source_id(url: str, code: re.Match[str] | None, page_id: str | None) -> str:
    """The call code, else the page id (from the list, or the URL)."""
    if code is not None:
        return code.group(0)
    match = CALL_LINK.match(url)
    return page_id or (match["id"] if match else url)


def _entry_text(link: Selector) -> str:
    """What the list says about one call: its item (li/article/tr) or the link."""
    entry = link.xpath("ancestor::*[self::li or self::article or self::tr][1]")
    return (entry[0] if entry else link).xpath("normalize-space()").get() or ""


def _blocks(page: Selector) -> list[tuple[str, str]]:
    """(tag, text) of the page's paragraphs, items, headings (no title, no menus)."""
    nodes = page.xpath(
        ".//*[self::p or self::li or self::h2 or self::h3 or self::h4 or self::td]"
        "[not(ancestor::nav or ancestor::header or ancestor::footer)]"
        "[not(ancestor::aside)]"
    )
    blocks = [(node.root.tag, node.xpath("normalize-space()").get()) for node in nodes]
    return [(tag, text) for tag, text in blocks if text]
