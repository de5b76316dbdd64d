"""NFOŚiGW: planned and running calls from the gov.pl schedule table.

Confirmed by the capture `../shared/fixtures/pl_nfosigw/harmonogram_naborow_
fragment.html`: one `table.Table` without `<th>`, whose first row names the
columns ("Nr PP" spanning two columns); section rows of one or two cells
("Transformacja energetyczna"); nine-cell rows per programme; seven-cell rows
that continue the previous programme (its number and name span down); dates as
`2026-10-01`, `2026.12.01` and "III/IV kwartał 2026"; "nabór planowany" and
"trwa nabór wniosków"; call codes "26/NC/UR/1.12/2026/…" and FE numbers inside
link text; Outlook safelinks; an e-mail address written as "http://ftc@…";
starred programme names explained by a footnote in "Uwagi".

Assumed: the column texts stay as they are (we map by header text, and fail
when one we need is missing), and the table is the whole schedule (no detail
pages are fetched).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from spiders.base import FundingSpider
from spiders.items import FundingCall
from spiders.sources import _pl_nfosigw_fields as f
from spiders.sources._gov_pl import GOV_PL, fe_codes, node_text, page_selector, slugify
from tracker.vocab import DatePrecision

SCHEDULE_URL = f"{GOV_PL}/web/nfosigw/harmonogram-naborow"


class PlNfosigwSpider(FundingSpider):
    """The NFOŚiGW schedule of calls ("Harmonogram naborów"), one call per row."""

    name = "pl_nfosigw"
    funder = "Narodowy Fundusz Ochrony Środowiska i Gospodarki Wodnej"
    source_name = "NFOŚiGW: harmonogram naborów (gov.pl)"
    source_url = SCHEDULE_URL

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(SCHEDULE_URL, callback=self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[FundingCall]:
        rows = page_selector(response).css("table.Table").xpath(".//tr")
        header, columns = f.header(rows)
        footnotes = f.footnotes(rows, columns)
        programme: str | None = None
        previous: dict[str, str] | None = None
        seen: dict[str, int] = {}
        for row in rows[header + 1 :]:
            cells = row.xpath("./td|./th")
            texts = [node_text(c) for c in cells]
            if (not any(texts) and not cells.xpath(".//a")) or f.is_header(cells):
                continue
            if len(cells) <= 2:
                programme, previous = next(t for t in reversed(texts) if t), None
                continue
            fields = f.cells_by_field(cells, columns)
            if "name" not in fields:  # a continuation: another call of the same one
                if previous is None:
                    self.count_problem("pl_nfosigw/skipped_row/orphan_continuation")
                    continue
                fields = {**previous, **fields}
            previous = {k: v for k, v in fields.items() if k in ("number", "name")}
            try:
                call = self.parse_row(fields, programme, footnotes, response.url)
            except f.RowError as exc:
                self.logger.warning("skipped row: %s", exc)
                self.count_problem(f"pl_nfosigw/skipped_row/{exc.kind}")
                continue
            seen[call.source_id] = seen.get(call.source_id, 0) + 1
            if seen[call.source_id] > 1:  # two codeless calls of one programme
                call.source_id += f"-{seen[call.source_id]}"
            for problem in call.problems:
                self.count_problem("pl_nfosigw/" + problem.split(":", 1)[0])
            yield call

    def parse_row(
        self,
        fields: dict[str, str],
        programme: str | None,
        footnotes: dict[str, str],
        page_url: str,
    ) -> FundingCall:
        """One schedule row (its cells by field) as a call."""
        name, number = fields.get("name", ""), fields.get("number", "")
        title = name.rstrip("* ").strip()
        if not title:
            raise f.RowError("row_without_title", f"Nr PP {number!r}")
        problems: list[str] = []
        code_text = fields.get("code", "")
        identifier = f.identifier(code_text)
        url = f.page_url(fields.get("href"), page_url, problems)
        slug = slugify(f"{number} {title}")
        start = f.planned_date(fields.get("start", ""), "start", title)
        end = f.planned_date(fields.get("end", ""), "end", title)
        mode = fields.get("mode", "")
        return FundingCall(
            source=self.source_slug,
            source_id=identifier or slug,
            title=title,
            url=url or f"{page_url}#{slug}",
            funder=self.funder,
            language=self.language,
            programme=programme,
            call_identifier=identifier,
            opening_date=start.opening(self.timezone) if start else None,
            opening_precision=start.precision if start else DatePrecision.DAY,
            deadlines=[end.to_deadline(self.timezone)] if end else [],
            description=f.description(name, fields, footnotes),
            instrument=f.instrument(title, code_text, fields),
            source_status=f.state(fields.get("state", ""), problems),
            # The section is the fund's thematic area ("Ochrona przyrody").
            keywords=[k for k in (programme, f"nabór {mode}" if mode else "") if k],
            programme_codes=fe_codes(identifier, title, programme),
            problems=problems,
        )
