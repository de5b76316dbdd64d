"""EU Funding & Tenders Portal: open and forthcoming grants from the search API.

Confirmed by the captures in `../shared/fixtures/eu_ft_portal/` (apiVersion 2.151
and 2.101): the envelope (`totalResults`, `pageNumber`, `results`); `metadata` as
a dict of lists; `actions` and `budgetOverview` as JSON *strings*; `keywords`
sometimes one string holding a JSON array; legacy `SEDIA_PRD_CENTRICITY` copies
whose `url` is `.../topicDetails/<ID>.json`; a row repeated verbatim; deadlines
as `00:00+0000` (date only), `17:00+0000` and `19:00+0200` (2023 shape); budget
entries keyed `"<IDENTIFIER> - <type of action>"`, with a call-wide amount
repeated over several actions (CBE JU).

Assumed from peers' code and notes, not seen in a capture: the multipart request
layout (AarhusAI asserts its bytes), paging past one page, language copies of a
topic, stub rows, type 2 (prospect) and type 8 (cascade) rows and their human
URLs, and that a wall-clock time means Brussels time (the portal publishes cut-offs
as "17:00:00 Brussels time").
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from scrapy.http import TextResponse

from spiders.base import FundingSpider
from spiders.items import FundingCall
from spiders.sources._eu_ft_budget import _parse_budget
from spiders.sources._eu_ft_codes import (
    INSTRUMENT,
)
from spiders.sources._eu_ft_fields import (
    PORTAL,
    RowError,
    _first,
    _parse_deadlines,
    _parse_description,
    _parse_json_list,
    _parse_keywords,
    _parse_opening_date,
    _parse_programme,
    _parse_status,
    _parse_title,
    _parse_url,
    _source_id,
    richness,
)
from tracker.config import get_settings

PAGE_SIZE = 100  # the API silently caps pageSize at 100
RESULT_WINDOW = 10_000  # the API serves no row beyond this
BOUNDARY = "grants-eu-ft-portal-boundary"

SEARCH_QUERY: dict[str, Any] = {
    "bool": {
        "must": [
            {"terms": {"type": ["1", "2", "8"]}},
            {"terms": {"status": ["31094501", "31094502"]}},  # forthcoming, open
            {"terms": {"language": ["en"]}},
        ]
    }
}
# `identifier` kept the totals in a peer's validation (sorting on REFERENCE drops
# documents) and, unlike sortStatus, gives pages a stable order.
SEARCH_SORT = {"field": "identifier", "order": "ASC"}


def build_multipart(parts: Mapping[str, object], boundary: str = BOUNDARY) -> bytes:
    """The body the portal's `FormData(Blob)` sends: one JSON *file* part per key."""
    lines: list[str] = []
    for name, value in parts.items():
        lines += [
            f"--{boundary}",
            f'Content-Disposition: form-data; name="{name}"; filename="blob"',
            "Content-Type: application/json",
            "",
            json.dumps(value, separators=(",", ":")),
        ]
    lines += [f"--{boundary}--", ""]
    return "\r\n".join(lines).encode("utf-8")


def search_url(base: str, page: int, page_size: int = PAGE_SIZE) -> str:
    """`base` (which holds apiKey and text=***) with the paging parameters set."""
    parts = urlsplit(base)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in ("pageSize", "pageNumber")
    ]
    query += [("pageSize", str(page_size)), ("pageNumber", str(page))]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


