"""NCBR: competitions from the gov.pl competition-search API, planned ones from
the yearly HTML schedule.

Confirmed by the capture `../shared/fixtures/pl_ncbr/harmonogram_konkursow_2026_
fragment.html`: the schedule's markup (`article#main-content`, an `<h3>` per
programme, a `<details><summary>` per call with "Alokacja", "Ogłoszenie
konkursu", "Rozpoczęcie/Zakończenie naboru wniosków") and its values ("14
stycznia 2026&nbsp;r.", "IV kw. 2026 r.", "w trakcie ustalania", "100 mln zł").

Assumed, from the field-by-field description in `../shared/research/pl-sources.md`
§3 (no capture of the API exists; our fixtures follow it): the envelope
(`content`, `totalElements`, `last`, `number`), the row fields, JSON arrays kept
in strings, naive Warsaw timestamps, rows repeated across pages. Not documented
and so guessed: the values of `programmeTypes`, round names in `dates`
("Zakończenie naboru – runda 2"), and that a midnight timestamp means a bare day.

Neither source has detail pages worth fetching (an API row carries the whole
call), so there is no listing hash. Descriptions are gov.pl text (CC BY-SA 4.0).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import scrapy
from parsel import Selector
from scrapy.http import Response

from spiders.base import FundingSpider
from spiders.items import FundingCall
from spiders.parsing import FuzzyDate
from spiders.sources import _pl_ncbr_fields as f
from spiders.sources._gov_pl import (
    FE_PROGRAMMES,
    GOV_PL,
    fe_codes,
    find_fe_number,
    html_to_text,
    is_page_link,
    node_text,
    page_selector,
    slugify,
)
from tracker.vocab import CallStatus, DatePrecision, Instrument

API_URL = f"{GOV_PL}/api/data/competition-search"
PAGE_SIZE = 50
MAX_PAGES = 40  # 2000 rows; NCBR had 364 competitions in 2026
SCHEDULE_URL = f"{GOV_PL}/web/ncbr/harmonogram-konkursow-{{year}}"


def api_url(page: int) -> str:
    return f"{API_URL}?type=NCBR&language=pl&page={page}&size={PAGE_SIZE}"


class PlNcbrSpider(FundingSpider):
    """NCBR competitions (JSON API) and still-planned calls (schedule page)."""

    name = "pl_ncbr"
    funder = "Narodowe Centrum Badań i Rozwoju"
    source_name = "NCBR: wyszukiwarka konkursów i harmonogram (gov.pl)"
    source_url = f"{GOV_PL}/web/ncbr"

    def __init__(self, *args: Any, today: date | str | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if isinstance(today, str):
            today = date.fromisoformat(today)
        self.today = today or datetime.now(ZoneInfo(self.timezone)).date()
        self.paths: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(api_url(0), callback=self.parse, meta={"page": 0})
        yield scrapy.Request(
            SCHEDULE_URL.format(year=self.today.year), callback=self.parse_schedule
        )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        data = json.loads(response.body)
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            keys = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"NCBR competition-search: no 'content' list ({keys})")
        total, last = data.get("totalElements"), data.get("last")
        if not isinstance(total, int) or not isinstance(last, bool):
            raise ValueError(
                f"NCBR competition-search: totalElements {total!r}, last {last!r}"
            )
        page = int(response.meta.get("page", data.get("number") or 0))
        yield from self.parse_rows(data["content"])
        if data["content"] and not last and page + 1 < MAX_PAGES:
            yield scrapy.Request(api_url(page + 1), self.parse, meta={"page": page + 1})
        elif data["content"] and not last:
            self.count_problem("pl_ncbr/too_many_pages")
        elif len(self.paths) < total:
            # Paging is known to repeat rows and so to skip others.
            self.logger.warning(
                "shortfall: %d distinct rows, totalElements %d", len(self.paths), total
            )
            self.count_problem("pl_ncbr/shortfall")

    def parse_rows(self, rows: list[Any]) -> Iterator[FundingCall]:
        """One call per distinct path; a broken row is skipped and counted."""
        for row in rows:
            path = row.get("path") if isinstance(row, dict) else None
            if isinstance(path, str) and path:
                if path in self.paths:
                    continue
                self.paths.add(path)
            try:
                call = self.parse_row(row)
            except f.RowError as exc:
                self.logger.warning("skipped row: %s", exc)
                self.count_problem(f"pl_ncbr/skipped_row/{exc.kind}")
                continue
            for problem in call.problems:
                self.count_problem("pl_ncbr/" + problem.split(":", 1)[0])
            yield call

    def parse_row(self, row: Any) -> FundingCall:
        """One API row as a call; `RowError` when it cannot be one."""
        if not isinstance(row, dict):
            raise f.RowError("not_an_object", type(row).__name__)
        path = str(row.get("path") or "").strip()
        title = " ".join(str(row.get("name") or "").split())
        if not path.startswith("/"):
            raise f.RowError("row_without_path", repr(title))
        if not title:
            raise f.RowError("row_without_title", path)
        problems: list[str] = []
        description = html_to_text(row.get("description"))
        number = find_fe_number(title, description)
        codes = fe_codes(number, title)
        areas = [str(a) for a in f.json_field(row, "thematicAreas", problems)]
        types = [str(t) for t in f.json_field(row, "programmeTypes", problems)]
        opening, start = f.opening(row, self.timezone)
        money = f.budget(row.get("budget"), problems)
        dates = f.json_field(row, "dates", problems)
        return FundingCall(
            source=self.source_slug,
            source_id=path,
            title=title,
            url=GOV_PL + path,
            funder=self.funder,
            language=self.language,
            programme=FE_PROGRAMMES.get(codes[0]) if codes else None,
            call_identifier=number,
            opening_date=opening,
            opening_precision=start.precision if start else DatePrecision.DAY,
            deadlines=f.deadlines(row, dates, self.timezone, problems),
            budget_amount=money.amount if money else None,
            budget_currency=money.currency if money else None,
            description=description,
            applicant_types=f.coded_field(
                row, "typesOfApplicant", f.APPLICANTS, problems
            ),
            instrument=Instrument.GRANT,
            source_status=f.status(row.get("status"), problems),
            keywords=f.coded(areas, f.THEMATIC_AREAS, "thematicAreas", problems)
            + f.coded_field(row, "sourcesOfFunding", f.FUNDING_SOURCES, problems),
            programme_codes=list(dict.fromkeys([*codes, *types, *areas])),
            problems=problems,
        )

    def parse_schedule(
        self, response: Response, **kwargs: Any
    ) -> Iterator[FundingCall]:
        """Calls of the yearly schedule whose announcement is still to come."""
        article = page_selector(response).css("article#main-content")
        details = article.css("div.editor-content details")
        if not details:
            raise ValueError(f"NCBR schedule: no <details> entries in {response.url}")
        for entry in details:
            try:
                call = self.parse_schedule_entry(entry, response.url)
            except f.RowError as exc:
                self.logger.warning("skipped schedule entry: %s", exc)
                self.count_problem(f"pl_ncbr/schedule/{exc.kind}")
                continue
            if call is not None:
                yield call

    def parse_schedule_entry(self, entry: Selector, page: str) -> FundingCall | None:
        """One `<details>` as a planned call; None once it has been announced."""
        title = node_text(entry.css("summary"))
        if not title:
            raise f.RowError("entry_without_title", page)
        lines = f.schedule_lines(entry)
        labels = f.SCHEDULE_LABELS
        fields = {labels[k.lower()]: v for k, v in lines if k.lower() in labels}
        if not fields:
            raise f.RowError("entry_without_dates", title)

        def when(key: str) -> FuzzyDate | None:
            return f.schedule_date(fields.get(key), self.today, f"{title}: {key}")

        if not f.still_planned(when("announcement"), self.today):
            return None
        start, end = when("start"), when("end")
        problems: list[str] = []
        money = f.budget(fields.get("budget"), problems)
        link = urljoin(page, entry.css("a::attr(href)").get(""))
        programme = node_text(entry.xpath("preceding::h3[1]")) or None
        slug = slugify(title)
        return FundingCall(
            source=self.source_slug,
            source_id=f"harmonogram:{slug}",
            title=title,
            url=link if is_page_link(link) and link != page else f"{page}#{slug}",
            funder=self.funder,
            language=self.language,
            programme=programme,
            call_identifier=find_fe_number(title),
            opening_date=start.opening(self.timezone) if start else None,
            opening_precision=start.precision if start else DatePrecision.DAY,
            deadlines=[end.to_deadline(self.timezone)] if end else [],
            budget_amount=money.amount if money else None,
            budget_currency=money.currency if money else None,
            description="\n\n".join(f"{k}: {v}" for k, v in lines),
            instrument=Instrument.GRANT,
            source_status=CallStatus.FORTHCOMING,
            programme_codes=fe_codes(title, programme),
            problems=problems,
        )
