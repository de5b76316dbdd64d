"""NCBR spider, offline: our API pages, the real schedule capture, our own pages."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import scrapy
from click.testing import CliRunner
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from spiders.items import FundingCall, call_to_json
from spiders.pipelines import normalize_item, validate_item
from spiders.sources.pl_ncbr import PlNcbrSpider, api_url
from tests.conftest import FIXTURES, ROOT
from tests.spiders.helpers import problem_count, response_from
from tracker.cli import cli
from tracker.vocab import ApplicantType, CallStatus, DatePrecision

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
TODAY = date(2026, 11, 26)
WARSAW = ZoneInfo("Europe/Warsaw")
OWN = FIXTURES / "pl_ncbr"
SCHEDULE_2026 = "https://www.gov.pl/web/ncbr/harmonogram-konkursow-2026"
SCHEDULE_2027 = "https://www.gov.pl/web/ncbr/harmonogram-konkursow-2027"
DEMO = ROOT / "tracker" / "demo" / "data" / "sites" / "www.gov.pl"


def _spider(today: date = TODAY) -> PlNcbrSpider:
    return PlNcbrSpider.from_crawler(get_crawler(PlNcbrSpider), today=today)


def _api_response(data: dict[str, Any] | bytes, page: int) -> TextResponse:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return response_from(body, api_url(page), meta={"page": page})


def _own_pages() -> list[dict[str, Any]]:
    return [
        json.loads((OWN / f"competition_search_page_{n}.json").read_text("utf-8"))
        for n in (0, 1)
    ]


def _parse(spider: PlNcbrSpider, pages: Iterable[dict[str, Any] | bytes]) -> list[Any]:
    results: list[Any] = []
    for number, page in enumerate(pages):
        results += list(spider.parse(_api_response(page, number)))
    return results


def _calls(results: list[Any]) -> list[FundingCall]:
    return [r for r in results if isinstance(r, FundingCall)]


def _by_id(calls: list[FundingCall]) -> dict[str, FundingCall]:
    return {c.source_id: c for c in calls}


def _capture(shared: Path) -> Path:
    return shared / "pl_ncbr" / "harmonogram_konkursow_2026_fragment.html"


# --- requests --------------------------------------------------------------------


def test_start_asks_for_the_first_api_page_and_this_years_schedule() -> None:
    async def first() -> list[scrapy.Request]:
        return [r async for r in _spider(date(2027, 3, 1)).start()]

    api, schedule = asyncio.run(first())
    assert api.url == (
        "https://www.gov.pl/api/data/competition-search"
        "?type=NCBR&language=pl&page=0&size=50"
    )
    assert api.meta["page"] == 0
    assert schedule.url == SCHEDULE_2027
    assert schedule.callback.__name__ == "parse_schedule"


# --- the API (our own pages, written after pl-sources.md §3) -----------------------

FIRST_API_CALL = {
    "source": "pl_ncbr",
    "source_id": "/web/ncbr/feng010101-ip01-00426",
    "title": "Ścieżka SMART – Projekty realizowane w konsorcjach",
    "url": "https://www.gov.pl/web/ncbr/feng010101-ip01-00426",
    "funder": "Narodowe Centrum Badań i Rozwoju",
    "language": "pl",
    "programme": "Fundusze Europejskie dla Nowoczesnej Gospodarki",
    "call_identifier": "FENG.01.01-IP.01-004/26",
    "opening_date": "2026-08-07T00:00:00+02:00",
    "opening_precision": "day",
    "deadlines": [
        {"at": "2026-10-16T16:00:00+02:00", "label": None, "precision": "datetime"}
    ],
    "budget_amount": "350000000",
    "budget_currency": "PLN",
    "description": "Narodowe Centrum Badań i Rozwoju ogłasza nabór nr "
    "FENG.01.01-IP.01-004/26 w ramach Działania 1.1 Ścieżka SMART programu "
    "Fundusze Europejskie dla Nowoczesnej Gospodarki.\n\n"
    "Wsparcie otrzymają projekty badawczo-rozwojowe realizowane przez konsorcja "
    "przedsiębiorstw z organizacjami badawczymi, m.in. w obszarach:\n\n"
    "- biotechnologii medycznej,\n\n- innowacyjnej produkcji żywności.",
    "applicant_types": [
        "sme",
        "large_company",
        "consortium",
        "research_institute",
        "university",
    ],
    "instrument": "grant",
    "source_status": "open",
    "status": None,
    "keywords": [
        "zdrowe społeczeństwo",
        "biogospodarka rolno-spożywcza",
        "fundusze europejskie",
    ],
    "programme_codes": ["FENG", "FENG.01.01", "feng", "healthy_society", "agri_food"],
    "problems": [],
    "listing_hash": None,
}


def test_api_pages_give_one_call_per_path() -> None:
    spider = _spider()
    page_0, page_1 = _own_pages()
    first = list(spider.parse(_api_response(page_0, 0)))
    (request,) = [r for r in first if isinstance(r, Request)]
    assert request.url == api_url(1)
    assert request.meta["page"] == 1
    second = list(spider.parse(_api_response(page_1, 1)))
    assert not [r for r in second if isinstance(r, Request)]
    calls = _calls(first + second)
    # 8 rows, the SMART row twice; totalElements says 8 but only 7 are distinct.
    assert len(calls) == 7
    assert call_to_json(calls[0]) == FIRST_API_CALL
    assert len({c.source_id for c in calls}) == 7
    assert problem_count(spider, "pl_ncbr/shortfall") == 1


def test_no_shortfall_when_the_count_matches() -> None:
    spider = _spider()
    pages = _own_pages()
    for page in pages:
        page["totalElements"] = 7
    _parse(spider, pages)
    assert problem_count(spider, "pl_ncbr/shortfall") == 0


def test_rounds_from_dates_become_labelled_deadlines() -> None:
    agro = _by_id(_calls(_parse(_spider(), _own_pages())))[
        "/web/ncbr/ii-konkurs-agrostrateg"
    ]
    assert [(d.at, d.label) for d in agro.deadlines] == [
        (datetime(2027, 2, 26, 16, tzinfo=WARSAW), "runda 1"),
        (datetime(2027, 3, 31, 16, tzinfo=WARSAW), "runda 2"),
    ]
    assert agro.opening_date == datetime(2027, 1, 15, tzinfo=WARSAW)
    assert agro.budget_amount == 100_000_000
    assert agro.call_identifier is None  # the path holds no number; none is invented
    assert agro.programme is None
    assert agro.programme_codes == [
        "strategic_programmes",
        "agri_food",
        "circular_economy",
    ]
    assert agro.keywords == [
        "biogospodarka rolno-spożywcza",
        "gospodarka obiegu zamkniętego",
        "środki krajowe",
    ]


def test_status_words_are_hints_and_dates_decide() -> None:
    calls = _by_id(_calls(_parse(_spider(), _own_pages())))
    hints = {key.rsplit("/", 1)[1]: c.source_status for key, c in calls.items()}
    assert hints == {
        "feng010101-ip01-00426": CallStatus.OPEN,  # APPLICATIONS_IN_PROGRESS
        "ii-konkurs-agrostrateg": CallStatus.FORTHCOMING,  # ANNOUNCED
        "seal-of-excellence-feng0209-ip01-00126": CallStatus.CLOSED,  # FINISHED
        "lider-xvii": CallStatus.CLOSED,  # APPLICATIONS_IN_EVALUATION
        "innowacje-w-ochronie-zdrowia": CallStatus.OPEN,
        "infostrateg-iii": None,  # SUSPENDED: unknown, not guessed
        "wspolne-przedsiewziecie-zdrowe-spoleczenstwo-2027": CallStatus.FORTHCOMING,
    }
    suspended = calls["/web/ncbr/infostrateg-iii"]
    assert suspended.problems == ["unknown_code: status SUSPENDED"]
    # The API still says "in progress" for a call whose deadline has passed.
    smart = normalize_item(calls["/web/ncbr/feng010101-ip01-00426"], now=NOW)
    assert smart.status is CallStatus.CLOSED
    health = normalize_item(calls["/web/ncbr/innowacje-w-ochronie-zdrowia"], now=NOW)
    assert health.status is CallStatus.OPEN
    assert normalize_item(suspended, now=NOW).status is CallStatus.OPEN  # no dates


def test_cut_json_strings_and_unreadable_budgets_are_problems() -> None:
    spider = _spider()
    calls = _by_id(_calls(_parse(spider, _own_pages())))
    health = calls["/web/ncbr/innowacje-w-ochronie-zdrowia"]
    assert health.applicant_types == []
    assert health.budget_amount is None
    assert health.problems == [
        "budget_unparsed: 100% kosztów kwalifikowanych",
        "typesOfApplicant_malformed: not valid JSON (19 chars)",
    ]
    joint = calls["/web/ncbr/wspolne-przedsiewziecie-zdrowe-spoleczenstwo-2027"]
    assert joint.applicant_types == [
        ApplicantType.NGO,
        ApplicantType.PUBLIC_BODY,
        ApplicantType.INDIVIDUAL_RESEARCHER,
    ]
    assert joint.problems == [
        "dates_malformed: not valid JSON (49 chars)",
        "unknown_code: typesOfApplicant hospital",
        "unknown_code: thematicAreas space_economy",
    ]
    assert "space_economy" in joint.programme_codes  # kept for a coordinator
    assert joint.keywords == [
        "zdrowe społeczeństwo",
        "środki krajowe",
        "fundusze europejskie",
    ]
    assert joint.deadlines[0].at == datetime(2027, 4, 30, 12, tzinfo=WARSAW)
    lider = calls["/web/ncbr/lider-xvii"]
    assert (lider.budget_amount, lider.problems) == (None, [])  # "nie ma określonej"
    assert lider.applicant_types == [ApplicantType.INDIVIDUAL_RESEARCHER]
    assert problem_count(spider, "pl_ncbr/unknown_code") == 3
    assert problem_count(spider, "pl_ncbr/typesOfApplicant_malformed") == 1
    assert problem_count(spider, "pl_ncbr/budget_unparsed") == 1


def test_call_number_is_taken_from_the_text_only() -> None:
    calls = _by_id(_calls(_parse(_spider(), _own_pages())))
    seal = calls["/web/ncbr/seal-of-excellence-feng0209-ip01-00126"]
    assert seal.call_identifier == "FENG.02.09-IP.01-001/26"
    assert seal.programme_codes[:2] == ["FENG", "FENG.02.09"]
    assert calls["/web/ncbr/lider-xvii"].call_identifier is None


def test_broken_rows_are_skipped_and_counted() -> None:
    spider = _spider()
    page_0, page_1 = _own_pages()
    bad_date = copy.deepcopy(page_0["content"][0])
    bad_date["path"] = "/web/ncbr/broken-date"
    bad_date["applicationsEndDate"] = "wkrótce"
    untitled = copy.deepcopy(page_0["content"][1])
    untitled["path"], untitled["name"] = "/web/ncbr/untitled", " "
    page_0["content"] += [bad_date, untitled, "not a row"]
    calls = _calls(_parse(spider, [page_0, page_1]))
    assert len(calls) == 7
    assert not {"/web/ncbr/broken-date", "/web/ncbr/untitled"} & {
        c.source_id for c in calls
    }
    assert problem_count(spider, "pl_ncbr/skipped_row/bad_date") == 1
    assert problem_count(spider, "pl_ncbr/skipped_row/row_without_title") == 1
    assert problem_count(spider, "pl_ncbr/skipped_row/not_an_object") == 1


def test_an_empty_page_ends_paging() -> None:
    page = {"content": [], "totalElements": 0, "last": False, "number": 0}
    assert _parse(_spider(), [page]) == []


def test_paging_stops_at_the_page_limit() -> None:
    spider = _spider()
    page_0, _ = _own_pages()
    results = list(spider.parse(_api_response(page_0, 39)))
    assert not [r for r in results if isinstance(r, Request)]
    assert problem_count(spider, "pl_ncbr/too_many_pages") == 1


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"totalElements": 3, "last": true}',
        b'{"content": {}, "totalElements": 3, "last": true}',
        b'{"content": [], "last": true}',
        b'{"content": [], "totalElements": 3}',
        b"<html>Przerwa techniczna</html>",
    ],
)
def test_unexpected_envelope_fails_loudly(body: bytes) -> None:
    with pytest.raises(ValueError):
        _parse(_spider(), [body])


# --- the schedule: the real capture ------------------------------------------------

AGROSTRATEG = {
    "source": "pl_ncbr",
    "source_id": "harmonogram:agrostrateg-ii",
    "title": "AGROSTRATEG II",
    "url": SCHEDULE_2026 + "#agrostrateg-ii",
    "funder": "Narodowe Centrum Badań i Rozwoju",
    "language": "pl",
    "programme": "Programy strategiczne",
    "call_identifier": None,
    "opening_date": "2027-01-01T00:00:00+01:00",
    "opening_precision": "quarter",
    "deadlines": [
        {"at": "2027-03-31T23:59:59+02:00", "label": None, "precision": "quarter"}
    ],
    "budget_amount": "100000000",
    "budget_currency": "PLN",
    "description": "Alokacja: 100 mln zł\n\n"
    "Ogłoszenie konkursu: IV kw. 2026 r.\n\n"
    "Rozpoczęcie naboru wniosków: I kw. 2027 r.\n\n"
    "Zakończenie naboru wniosków: I kw. 2027 r.",
    "applicant_types": [],
    "instrument": "grant",
    "source_status": "forthcoming",
    "status": None,
    "keywords": [],
    "programme_codes": [],
    "problems": [],
    "listing_hash": None,
}


def test_capture_late_in_the_year_keeps_only_the_quarter_dated_call(
    shared_fixtures: Path,
) -> None:
    response = response_from(_capture(shared_fixtures), SCHEDULE_2026)
    calls = list(_spider().parse_schedule(response))
    assert len(calls) == 1
    assert call_to_json(calls[0]) == AGROSTRATEG


def test_capture_early_in_the_year_keeps_every_call(shared_fixtures: Path) -> None:
    response = response_from(_capture(shared_fixtures), SCHEDULE_2026)
    calls = _by_id(list(_spider(date(2026, 1, 2)).parse_schedule(response)))
    assert list(calls) == [
        "harmonogram:dzialanie-feng-02-09-seal-of-excellence-srodowisko-sprzyjajace"
        "-innowacjom",
        "harmonogram:dzialanie-feng-01-01-sciezka-smart-projekty-realizowane-w"
        "-konsorcjach",
        "harmonogram:agrostrateg-ii",
        "harmonogram:hydrostrateg-v",
    ]
    seal, smart, _, hydro = calls.values()
    assert (
        seal.url == "https://www.gov.pl/web/ncbr/seal-of-excellence-feng0209-ip01-00126"
    )
    assert seal.programme == "Fundusze Europejskie dla Nowoczesnej Gospodarki"
    assert seal.programme_codes == ["FENG", "FENG.02.09"]
    assert seal.opening_date == datetime(2026, 2, 17, tzinfo=WARSAW)
    assert seal.deadlines[0].at == datetime(2026, 3, 18, 23, 59, 59, tzinfo=WARSAW)
    assert seal.deadlines[0].precision is DatePrecision.DAY
    assert (
        smart.title
        == "Działanie FENG.01.01 Ścieżka SMART – Projekty realizowane w konsorcjach"
    )
    assert smart.budget_amount is None  # "w trakcie ustalania"
    assert smart.url == SCHEDULE_2026 + "#" + smart.source_id.split(":", 1)[1]
    assert (hydro.title, hydro.programme) == ("HYDROSTRATEG V", "Programy strategiczne")
    assert hydro.budget_amount == 200_000_000


# --- the schedule: our own page ------------------------------------------------------


def test_own_schedule_month_undetermined_and_broken_entries() -> None:
    spider = _spider(date(2026, 12, 15))
    response = response_from(OWN / "harmonogram_konkursow_2027.html", SCHEDULE_2027)
    calls = _by_id(list(spider.parse_schedule(response)))
    assert list(calls) == [
        "harmonogram:dzialanie-feng-01-01-sciezka-smart-projekty-z-obszaru-zdrowia",
        "harmonogram:dzialanie-feng-02-09-seal-of-excellence",
        "harmonogram:lider-xviii",
    ]
    smart, seal, lider = calls.values()
    assert smart.opening_precision is DatePrecision.QUARTER
    assert smart.deadlines[0].precision is DatePrecision.QUARTER
    assert smart.deadlines[0].at == datetime(2027, 9, 30, 23, 59, 59, tzinfo=WARSAW)
    assert (
        seal.url == "https://www.gov.pl/web/ncbr/seal-of-excellence-feng0209-ip01-00127"
    )
    assert (lider.opening_date, lider.deadlines, lider.budget_amount) == (
        None,
        [],
        None,
    )
    assert lider.programme == "Programy krajowe"
    assert normalize_item(lider, now=NOW).status is CallStatus.FORTHCOMING
    assert problem_count(spider, "pl_ncbr/schedule/bad_date") == 1  # "31 lutego"
    assert problem_count(spider, "pl_ncbr/schedule/entry_without_dates") == 1


def test_schedule_without_entries_fails_loudly(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<html><body><article id="main-content"><div class="editor-content">'
        "<p>Harmonogram zostanie opublikowany wkrótce.</p></div></article>"
        "</body></html>",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="no <details>"):
        list(_spider().parse_schedule(response_from(page, SCHEDULE_2026)))


# --- everything ---------------------------------------------------------------


def _all_calls(shared: Path) -> list[FundingCall]:
    early = _spider(date(2026, 1, 2))
    return (
        _calls(_parse(_spider(), _own_pages()))
        + list(early.parse_schedule(response_from(_capture(shared), SCHEDULE_2026)))
        + list(
            early.parse_schedule(
                response_from(OWN / "harmonogram_konkursow_2027.html", SCHEDULE_2027)
            )
        )
    )


def test_invariants_over_all_calls(shared_fixtures: Path) -> None:
    calls = _all_calls(shared_fixtures)
    assert len({c.source_id for c in calls}) == len(calls)
    for call in calls:
        validate_item(call)
        assert call.url.startswith("https://www.gov.pl/web/ncbr/")
        assert all(d.at.tzinfo is not None for d in call.deadlines)
        assert call.opening_date is None or call.opening_date.tzinfo is not None
        assert call.funder == "Narodowe Centrum Badań i Rozwoju"
        normalize_item(call, now=NOW)
    fuzzy = [
        c
        for c in calls
        if c.opening_precision in (DatePrecision.MONTH, DatePrecision.QUARTER)
    ]
    assert fuzzy and all(
        d.precision is c.opening_precision for c in fuzzy for d in c.deadlines
    )


def test_grants_parse_prints_the_api_calls() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "parse",
            "pl_ncbr",
            str(OWN / "competition_search_page_0.json"),
            "--url",
            api_url(0),
            "--meta",
            '{"page": 0}',
            "--now",
            "2026-11-26",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["source_id"].rsplit("/", 1)[1] for line in lines] == [
        "feng010101-ip01-00426",
        "ii-konkurs-agrostrateg",
        "seal-of-excellence-feng0209-ip01-00126",
        "lider-xvii",
        "innowacje-w-ochronie-zdrowia",
    ]
    assert [line["status"] for line in lines] == [
        "closed",
        "forthcoming",
        "closed",
        "closed",
        "open",
    ]
    assert "ignored 1 request" in result.stderr


def test_grants_parse_runs_the_schedule_callback(shared_fixtures: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "parse",
            "pl_ncbr",
            str(_capture(shared_fixtures)),
            "--url",
            SCHEDULE_2026,
            "--callback",
            "parse_schedule",
        ],
    )
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["source_id"] for line in result.stdout.splitlines()]
    # Everything else in the capture was announced in the first half of 2026.
    assert "harmonogram:agrostrateg-ii" in ids


# --- demo data --------------------------------------------------------------


def test_demo_pages_give_long_open_calls() -> None:
    spider = _spider()
    pages = [
        (
            DEMO
            / "api/data"
            / f"competition-search__type-NCBR_language-pl_page-{n}_size-50"
        )
        for n in (0, 1)
    ]
    calls = _calls(_parse(spider, [p.read_bytes() for p in pages]))
    schedule = response_from(
        DEMO / "web/ncbr/harmonogram-konkursow-2026", SCHEDULE_2026
    )
    planned = list(spider.parse_schedule(schedule))
    assert (len(calls), len(planned)) == (6, 3)
    assert spider.crawler.stats is not None
    assert spider.crawler.stats.get_value("grants/problems", 0) == 0
    for call in calls + planned:
        assert all(2027 <= d.at.year <= 2028 for d in call.deadlines), call.source_id
        assert normalize_item(call, now=NOW).status is not CallStatus.CLOSED
    next_year = response_from(
        DEMO / "web/ncbr/harmonogram-konkursow-2027", SCHEDULE_2027
    )
    assert len(list(_spider(date(2027, 1, 10)).parse_schedule(next_year))) == 4
