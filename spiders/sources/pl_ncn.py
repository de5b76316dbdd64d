"""NCN (Narodowe Centrum Nauki): the open-calls sidebar, then each call's page.

Confirmed by the capture `../shared/fixtures/pl_ncn/homepage_2018-03.html` (the
Drupal 7 home page of March 2018): the sidebar block `div#block-block-16` headed
"Aktualnie otwarte konkursy" holding `ul > li > a[href="/ogloszenia/konkursy/{slug}"]`
with the call's name ("OPUS 15") and no date; an open call announced only as news
(`/aktualnosci/...`, "URBAN EUROPE"); and a "Najbliższe konkursy" block whose
links all lead to the generic page `/finansowanie-nauki/konkursy/typy`.

Assumed (pl-sources.md §2; no capture of the current site or of any call page):
the seed `/finansowanie-nauki/konkursy/harmonogram` (`/en/...` in English); the
Drupal 9 block `id="otwarte-konkursy"` ("Otwarte konkursy" / "Open calls") with an
abbreviated, yearless date per call ("16 wrz") in a `time`, `[class*=date]` or
`[class*=termin]` element or after the link; `id="najblizsze-konkursy"` ("Upcoming
calls"); the call page markup (an <h1>, the body in `.field--name-body` or, on the
old site, `.field-name-body`); its texts as quoted by pl-sources.md: a date line
("16 czerwca 2025 r."), "Budżet konkursu wynosi …", "Termin składania wniosków
upływa …" / "Nabór wniosków potrwa do … do godziny 14:00" / "closes on 17 June
2024, at 4 p.m."; an accordion "Kto może złożyć wniosek?" whose answer follows the
question; a stray theme block titled "Kod CSS i JS". The date line is read as the
call's opening (NCN opens submission when it announces a call). An upcoming call
without a page of its own becomes a listing-only forthcoming call whose source_id
is the slug NCN would give it ("SONATA BIS 8" -> "sonata-bis8"). The listing
hash is the slug and the sidebar date text, plus the block and the site language,
so that a call moving from "Najbliższe" to "Otwarte" is fetched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import scrapy
from parsel import Selector
from scrapy.http import Response

from spiders.base import FundingSpider, listing_hash
from spiders.items import CallSeen, FundingCall
from spiders.parsing import DateParseError, parse_date
from spiders.sources import _pl_ncn_fields as ncn
from spiders.sources import _pl_ncn_text as page
from tracker.vocab import CallStatus, DatePrecision, Instrument


class PlNcnSpider(FundingSpider):
    """NCN's open (and upcoming) calls; `-a lang=en` crawls the English site."""

    name = "pl_ncn"
    funder = "Narodowe Centrum Nauki"
    source_name = "NCN – otwarte konkursy"
    source_url = ncn.SITE + ncn.SEED_PATH

    def __init__(self, *args: Any, lang: str = "pl", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if lang not in ("pl", "en"):
            raise ValueError(f"pl_ncn: lang must be 'pl' or 'en', not {lang!r}")
        self.language = lang
        # Sidebar dates have no year; they are read as the nearest such day.
        self.today: date = datetime.now(ZoneInfo(self.timezone)).date()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        prefix = "/en" if self.language == "en" else ""
        yield scrapy.Request(ncn.SITE + prefix + ncn.SEED_PATH, callback=self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        open_block = ncn.find_block(response.selector, ncn.OPEN_BLOCK)
        if open_block is None:
            raise ValueError(f"NCN: no open-calls sidebar block on {response.url}")
        seen: set[str] = set()
        yield from self._parse_block(open_block, response, CallStatus.OPEN, seen)
        if upcoming := ncn.find_block(response.selector, ncn.UPCOMING_BLOCK):
            status = CallStatus.FORTHCOMING
            yield from self._parse_block(upcoming, response, status, seen)

    def _parse_block(
        self, block: Selector, response: Response, status: CallStatus, seen: set[str]
    ) -> Iterator[FundingCall | CallSeen | scrapy.Request]:
        """A call (upcoming, no page), a `CallSeen` or a call-page request per entry."""
        lang = _page_lang(response)
        for item in block.css("li") or block.css("a"):
            try:
                entry = ncn.parse_entry(item, response.url)
            except ncn.EntryError as exc:
                self.count_problem(f"pl_ncn/skipped_entry/{exc.kind}")
                continue
            source_id = entry.slug or ncn.slug_for_name(entry.name)
            if source_id in seen:
                continue
            seen.add(source_id)
            self._check_listing_date(entry, lang)
            # The block is part of the entry: an upcoming call that opens must be
            # fetched even if its sidebar line reads the same.
            h = listing_hash(source_id, lang, str(status), entry.date_text)
            if entry.slug is None and status is CallStatus.OPEN:
                self.count_problem("pl_ncn/skipped_entry/not_a_call_page")
            elif entry.slug is None:
                yield self._listing_call(entry, source_id, lang, h)
            elif unchanged := self.unchanged_listing(source_id, h):
                yield unchanged
            else:
                kwargs = {
                    "slug": entry.slug,
                    "listing_hash": h,
                    "source_status": status,
                }
                yield scrapy.Request(entry.url, self.parse_call, cb_kwargs=kwargs)

    def _check_listing_date(self, entry: ncn.Entry, lang: str) -> None:
        """Count a sidebar date we cannot read; it only feeds the listing hash."""
        if not entry.date_text:
            return
        try:
            parse_date(entry.date_text, lang=lang, today=self.today)
        except DateParseError:
            self.count_problem("pl_ncn/listing_date_unreadable")

    def _listing_call(
        self, entry: ncn.Entry, source_id: str, lang: str, h: str
    ) -> FundingCall:
        """An upcoming call known only by its sidebar line."""
        family = ncn.call_family(entry.name, source_id)
        return FundingCall(
            source=self.source_slug,
            source_id=source_id,
            title=entry.name,
            url=entry.url,
            funder=self.funder,
            language=lang,
            programme=f"NCN {family}" if family else "NCN",
            instrument=Instrument.GRANT,
            source_status=CallStatus.FORTHCOMING,
            programme_codes=["NCN", *([family] if family else [])],
            listing_hash=h,
        )

    def parse_call(
        self,
        response: Response,
        slug: str | None = None,
        listing_hash: str | None = None,
        source_status: CallStatus | None = None,
    ) -> Iterator[FundingCall]:
        """A call page: title, dates, budget, text, applicants."""
        slug = slug or ncn.slug_of(response.url)
        if not slug:
            raise ValueError(f"NCN: {response.url} is not /ogloszenia/konkursy/<slug>")
        body = page.find_body(response.selector, response.url)
        if not (title := page.parse_title(response.selector)):
            self.count_problem("pl_ncn/skipped_call/no_title")
            return
        lang, blocks = _page_lang(response), page.text_blocks(body)
        problems: list[str] = []
        lines = page.sentences(blocks)
        try:
            deadlines = ncn.parse_deadline(
                lines, lang, self.today, self.timezone, problems
            )
        except DateParseError as exc:
            self.logger.warning("skipped %s: %s", response.url, exc)
            self.count_problem("pl_ncn/skipped_call/bad_deadline")
            return
        opening, date_line = ncn.parse_opening(blocks, lang, self.today)
        money = ncn.parse_budget(lines, problems)
        answer = page.faq_answer(response.selector)
        applicants = ncn.parse_applicants(answer) if answer else []
        if answer and not applicants:
            problems.append(f"applicants_unrecognised: {answer[:80]}")
        family = ncn.call_family(title, slug)
        panels = ncn.parse_panels(" ".join(blocks), lang)
        paragraphs = [b for b in page.description_blocks(body) if b != date_line]
        for problem in problems:
            self.count_problem("pl_ncn/" + problem.split(":", 1)[0])
        yield FundingCall(
            source=self.source_slug,
            source_id=slug,
            title=title,
            url=response.url,
            funder=self.funder,
            language=lang,
            programme=f"NCN {family}" if family else "NCN",
            opening_date=opening.opening(self.timezone) if opening else None,
            opening_precision=opening.precision if opening else DatePrecision.DAY,
            deadlines=deadlines,
            budget_amount=money.amount if money else None,
            budget_currency=money.currency if money else None,
            description="\n\n".join(paragraphs) or None,
            applicant_types=applicants,
            instrument=ncn.parse_instrument(" ".join([title, *blocks])),
            source_status=source_status,
            keywords=[name for _, name in panels],
            programme_codes=["NCN", *([family] if family else []), *dict(panels)],
            problems=problems,
            listing_hash=listing_hash,
        )


def _page_lang(response: Response) -> str:
    """ "en" on the English site (/en/...), else "pl"."""
    return "en" if urlsplit(response.url).path.startswith("/en/") else "pl"
