"""EU F&T Portal spider, offline: real captures in ../shared plus our own pages."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import scrapy
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from spiders.items import Deadline, FundingCall, call_to_json
from spiders.pipelines import normalize_item, validate_item
from spiders.sources import _eu_ft_budget as eu_budget
from spiders.sources import _eu_ft_fields as eu
from spiders.sources.eu_ft_portal import EuFtPortalSpider, build_multipart, search_url
from tests.conftest import FIXTURES
from tracker.status import compute_status
from tracker.vocab import CallStatus, DatePrecision, Instrument

NOW = datetime(2026, 9, 1, tzinfo=UTC)
BRUSSELS = ZoneInfo("Europe/Brussels")
OWN = FIXTURES / "eu_ft_portal"
TOPIC = f"{eu.PORTAL}/topic-details/"


def _spider(**kwargs: Any) -> EuFtPortalSpider:
    return EuFtPortalSpider.from_crawler(get_crawler(EuFtPortalSpider), **kwargs)


def _response(data: dict[str, Any] | bytes, page: int = 1) -> TextResponse:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    request = Request("https://api.example.org/search", meta={"page": page})
    return TextResponse(request.url, body=body, encoding="utf-8", request=request)


def _parse(
    spider: EuFtPortalSpider, pages: Iterable[dict[str, Any] | bytes]
) -> list[Any]:
    results: list[Any] = []
    for number, page in enumerate(pages, start=1):
        results += list(spider.parse(_response(page, number)))
    return results


def _calls(results: list[Any]) -> list[FundingCall]:
    return [r for r in results if isinstance(r, FundingCall)]


def _stat(spider: EuFtPortalSpider, reason: str) -> int:
    assert spider.crawler.stats is not None
    return spider.crawler.stats.get_value(f"grants/problems/{reason}", 0)


def _own_pages() -> list[dict[str, Any]]:
    return [json.loads((OWN / f"page_{n}.json").read_text("utf-8")) for n in (1, 2)]


def _capture(shared: Path) -> bytes:
    return (shared / "eu_ft_portal" / "search_page.json").read_bytes()


def _last_by_id(calls: list[FundingCall]) -> dict[str, FundingCall]:
    # What the tracker keeps after upserting by key: the last (richest) emission.
    return {call.source_id: call for call in calls}


# --- request -------------------------------------------------------------------


def test_multipart_body_is_one_json_file_part_per_key() -> None:
    body = build_multipart({"query": {"a": [1]}, "languages": ["en"]}, boundary="B")
    assert body == (
        b"--B\r\n"
        b'Content-Disposition: form-data; name="query"; filename="blob"\r\n'
        b"Content-Type: application/json\r\n"
        b"\r\n"
        b'{"a":[1]}\r\n'
        b"--B\r\n"
        b'Content-Disposition: form-data; name="languages"; filename="blob"\r\n'
        b"Content-Type: application/json\r\n"
        b"\r\n"
        b'["en"]\r\n'
        b"--B--\r\n"
    )


def test_search_request_posts_the_filtered_query() -> None:
    request = _spider().search_request(3)
    assert request.method == "POST"
    url = urlsplit(request.url)
    assert url.path == "/search-api/prod/rest/search"
    assert parse_qs(url.query) == {
        "apiKey": ["SEDIA"],
        "text": ["***"],
        "pageSize": ["100"],
        "pageNumber": ["3"],
    }
    content_type = request.headers[b"Content-Type"]
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type + b"\r\n\r\n" + request.body
    )
    parts = {
        p.get_param("name", header="content-disposition"): p
        for p in message.iter_parts()
    }
    assert list(parts) == ["query", "languages", "sort"]
    for part in parts.values():
        assert part.get_filename() == "blob"
        assert part.get_content_type() == "application/json"
    decoded = {name: json.loads(part.get_payload()) for name, part in parts.items()}
    must = decoded["query"]["bool"]["must"]
    assert {"terms": {"type": ["1", "2", "8"]}} in must
    assert {"terms": {"status": ["31094501", "31094502"]}} in must
    assert {"terms": {"language": ["en"]}} in must
    assert decoded["languages"] == ["en"]
    assert decoded["sort"]["field"] != "REFERENCE"  # that sort drops documents


def test_search_url_merges_paging_into_the_configured_query() -> None:
    url = search_url("https://h.example/s?apiKey=SEDIA&text=***&pageSize=5", 2, 50)
    assert url == "https://h.example/s?apiKey=SEDIA&text=***&pageSize=50&pageNumber=2"


def test_start_asks_for_the_first_page() -> None:
    async def first() -> list[scrapy.Request]:
        return [r async for r in _spider().start()]

    (request,) = asyncio.run(first())
    assert parse_qs(urlsplit(request.url).query)["pageNumber"] == ["1"]
    assert request.meta["page"] == 1


# --- time convention -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "precision"),
    [
        # Brussels wall-clock stored as if UTC.
        (
            "2024-02-07T17:00:00.000+0000",
            datetime(2024, 2, 7, 17),
            DatePrecision.DATETIME,
        ),
        # 2023 shape: the same stored 17:00Z rendered in CEST.
        (
            "2024-04-18T19:00:00.000+0200",
            datetime(2024, 4, 18, 17),
            DatePrecision.DATETIME,
        ),
        # Midnight means "no time given": the portal's 17:00 cut-off.
        ("2027-04-08T00:00:00.000+0000", datetime(2027, 4, 8, 17), DatePrecision.DAY),
        ("2023-12-07T01:00:00.000+0100", datetime(2023, 12, 7, 17), DatePrecision.DAY),
    ],
)
def test_portal_time_is_brussels_wall_clock(
    value: str, expected: datetime, precision: DatePrecision
) -> None:
    at, got = eu._deadline_at(eu._portal_wall_clock(value))
    assert (at, got) == (expected.replace(tzinfo=BRUSSELS), precision)


# --- the real captures -----------------------------------------------------------

FIRST_CAPTURED = {
    "source": "eu_ft_portal",
    "source_id": "HORIZON-MISS-2027-05-SOIL-01-two-stage",
    "title": "Living labs to enhance soil health in Continental, Black Sea, Pannonian "
    "and Steppic biogeographical regions",
    "url": TOPIC + "HORIZON-MISS-2027-05-SOIL-01-two-stage",
    "funder": "European Commission",
    "language": "en",
    "programme": "Horizon Europe (HORIZON)",
    "call_identifier": "HORIZON-MISS-2027-05-two-stage",
    "opening_date": "2027-02-04T00:00:00+01:00",
    "opening_precision": "day",
    "deadlines": [
        {"at": "2027-04-08T17:00:00+02:00", "label": "stage 1", "precision": "day"},
        {"at": "2027-09-14T17:00:00+02:00", "label": "stage 2", "precision": "day"},
    ],
    "budget_amount": None,
    "budget_currency": None,
    "description": "Expected Outcome:\n\n"
    "Activities under this topic respond directly to the goal of the Mission Soil "
    "to set up 100 living labs and lighthouses to lead the transition to healthy "
    "soils by 2030 and support its specific objectives[1].\n\n"
    "Activities should also contribute to the Common Agricultural Policy and to "
    "meeting the European Green Deal ambitions and targets and more specifically "
    "those of the EU Biodiversity Strategy for 2030, the EU Soil Strategy for 2030 "
    "and the",
    "applicant_types": [],
    "instrument": "grant",
    "source_status": "forthcoming",
    "status": None,
    "keywords": [
        "HORIZON-MISS-2027-05-SOIL-01-two-stage",
        "HORIZON-MISS-2027-05-two-stage",
        "Agriculture",
        "Agriculture related to crop production, soil biology and cultivation, "
        "applied plant biology",
        "Ecosystem services provided by soils",
        "Soil biodiversity",
        "Soil chemistry",
        "Soil conservation",
    ],
    "programme_codes": [
        "43108390",
        "43108541",
        "43121563",
        "Horizon Europe Framework Programme (HORIZON)",
        "Global Challenges and European Industrial Competitiveness",
        "Food, Bioeconomy Natural Resources, Agriculture and Environment",
    ],
    "problems": [
        "budget_cut: budgetOverview is cut or malformed JSON (600 chars); "
        "the topic's entry is lost"
    ],
    "listing_hash": None,
}


def test_capture_gives_one_call_per_topic(shared_fixtures: Path) -> None:
    calls = _calls(_parse(_spider(), [_capture(shared_fixtures)]))
    # 9 rows: the EOSC legacy row is there twice.
    assert len(calls) == 8
    assert call_to_json(calls[0]) == FIRST_CAPTURED


def test_capture_records_cut_budgets_and_salvages_what_survived(
    shared_fixtures: Path,
) -> None:
    spider = _spider()
    calls = {
        c.source_id: c for c in _calls(_parse(spider, [_capture(shared_fixtures)]))
    }
    cut = [
        c.source_id
        for c in calls.values()
        if any("budget_cut" in p for p in c.problems)
    ]
    assert len(cut) == 5
    assert _stat(spider, "eu_ft/budget_cut") == 5
    # Complete string: 23M + 37M for the one topic.
    governance = calls["HORIZON-CL6-2026-04-GOVERNANCE-01"]
    assert (governance.budget_amount, governance.budget_currency) == (60_000_000, "EUR")
    # Cut string, but the topic's own entry survived whole.
    assert calls["HORIZON-CL3-2026-02-CS-ECCC-01"].budget_amount == Decimal(20_000_000)
    assert calls["HORIZON-JU-CBE-2026-IAFlag-02"].budget_amount is None
    # The verbatim repeated row tells that a row may be missing.
    assert _stat(spider, "eu_ft/shortfall") == 1


def test_capture_2023_result(shared_fixtures: Path) -> None:
    row = json.loads(
        (shared_fixtures / "eu_ft_portal" / "search_result_2023.json").read_bytes()
    )
    envelope = {"totalResults": 1, "pageNumber": 1, "pageSize": 100, "results": [row]}
    (call,) = _calls(_parse(_spider(), [envelope]))
    assert call.title.startswith("Development of technical and business solutions")
    assert call.url == TOPIC + "HORIZON-CL5-2024-D2-01-03"
    assert call.deadlines == [
        Deadline(
            datetime(2024, 4, 18, 17, tzinfo=BRUSSELS), None, DatePrecision.DATETIME
        )
    ]
    assert call.opening_date == datetime(2023, 12, 7, tzinfo=BRUSSELS)
    assert call.keywords[:2] == ["Energy storage", "Social Innovation"]
    assert call.source_status is CallStatus.FORTHCOMING
    assert normalize_item(call, now=NOW).status is CallStatus.CLOSED


def _all_calls(shared: Path) -> list[FundingCall]:
    return _calls(_parse(_spider(), [_capture(shared)])) + _calls(
        _parse(_spider(page_size=10), _own_pages())
    )


def test_invariants_over_all_calls(shared_fixtures: Path) -> None:
    for call in _all_calls(shared_fixtures):
        validate_item(call)
        assert call.url.startswith(eu.PORTAL + "/")
        assert not call.url.endswith(".json")
        assert all(d.at.tzinfo is not None for d in call.deadlines)
        assert call.opening_date is None or call.opening_date.tzinfo is not None
        normalize_item(call, now=NOW)
        expected = compute_status(
            NOW, call.opening_date, [d.at for d in call.deadlines], call.source_status
        )
        assert call.status is expected


def test_no_duplicate_source_id_within_a_page(shared_fixtures: Path) -> None:
    calls = _calls(_parse(_spider(), [_capture(shared_fixtures)]))
    assert len({c.source_id for c in calls}) == len(calls)


# --- our own two-page listing ---------------------------------------------------


def test_paging_follows_total_results() -> None:
    spider = _spider(page_size=10)
    page_1, page_2 = _own_pages()
    first = list(spider.parse(_response(page_1, 1)))
    (request,) = [r for r in first if isinstance(r, Request)]
    assert parse_qs(urlsplit(request.url).query)["pageNumber"] == ["2"]
    assert parse_qs(urlsplit(request.url).query)["pageSize"] == ["10"]
    assert request.meta["page"] == 2
    second = list(spider.parse(_response(page_2, 2)))
    assert not [r for r in second if isinstance(r, Request)]
    assert _stat(spider, "eu_ft/shortfall") == 0


def test_paging_uses_the_page_size_the_api_echoes() -> None:
    # Asked for 100, served 10 (the API caps silently): continue with 10.
    page_1, _ = _own_pages()
    (request,) = [r for r in _parse(_spider(), [page_1]) if isinstance(r, Request)]
    query = parse_qs(urlsplit(request.url).query)
    assert (query["pageSize"], query["pageNumber"]) == (["10"], ["2"])


def test_shortfall_is_counted() -> None:
    spider = _spider(page_size=10)
    page_1, page_2 = _own_pages()
    page_2["totalResults"] = page_1["totalResults"] = 15
    _parse(spider, [page_1, page_2])
    assert _stat(spider, "eu_ft/shortfall") == 1


def test_an_empty_page_ends_paging() -> None:
    page = {"totalResults": 500, "pageNumber": 1, "results": []}
    assert _parse(_spider(), [page]) == []


def test_own_listing_emits_the_richest_copy_of_each_call() -> None:
    calls = _calls(_parse(_spider(page_size=10), _own_pages()))
    assert [c.source_id for c in calls] == [
        "HORIZON-HLTH-2026-01-DISEASE-07",
        "HORIZON-HLTH-2026-01-DISEASE-07/cascade-15342",
        "HORIZON-EIC-2026-ACCELERATOR-01",
        "HORIZON-JU-CBE-2026-IAFlag-02",
        "HORIZON-MISS-2027-05-SOIL-01-two-stage",
        "HORIZON-CL6-2024-FARM2FORK-01-11",
        "HORIZON-CL6-2026-01-BIODIV-03",  # a stub first...
        "HORIZON-CL6-2026-01-FARM2FORK-04",
        "HORIZON-CL6-2026-01-BIODIV-03",  # ...then the full row from page 2
        "EuropeAid-183456-DD-ACT-Multi",
    ]
    stub, full = (c for c in calls if c.source_id.endswith("BIODIV-03"))
    assert (stub.description, stub.deadlines) == (None, [])
    assert full.budget_amount == 9_000_000
    assert full.deadlines[0].at == datetime(2027, 2, 25, 17, tzinfo=BRUSSELS)


def test_own_listing_topic_fields() -> None:
    calls = _last_by_id(_calls(_parse(_spider(page_size=10), _own_pages())))
    health = calls["HORIZON-HLTH-2026-01-DISEASE-07"]
    assert health.title == "Next-generation vaccines against emerging zoonotic viruses"
    # Only "<id> - " entries: the -070 topic's 5M stays out.
    assert health.budget_amount == Decimal(25_000_000)
    assert health.description == (
        "Expected Outcome:\n\nProjects are expected to contribute to all of the "
        "following outcomes:\n\n- Vaccine candidates against priority zoonotic "
        "viruses reach phase I.\n- Research & regulatory communities share "
        "pre-clinical data.\n\nScope:\n\nProposals should address viral families "
        "with pandemic potential.\n\nLinks with the One Health approach are "
        "encouraged."
    )
    assert "Infectious Diseases, including poverty-related and neglected diseases" in (
        health.programme_codes
    )
    assert health.problems == []


def test_own_listing_cascade_call_keeps_its_own_identity() -> None:
    calls = _last_by_id(_calls(_parse(_spider(page_size=10), _own_pages())))
    cascade = calls["HORIZON-HLTH-2026-01-DISEASE-07/cascade-15342"]
    assert cascade.instrument is Instrument.CASCADE
    assert cascade.title.startswith("BIOVAXX Open Call 2")
    assert cascade.url == f"{eu.PORTAL}/competitive-calls-cs/15342"
    assert cascade.deadlines == [
        Deadline(
            datetime(2026, 9, 30, 15, tzinfo=BRUSSELS), None, DatePrecision.DATETIME
        )
    ]
    assert cascade.budget_amount is None
    assert calls["HORIZON-HLTH-2026-01-DISEASE-07"].instrument is Instrument.GRANT


def test_own_listing_deadline_models() -> None:
    calls = _last_by_id(_calls(_parse(_spider(page_size=10), _own_pages())))
    eic = calls["HORIZON-EIC-2026-ACCELERATOR-01"].deadlines
    assert [d.label for d in eic] == [
        "cut-off 1",
        "cut-off 2",
        "cut-off 3",
        "cut-off 4",
    ]
    soil = calls["HORIZON-MISS-2027-05-SOIL-01-two-stage"].deadlines
    assert [(d.at.date().isoformat(), d.label) for d in soil] == [
        ("2027-04-08", "stage 1"),
        ("2027-09-14", "stage 2"),
    ]
    # actions and deadlineDate disagree: actions win, the matching time is kept.
    farm = calls["HORIZON-CL6-2026-01-FARM2FORK-04"]
    assert farm.deadlines == [
        Deadline(datetime(2026, 9, 17, 15, tzinfo=BRUSSELS), "cut-off 1"),
        Deadline(
            datetime(2027, 2, 18, 17, tzinfo=BRUSSELS), "cut-off 2", DatePrecision.DAY
        ),
    ]
    assert any(p.startswith("deadlines_disagree:") for p in farm.problems)


def test_own_listing_budget_and_code_problems() -> None:
    spider = _spider(page_size=10)
    calls = _last_by_id(_calls(_parse(spider, _own_pages())))
    soil = calls["HORIZON-MISS-2027-05-SOIL-01-two-stage"]
    assert soil.budget_amount == Decimal(36_000_000)  # salvaged from the cut string
    assert soil.problems == [
        "budget_cut: budgetOverview is cut or malformed JSON (619 chars); "
        "the topic's entry was salvaged"
    ]
    cbe = calls["HORIZON-JU-CBE-2026-IAFlag-02"]
    assert cbe.budget_amount is None
    assert [p.split(":")[0] for p in cbe.problems] == ["budget_call_wide"]
    farm = calls["HORIZON-CL6-2026-01-FARM2FORK-04"]
    assert "unknown_code: programmeDivision 99999999" in farm.problems
    assert "99999999" in farm.programme_codes
    assert farm.keywords == ["Food systems", "Microbiome"]  # salvaged from a cut array
    assert _stat(spider, "eu_ft/keywords_malformed") == 1


def test_own_listing_status_is_computed_from_dates() -> None:
    calls = _last_by_id(_calls(_parse(_spider(page_size=10), _own_pages())))
    stale = normalize_item(calls["HORIZON-CL6-2024-FARM2FORK-01-11"], now=NOW)
    assert stale.source_status is CallStatus.OPEN
    assert stale.status is CallStatus.CLOSED
    assert stale.url == TOPIC + "HORIZON-CL6-2024-FARM2FORK-01-11"  # not the .json
    assert stale.keywords == ["Food safety", "Microbiome", "Fermentation"]


def test_own_listing_prospect_links_to_its_prospect_page() -> None:
    calls = _last_by_id(_calls(_parse(_spider(page_size=10), _own_pages())))
    prospect = calls["EuropeAid-183456-DD-ACT-Multi"]
    assert prospect.url == (
        f"{eu.PORTAL}/prospect-details/EuropeAid-183456-DD-ACT-MultiPROSPECTSEN"
    )
    assert prospect.programme == "EU External Action - Prospect (RELEX-PROSPECT)"


def test_equal_sibling_budgets_are_genuine() -> None:
    entries = [
        {
            "action": f"T-0{n} - RIA",
            "expectedGrants": 1,
            "maxContribution": 7_000_000,
            "budgetYearMap": {"2027": "7000000"},
        }
        for n in (1, 2)
    ]
    meta = {"budgetOverview": [json.dumps({"budgetTopicActionMap": {"1": entries}})]}
    problems: list[str] = []
    assert eu_budget._parse_budget(meta, "T-01", problems) == Decimal(7_000_000)
    assert problems == []


def test_entry_without_amounts_is_no_budget() -> None:
    entry = {"action": "T-01 - EIC", "maxContribution": None, "budgetYearMap": {}}
    meta = {"budgetOverview": [json.dumps({"budgetTopicActionMap": {"1": [entry]}})]}
    problems: list[str] = []
    assert eu_budget._parse_budget(meta, "T-01", problems) is None
    assert problems == []


def test_framework_code_among_divisions_is_known() -> None:
    meta = {"frameworkProgramme": ["43252405"], "programmeDivision": ["43252405"]}
    problems: list[str] = []
    programme, codes = eu._parse_programme(meta, problems)
    assert programme == "Programme for the Environment and Climate Action (LIFE)"
    assert problems == []
    assert codes[0] == "43252405"


# --- broken input ----------------------------------------------------------------


def test_broken_rows_are_skipped_and_counted() -> None:
    spider = _spider(page_size=10)
    page_1, page_2 = _own_pages()
    bad_date = copy.deepcopy(page_1["results"][4])  # the EIC topic
    bad_date["metadata"]["identifier"] = ["HORIZON-EIC-2026-BROKEN"]
    bad_date["metadata"]["deadlineDate"] = ["next spring"]
    page_1["results"].append(bad_date)
    calls = _calls(_parse(spider, [page_1, page_2]))
    assert len(calls) == 10
    assert "HORIZON-EIC-2026-BROKEN" not in {c.source_id for c in calls}
    assert _stat(spider, "eu_ft/skipped_row/row_without_identifier") == 1
    assert _stat(spider, "eu_ft/skipped_row/bad_date") == 1


@pytest.mark.parametrize(
    "body",
    [b'{"totalResults": 3}', b"[]", b'{"results": {}}', b'{"results": []}'],
)
def test_unexpected_envelope_fails_loudly(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"results|totalResults"):
        _parse(_spider(), [body])