class EuFtPortalSpider(FundingSpider):
    """Open and forthcoming grants, calls and cascade calls of the F&T Portal."""

    name = "eu_ft_portal"
    funder = "European Commission"
    source_name = "EU Funding & Tenders Portal"
    source_url = f"{PORTAL}/calls-for-proposals"
    language = "en"
    timezone = "Europe/Brussels"

    def __init__(
        self, *args: Any, page_size: int | str = PAGE_SIZE, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.page_size = max(1, min(int(page_size), PAGE_SIZE))
        # identifier -> richness of the copy already emitted; duplicates can
        # straddle pages, and the tracker upserts, so a richer later copy wins.
        self.emitted: dict[str, tuple[int, ...]] = {}
        self.rows_seen: set[tuple[str, str]] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.search_request(1)

    def search_request(self, page: int, page_size: int | None = None) -> scrapy.Request:
        body = build_multipart(
            {"query": SEARCH_QUERY, "languages": ["en"], "sort": SEARCH_SORT}
        )
        return scrapy.Request(
            search_url(get_settings().EU_FT_API_URL, page, page_size or self.page_size),
            method="POST",
            body=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Accept": "application/json",
            },
            callback=self.parse,
            meta={"page": page},
        )

    def parse(self, response: TextResponse, **kwargs: Any) -> Iterator[Any]:
        data = response.json()
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            keys = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ValueError(
                f"EU F&T search API: no 'results' list in response ({keys})"
            )
        total = data.get("totalResults")
        if not isinstance(total, int):
            raise ValueError(f"EU F&T search API: totalResults is {total!r}")
        meta = response.request.meta if response.request is not None else {}
        page = int(meta.get("page") or data.get("pageNumber") or 1)
        # The API echoes the page size it really used (it caps what it is asked);
        # later pages must use the same size or rows would be skipped.
        size = data.get("pageSize")
        size = size if isinstance(size, int) and size > 0 else self.page_size
        rows = data["results"]
        yield from self.parse_rows(rows)
        if rows and page * size < total:
            if (page + 1) * size > RESULT_WINDOW:
                self.count_problem("eu_ft/result_window_exceeded")
                return
            yield self.search_request(page + 1, size)
        elif len(self.rows_seen) < total:
            # Pages can overlap or skip rows while the index changes; say so.
            self.logger.warning(
                "shortfall: %d distinct rows seen, totalResults %d",
                len(self.rows_seen),
                total,
            )
            self.count_problem("eu_ft/shortfall")

    def parse_rows(self, rows: list[Any]) -> Iterator[FundingCall]:
        """The richest copy per source_id, unless a richer one was emitted before."""
        best: dict[str, tuple[tuple[int, ...], FundingCall]] = {}
        for row in rows:
            if not isinstance(row, dict):
                self.count_problem("eu_ft/skipped_row/not_an_object")
                continue
            self.rows_seen.add((str(row.get("reference")), str(row.get("language"))))
            try:
                call = self.parse_row(row)
            except RowError as exc:
                self.logger.warning("skipped row: %s", exc)
                self.count_problem(f"eu_ft/skipped_row/{exc.kind}")
                continue
            score = richness(row)
            if call.source_id not in best or score > best[call.source_id][0]:
                best[call.source_id] = (score, call)
        for key, (score, call) in best.items():
            if key in self.emitted and score <= self.emitted[key]:
                continue
            self.emitted[key] = score
            for problem in call.problems:
                self.count_problem("eu_ft/" + problem.split(":", 1)[0])
            yield call

    def parse_row(self, row: Mapping[str, Any]) -> FundingCall:
        """One search result as a call; `RowError` when it cannot be one."""
        meta = row.get("metadata") or {}
        source_id, identifier, number = _source_id(row)
        kind = _first(meta, "type") or "1"
        problems: list[str] = []
        actions = _parse_json_list(meta, "actions", problems)
        programme, codes = _parse_programme(meta, problems)
        if kind not in INSTRUMENT:
            problems.append(f"unknown_code: type {kind}")
        # A cascade call's budgetOverview (if any) is its parent topic's.
        budget = None if kind == "8" else _parse_budget(meta, identifier, problems)
        return FundingCall(
            source=self.name,
            source_id=source_id,
            title=_parse_title(row, kind),
            url=_parse_url(kind, meta, identifier, number),
            funder=self.funder,
            language=self.language,
            programme=programme,
            call_identifier=_first(meta, "callIdentifier"),
            opening_date=_parse_opening_date(meta, actions),
            deadlines=_parse_deadlines(meta, actions, problems),
            budget_amount=budget,
            budget_currency="EUR" if budget is not None else None,
            description=_parse_description(meta),
            instrument=INSTRUMENT.get(kind),
            source_status=_parse_status(meta, problems),
            keywords=_parse_keywords(meta, problems),
            programme_codes=codes,
            problems=problems,
        )
