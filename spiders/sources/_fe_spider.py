"""The crawl both Polish EU-funds portal spiders (`pl_fe_lubelskie`, `pl_fe_portal`)
share: a listing entry becomes a call-page request (or a `CallSeen`), the call page
is read as text blocks, and every call is completed with its windows and budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from spiders.base import FundingSpider, listing_hash
from spiders.items import CallSeen, FundingCall
from spiders.sources._fe_fields import Term, parse_budget
from spiders.sources._fe_text import Para, paragraphs
from tracker.vocab import DatePrecision

CONTENT = "//main//article | //article | //main | //*[@role='main' or @id='content']"


class FeSpider(FundingSpider):
    """Base of the FE portal spiders; subclasses define `parse` and `parse_call`."""

    # How errors name the source ("FELU", "FE portal").
    label: ClassVar[str]
    # The call page's callback, defined by each spider.
    parse_call: Callable[..., Iterator[FundingCall | CallSeen]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Calls already handled in this crawl: listings repeat calls (LAWP's cards
        # on `/nabory/`, a sidebar repeating an earlier page's call).
        self.emitted: set[str] = set()

    def follow_call(
        self,
        response: Response,
        url: str,
        source_id: str,
        texts: list[str],
        **listed: Any,
    ) -> CallSeen | scrapy.Request:
        """A `CallSeen` when the entry reads as stored, else the request for the call's
        page, carrying `listed` (what the listing said), `source_id` and `digest`."""
        digest = listing_hash(url, texts)
        if seen := self.unchanged_listing(source_id, digest):
            return seen
        kwargs = {**listed, "source_id": source_id, "digest": digest}
        return response.follow(url, self.parse_call, cb_kwargs=kwargs)

    def page_text(self, response: Response) -> tuple[list[Para], str | None]:
        """The call page's text blocks and first heading; `ValueError` when it has no
        main/article."""
        roots = response.xpath(CONTENT)
        if not roots:
            raise ValueError(
                f"{self.label} call page without main/article: {response.url}"
            )
        paras = paragraphs(roots[0])
        return paras, next((p.text for p in paras if p.heading), None)

    def complete(
        self, call: FundingCall, terms: list[Term], paras: list[Para]
    ) -> FundingCall:
        """The call with its windows (the first one's start is the opening) and the
        page's budget; each of its problems counted."""
        opening = terms[0].start if terms else None
        call.opening_date = opening.opening(self.timezone) if opening else None
        call.opening_precision = opening.precision if opening else DatePrecision.DAY
        call.deadlines = [t.end.to_deadline(self.timezone, t.label) for t in terms]
        if money := parse_budget(paras):
            call.budget_amount, call.budget_currency = money.amount, money.currency
        for problem in call.problems:
            self.count_problem(f"{self.name}/{problem.split(':')[0]}")
        return call
