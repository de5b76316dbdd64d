"""PARP: the schedule of calls (harmonogram naborów), then each call's own page.

Confirmed by the capture `../shared/fixtures/pl_parp/harmonogram_naborow_fragment.html`
(a September 2026 fragment): month headings `h3.background span.px-3`; one tile per
round, `a.schedule-main.schedule-{feng|fers}`, with the title in `p.text-mm-18`, the
description in `p.text-cr-14.text-dark.mb-3` (sometimes only a link "Przejdź na stronę
Akceleratora", nested inside the tile's own <a>), "Maksymalne dofinansowanie: 400 000
PLN" / "66 000 zł", value/label pairs `p.m-0.text-cr-18` + `p.mb-3.text-cr-13` ("data
rozpoczęcia rundy" / "data zakończenia rundy") holding "01.08.2026" or month-only
"05.2024", and notes "Nabór ma kilka rund. Koniec naboru: 31.08.2027" / "To już
ostatnia runda naboru". A call repeats as one tile per round; some tiles link to
other hosts (accelerators, other operators' projects).

Assumed (pl-sources.md §4; no capture): the `schedule-fepw` class, and the whole call
page at `/component/grants/grants/{slug}`: an <h1> title, paragraphs under headings
such as "Dla kogo" or "Kto może składać wnioski", a "Budżet naboru" / "Alokacja" line,
an FE call number somewhere in the text; an invalid page has the site's generic
<title> and no <h1>. The schedule's rounds stay the call's dates; the call page adds
the title, text, call number, applicants and the call's allocation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response

from spiders.base import FundingSpider, listing_hash
from spiders.items import Deadline, FundingCall
from spiders.sources._pl_parp_fields import (
    FE_NUMBER,
    GENERIC_TITLE,
    MANY_ROUNDS,
    PARP_HOSTS,
    PROGRAMMES,
    Round,
    Tile,
    TileError,
    merge_description,
    page_blocks,
    parse_budget,
    parse_call_end,
    parse_call_number,
    parse_instrument,
    parse_page_applicants,
    parse_status,
    parse_tile,
    source_ids,
)


class PlParpSpider(FundingSpider):
    """PARP's calls (FENG, FERS, FEPW), one per call with one deadline per round."""

    name = "pl_parp"
    funder = "Polska Agencja Rozwoju Przedsiębiorczości"
    source_name = "PARP – harmonogram naborów"
    source_url = "https://www.parp.gov.pl/harmonogram-naborow"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """The schedule: tiles grouped per call (href + title); one item or request."""
        nodes = response.css("a.schedule-main")
        if not nodes:
            raise ValueError(
                f"PARP schedule: no a.schedule-main tiles on {response.url}"
            )
        groups: dict[tuple[str, str], list[Tile]] = {}
        for node in nodes:
            try:
                tile = parse_tile(node)
            except TileError as exc:
                self.logger.warning("skipped tile: %s", exc)
                self.count_problem(f"pl_parp/{exc.kind}")
                continue
            tile.href = response.urljoin(tile.href)
            groups.setdefault((tile.href, tile.title), []).append(tile)
        if not groups:
            raise ValueError(f"PARP schedule: none of {len(nodes)} tiles is readable")
        ids = source_ids(list(groups))
        for key, tiles in groups.items():
            yield from self._call_or_request(ids[key], tiles)

    def _call_or_request(self, source_id: str, tiles: list[Tile]) -> Iterator[Any]:
        """The call (off-site), a `CallSeen` (unchanged) or its page's request."""
        facts = sorted({repr(tile.facts()) for tile in tiles})
        h = listing_hash(tiles[0].href, tiles[0].title, facts)
        call = self._call_from_tiles(source_id, tiles, h)
        host = urlsplit(call.url).hostname or ""
        if host not in PARP_HOSTS:
            self._problem(call, "offsite_link", host)
            yield call
        elif seen := self.unchanged_listing(source_id, h):
            yield seen
        else:
            # Two titles may share one page: each is its own call, so no dupe filter.
            yield scrapy.Request(
                call.url, self.parse_call, cb_kwargs={"call": call}, dont_filter=True
            )

    def _call_from_tiles(
        self, source_id: str, tiles: list[Tile], h: str
    ) -> FundingCall:
        """One call from all its tiles: rounds in date order, listing facts."""
        first = tiles[0]
        call = FundingCall(
            source=self.source_slug,
            source_id=source_id,
            title=first.title,
            url=first.href,
            funder=self.funder,
            language=self.language,
            instrument=parse_instrument(first.title),
            listing_hash=h,
        )
        code, call.programme = PROGRAMMES.get(first.programme, (None, None))
        if code is None:
            self._problem(call, "unknown_programme", f"schedule-{first.programme}")
        call.programme_codes = [code] if code else []
        notes = list(dict.fromkeys(note for tile in tiles for note in tile.notes))
        rounds = sorted({tile.round for tile in tiles}, key=Round.sort_key)
        if rounds[0].start is not None:
            call.opening_date = rounds[0].start.opening(self.timezone)
            call.opening_precision = rounds[0].start.precision
        several = len(rounds) > 1 or any(MANY_ROUNDS.search(note) for note in notes)
        call.deadlines = self._parse_deadlines(call, rounds, notes, several)
        call.source_status = parse_status([first.title, *notes])
        found = FE_NUMBER.search(" ".join([first.title, first.description or ""]))
        call.call_identifier = found.group(0) if found else None
        lines = [tile.description for tile in tiles]
        if funding := next((t.max_funding for t in tiles if t.max_funding), None):
            lines.append(f"Maksymalne dofinansowanie: {funding}")
        text = "\n\n".join(dict.fromkeys(x for x in lines + notes if x))
        call.description = text or None
        return call

    def _parse_deadlines(
        self, call: FundingCall, rounds: list[Round], notes: list[str], several: bool
    ) -> list[Deadline]:
        """One deadline per round ("runda N" when there are several), then the end."""
        deadlines = []
        for number, round_ in enumerate(rounds, start=1):
            label = f"runda {number}" if several else None
            if round_.end is None:
                self._problem(call, "round_without_end", label or "the only round")
            else:
                deadlines.append(round_.end.to_deadline(self.timezone, label))
        try:
            end = parse_call_end(notes)
        except TileError as exc:
            self._problem(call, exc.kind, str(exc).split(": ", 1)[1])
            end = None
        last = max((r.end.last for r in rounds if r.end), default=None)
        if end is not None and (last is None or end.last > last):
            deadlines.append(end.to_deadline(self.timezone, "koniec naboru"))
        return deadlines

    def parse_call(
        self, response: Response, call: FundingCall | None = None, **kwargs: Any
    ) -> Iterator[FundingCall]:
        """A call's page: text, number, applicants, allocation; dates from the list."""
        page_title = response.xpath("normalize-space(//title)").get()
        if page_title == GENERIC_TITLE and call is not None:
            self._problem(call, "detail_missing", response.url)
            yield call
            return
        heading = response.xpath("//main//h1 | //article//h1") or response.xpath("//h1")
        if not heading:
            raise ValueError(f"PARP call page without an <h1>: {response.url}")
        call = call or self._call_from_url(response.url)
        container = heading.xpath("ancestor::*[self::main or self::article][1]")
        blocks = page_blocks(container[0] if container else Selector(response))
        problems: list[str] = []
        budget = parse_budget(blocks, problems)
        number = parse_call_number(blocks, problems)
        applicants = parse_page_applicants(blocks, problems)
        for problem in problems:
            self._problem(call, *problem.split(": ", 1))
        title = heading[0].xpath("normalize-space()").get() or call.title
        yield replace(
            call,
            title=title,
            instrument=call.instrument or parse_instrument(title),
            call_identifier=number or call.call_identifier,
            budget_amount=budget.amount if budget else None,
            budget_currency=budget.currency if budget else None,
            applicant_types=applicants,
            description=merge_description(blocks, call.description),
        )

    def _call_from_url(self, url: str) -> FundingCall:
        """A bare call for a page parsed on its own (`grants parse --callback`)."""
        return FundingCall(
            source=self.source_slug,
            source_id=source_ids([(url, "")])[(url, "")],
            title="",
            url=url,
            funder=self.funder,
            language=self.language,
        )

    def _problem(self, call: FundingCall, kind: str, detail: str) -> None:
        """Record a non-fatal problem on the call and count it."""
        call.problems.append(f"{kind}: {detail}")
        self.count_problem(f"pl_parp/{kind}")
