"""ABM spider, offline: our own list and call pages (no capture of ABM exists)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import scrapy
from click.testing import CliRunner
from scrapy.utils.test import get_crawler

from spiders.items import CallSeen, FundingCall, call_to_json
from spiders.pipelines import normalize_item, validate_item
from spiders.sources.pl_abm import PlAbmSpider
from tests.conftest import FIXTURES
from tests.spiders.helpers import problem_count, response_from
from tracker.cli import cli
from tracker.tagging import tag_call
from tracker.vocab import ApplicantType, DatePrecision

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
OWN = FIXTURES / "pl_abm"
LISTING = PlAbmSpider.source_url
CALLS = "https://abm.gov.pl/pl/konkursy/aktualne-konkursy/"
ONCOLOGY = (
    f"{CALLS}1402,Konkurs-na-niekomercyjne-badania-kliniczne-w-onkologii-i-"
    "hematologii-ABM20262.html"
)
RARE = f"{CALLS}1417,Konkurs-na-badania-naukowe-w-zakresie-chorob-rzadkich.html"


def _spider() -> PlAbmSpider:
    return PlAbmSpider.from_crawler(get_crawler(PlAbmSpider))


def _listing(spider: PlAbmSpider, body: bytes | None = None) -> list[Any]:
    body = body if body is not None else (OWN / "konkursy.html").read_bytes()
    return list(spider.parse(response_from(body, LISTING)))


def _page(request: scrapy.Request) -> bytes:
    page_id = request.url.rsplit("/", 1)[1].split(",")[0]
    return (OWN / f"call_{page_id}.html").read_bytes()


def _detail(
    spider: PlAbmSpider, request: scrapy.Request, body: bytes | None = None
) -> list[FundingCall]:
    body = body if body is not None else _page(request)
    response = response_from(body, request=request)
    return list(spider.parse_call(response, **request.cb_kwargs))


def _crawl(spider: PlAbmSpider) -> list[FundingCall]:
    return [call for r in _listing(spider) for call in _detail(spider, r)]


# --- the list --------------------------------------------------------------------


def test_listing_requests_each_open_call_once() -> None:
    requests = _listing(_spider())
    assert [r.url for r in requests] == [ONCOLOGY, RARE]  # no archive, no "Więcej"
    assert [r.cb_kwargs["page_id"] for r in requests] == ["1402", "1417"]
    assert all(len(r.cb_kwargs["entry_hash"]) == 64 for r in requests)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><main><h1>Konkursy</h1><p>Brak naborow.</p></main></body></html>",
        b'<html><body><a href="/pl/konkursy/aktualne-konkursy/">Aktualne</a></body>'
        b"</html>",
    ],
)
def test_list_without_call_links_fails_loudly(body: bytes) -> None:
    with pytest.raises(ValueError, match="no call links"):
        _listing(_spider(), body)


def test_list_with_only_archived_calls_yields_nothing() -> None:
    body = (
        b'<html><body><a href="/pl/konkursy/archiwalne-nabory-1/2022/x/'
        b'1191,Konkurs-ABM20221.html">ABM/2022/1</a></body></html>'
    )
    assert _listing(_spider(), body) == []


# --- call pages ------------------------------------------------------------------


def test_first_call_in_full() -> None:
    spider = _spider()
    request = _listing(spider)[0]
    (call,) = _detail(spider, request)
    data = call_to_json(normalize_item(call, now=NOW))
    assert data == {
        "source": "pl_abm",
        "source_id": "ABM/2026/2",
        "title": "Konkurs na niekomercyjne badania kliniczne w onkologii i "
        "hematologii ABM/2026/2",
        "url": ONCOLOGY,
        "funder": "Agencja Badań Medycznych",
        "language": "pl",
        "programme": None,
        "call_identifier": "ABM/2026/2",
        "opening_date": "2026-11-16T00:00:00+01:00",
        "opening_precision": "day",
        "deadlines": [
            {"at": "2027-01-15T12:00:00+01:00", "label": None, "precision": "datetime"}
        ],
        "budget_amount": "100000000",
        "budget_currency": "PLN",
        "description": "\n\n".join(
            [
                "Data publikacji: 02.11.2026",
                "Agencja Badań Medycznych ogłasza konkurs na niekomercyjne badania "
                "kliniczne w obszarze onkologii i hematologii, oznaczony numerem "
                "ABM/2026/2.",
                "Celem Konkursu jest wsparcie niekomercyjnych badań klinicznych "
                "produktów leczniczych, które poprawią skuteczność leczenia "
                "pacjentów z chorobami nowotworowymi.",
                "Nabór adresowany jest do podmiotów takich jak: uczelnie medyczne, "
                "instytuty badawcze, podmioty lecznicze oraz konsorcja tych "
                "podmiotów.",
                "Kwota przeznaczona na dofinansowanie Projektów w ramach Konkursu "
                "wynosi 100 000 000 zł.",
                "Wnioski należy składać w Systemie Obsługi Wniosków ABM od "
                "16.11.2026 r. do 15.01.2027 r. do godziny 12:00.",
                "Dokumentacja konkursowa",
                "Regulamin Konkursu",
                "Wzór umowy o dofinansowanie",
            ]
        ),
        "applicant_types": ["university", "research_institute", "consortium"],
        "instrument": "grant",
        "source_status": None,
        "status": "open",
        "keywords": ["podmioty lecznicze"],
        "programme_codes": [],
        "problems": [],
        "listing_hash": request.cb_kwargs["entry_hash"],
    }


def test_code_only_on_the_page_and_applicants_in_a_list() -> None:
    spider = _spider()
    request = _listing(spider)[1]
    (call,) = _detail(spider, request)
    assert (call.source_id, call.call_identifier) == ("ABM/2026/3", "ABM/2026/3")
    assert call.opening_date is None  # "do 26.02.2027 r. do godziny 16:00"
    assert call.deadlines[0].at == datetime.fromisoformat("2027-02-26T16:00+01:00")
    assert call.deadlines[0].precision is DatePrecision.DATETIME
    assert call.applicant_types == [
        ApplicantType.UNIVERSITY,
        ApplicantType.RESEARCH_INSTITUTE,
        ApplicantType.SME,
        ApplicantType.CONSORTIUM,
    ]
    assert call.keywords == []
    assert (call.budget_amount, call.budget_currency) == (60_000_000, "PLN")


def test_invariants() -> None:
    calls = _crawl(_spider())
    assert len(calls) == 2
    assert len({c.source_id for c in calls}) == 2
    for call in calls:
        validate_item(call)
        assert call.url.startswith("https://abm.gov.pl/pl/konkursy/")
        assert call.deadlines and all(d.at.tzinfo is not None for d in call.deadlines)
        assert call.listing_hash and call.problems == []
        # Health words the tagger knows are in the title or description.
        assert "health" in {m.tag for m in tag_call(call)}


def test_page_without_a_title_fails_loudly() -> None:
    spider = _spider()
    request = _listing(spider)[0]
    with pytest.raises(ValueError, match="without an <h1>"):
        _detail(spider, request, b"<html><body><main><p>x</p></main></body></html>")


def test_broken_deadline_skips_the_call_and_is_counted() -> None:
    spider = _spider()
    request = _listing(spider)[0]
    body = _page(request).replace(b"15.01.2027", b"31.02.2027")
    assert _detail(spider, request, body) == []
    assert problem_count(spider, "pl_abm/bad_date") == 1


def test_missing_deadline_and_amount_are_problems() -> None:
    spider = _spider()
    request = _listing(spider)[1]
    body = _page(request).replace(b"Termin sk", b"Informacja o sk")
    body = body.replace("60 000 000 zł".encode(), b"w trakcie ustalania")
    (call,) = _detail(spider, request, body)
    assert call.deadlines == []
    assert [p.split(":")[0] for p in call.problems] == [
        "no_deadline",
        "budget_unreadable",
    ]
    assert call.budget_amount is None


# --- incremental crawling --------------------------------------------------------


def test_unchanged_entries_skip_their_pages() -> None:
    first = _spider()
    stored = {c.source_id: c.listing_hash or "" for c in _crawl(first)}
    spider = _spider()
    spider.known_listings = stored
    results = _listing(spider)
    # The second entry's code is on its page only: found through its hash.
    assert results == [
        CallSeen("pl_abm", "ABM/2026/2"),
        CallSeen("pl_abm", "ABM/2026/3"),
    ]


def test_a_changed_entry_is_fetched_again() -> None:
    spider = _spider()
    spider.known_listings = {
        c.source_id: c.listing_hash or "" for c in _crawl(_spider())
    }
    body = (OWN / "konkursy.html").read_bytes().replace(b"26 lutego", b"12 marca")
    results = _listing(spider, body)
    assert results[0] == CallSeen("pl_abm", "ABM/2026/2")
    assert isinstance(results[1], scrapy.Request) and results[1].url == RARE


# --- grants parse ----------------------------------------------------------------


def test_grants_parse_on_a_call_page() -> None:
    args = ["parse", "pl_abm", str(OWN / "call_1417.html"), "--callback", "parse_call"]
    args += ["--url", RARE, "--now", "2026-11-26", "--tags"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert line["source_id"] == "ABM/2026/3"
    assert line["status"] == "open"
    assert line["listing_hash"] is None
    assert "health" in {t["tag"] for t in line["tags"]}


def test_grants_parse_on_the_list() -> None:
    result = CliRunner().invoke(cli, ["parse", "pl_abm", str(OWN / "konkursy.html")])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "ignored 2 request(s)" in result.stderr
