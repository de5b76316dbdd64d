"""National FE portal spider, offline, on our own pages (no capture of the portal
exists; the markup is invented in three shapes: dt/dd, "Label: value", th/td)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import scrapy
from click.testing import CliRunner
from scrapy.utils.test import get_crawler

from spiders.items import CallSeen, FundingCall, call_to_json
from spiders.pipelines import normalize_item, validate_item
from spiders.sources.pl_fe_portal import PlFePortalSpider
from tests.conftest import FIXTURES
from tests.spiders.helpers import crawl, problem_count, response_from
from tracker.cli import cli
from tracker.status import compute_status
from tracker.vocab import ApplicantType, CallStatus, DatePrecision, Instrument

NOW = datetime(2026, 9, 10, tzinfo=UTC)
OWN = FIXTURES / "pl_fe_portal"
SITE = "https://www.funduszeeuropejskie.gov.pl"
LISTING = f"{SITE}/nabory-wnioskow/"
PAGES = {
    LISTING: "nabory_wnioskow.html",
    f"{LISTING}?page=2": "nabory_wnioskow_page2.html",
}
DETAILS = {
    f"{SITE}/nabory/sciezka-smart-nabor-dla-msp/": "detail_sciezka_smart_msp.html",
    f"{SITE}/nabory/sciezka-smart-konsorcja-z-organizacjami-badawczymi/": (
        "detail_sciezka_smart_konsorcja.html"
    ),
    f"{SITE}/nabory/ksztalcenie-podyplomowe-kadr-medycznych/": (
        "detail_ksztalcenie_kadr_medycznych.html"
    ),
    f"{SITE}/nabory/bony-na-innowacje-dla-msp-z-polski-wschodniej/": (
        "detail_bony_na_innowacje.html"
    ),
    f"{SITE}/nabory/gospodarka-o-obiegu-zamknietym-w-przedsiebiorstwach/": (
        "detail_gospodarka_obiegu_zamknietego.html"
    ),
}
SMART = f"{SITE}/nabory/sciezka-smart-nabor-dla-msp/"
FENG = "Fundusze Europejskie dla Nowoczesnej Gospodarki 2021-2027"


def _spider() -> PlFePortalSpider:
    return PlFePortalSpider.from_crawler(get_crawler(PlFePortalSpider))


def _crawl(spider: PlFePortalSpider) -> list[Any]:
    """A crawl from the listing, every request answered from our fixtures."""
    files = {url: OWN / name for url, name in {**PAGES, **DETAILS}.items()}
    return crawl([scrapy.Request(LISTING, callback=spider.parse)], files)


def _calls(results: list[Any]) -> list[FundingCall]:
    return [r for r in results if isinstance(r, FundingCall)]


# --- listing -------------------------------------------------------------------


def test_start_asks_for_the_listing() -> None:
    async def requests() -> list[scrapy.Request]:
        return [r async for r in _spider().start()]

    assert [r.url for r in asyncio.run(requests())] == [LISTING]


def test_listing_entries_and_the_next_page() -> None:
    results = list(
        _spider().parse(response_from(OWN / "nabory_wnioskow.html", LISTING))
    )
    assert [r.url for r in results] == [*list(DETAILS)[:3], f"{LISTING}?page=2"]
    first, second = results[0].cb_kwargs, results[1].cb_kwargs
    entry = first["entry"]
    assert first["source_id"] == "sciezka-smart-nabor-dla-msp"  # no number listed
    assert (entry.title, entry.operator, entry.dates, entry.status_word) == (
        "Ścieżka SMART – nabór dla MŚP",
        "Polska Agencja Rozwoju Przedsiębiorczości",
        "od 01.09.2026 do 30.11.2026",
        "Trwa nabór",
    )
    assert entry.programme == FENG
    assert second["source_id"] == "FENG.01.01-IP.01-004/26"  # listed: taken as is
    assert second["entry"].operator == "Narodowe Centrum Badań i Rozwoju"


def test_crawl_gives_one_call_per_entry() -> None:
    spider = _spider()
    calls = _calls(_crawl(spider))
    assert [c.source_id for c in calls] == [
        "sciezka-smart-nabor-dla-msp",
        "FENG.01.01-IP.01-004/26",
        "ksztalcenie-podyplomowe-kadr-medycznych",
        "bony-na-innowacje-dla-msp-z-polski-wschodniej",
        "gospodarka-o-obiegu-zamknietym-w-przedsiebiorstwach",
    ]
    # The sidebar on page 2 repeats a call of page 1: neither a call nor a problem.
    assert problem_count(spider, "pl_fe_portal/bare_link") == 0


FIRST = {
    "source": "pl_fe_portal",
    "source_id": "sciezka-smart-nabor-dla-msp",
    "title": "Ścieżka SMART – nabór dla MŚP",
    "url": SMART,
    "funder": "Polska Agencja Rozwoju Przedsiębiorczości",
    "language": "pl",
    "programme": FENG,
    "call_identifier": "FENG.01.01-IP.02-003/26",
    "opening_date": "2026-09-01T00:00:00+02:00",
    "opening_precision": "day",
    "deadlines": [
        {"at": "2026-11-30T16:00:00+01:00", "label": None, "precision": "datetime"}
    ],
    "budget_amount": "1200000000",
    "budget_currency": "PLN",
    "description": "Status: Trwa nabór\n\n"
    "Numer naboru\n\nFENG.01.01-IP.02-003/26\n\n"
    "Program\n\nFundusze Europejskie dla Nowoczesnej Gospodarki 2021-2027\n\n"
    "Działanie\n\nFENG.01.01 Ścieżka SMART\n\n"
    "Instytucja organizująca nabór\n\nPolska Agencja Rozwoju Przedsiębiorczości\n\n"
    "Sposób wyboru projektów\n\nkonkurencyjny\n\n"
    "Data rozpoczęcia naboru\n\n01.09.2026\n\n"
    "Data zakończenia naboru\n\n30.11.2026, godz. 16:00\n\n"
    "Budżet naboru\n\n1 200 000 000,00 zł\n\n"
    "Kto może złożyć wniosek?\n\n"
    "Mikro, małe i średnie przedsiębiorstwa, także w konsorcjum z organizacją "
    "badawczą.\n\n"
    "Na co można otrzymać dofinansowanie?\n\n"
    "Na projekty badawczo-rozwojowe i wdrożeniowe, w tym w obszarze biotechnologii "
    "i ochrony zdrowia.\n\n"
    "Jak złożyć wniosek?\n\n"
    "Wniosek składa się w Lokalnym Systemie Informatycznym PARP.",
    "applicant_types": ["research_institute", "sme", "consortium"],
    "instrument": "grant",
    "source_status": "open",
    "status": None,
    "keywords": ["Ścieżka SMART", "nabór konkurencyjny"],
    "programme_codes": ["FENG", "FENG.01.01"],
    "problems": [],
}


def test_first_call_in_full() -> None:
    first = call_to_json(_calls(_crawl(_spider()))[0])
    assert len(str(first.pop("listing_hash"))) == 64
    assert first == FIRST


def test_fields_of_the_other_calls() -> None:
    calls = {c.source_id: c for c in _calls(_crawl(_spider()))}
    planned = calls["FENG.01.01-IP.01-004/26"]
    assert planned.funder == "Narodowe Centrum Badań i Rozwoju"
    assert planned.source_status is CallStatus.FORTHCOMING
    assert [(d.at.date().isoformat(), d.precision) for d in planned.deadlines] == [
        ("2026-12-31", DatePrecision.QUARTER)
    ]
    assert planned.budget_amount is None  # "nie ma określonej alokacji"
    assert ApplicantType.CONSORTIUM in planned.applicant_types
    health = calls["ksztalcenie-podyplomowe-kadr-medycznych"]
    assert health.call_identifier == "FERS.04.03-IP.03-001/26"
    assert health.funder == "Ministerstwo Zdrowia"
    assert health.programme_codes == ["FERS", "FERS.04.03"]
    assert health.deadlines[0].at.isoformat() == "2026-04-30T12:00:00+02:00"
    assert health.applicant_types == [
        ApplicantType.UNIVERSITY,
        ApplicantType.NGO,
        ApplicantType.PUBLIC_BODY,
    ]
    voucher = calls["bony-na-innowacje-dla-msp-z-polski-wschodniej"]
    assert voucher.instrument is Instrument.VOUCHER
    assert (voucher.budget_amount, voucher.budget_currency) == (80_000_000, "PLN")
    assert voucher.call_identifier == "FEPW.01.01-IP.01-002/26"
    circular = calls["gospodarka-o-obiegu-zamknietym-w-przedsiebiorstwach"]
    assert circular.call_identifier == "FENX.02.04-IW.01-001/26"
    assert circular.funder == "Narodowy Fundusz Ochrony Środowiska i Gospodarki Wodnej"


def test_invariants_over_all_calls() -> None:
    calls = _calls(_crawl(_spider()))
    assert len({c.source_id for c in calls}) == len(calls)
    for call in calls:
        validate_item(call)
        assert call.url.startswith(f"{SITE}/nabory/")
        assert all(d.at.tzinfo is not None for d in call.deadlines)
        assert call.call_identifier is not None and call.listing_hash is not None
        normalize_item(call, now=NOW)
        expected = compute_status(
            NOW, call.opening_date, [d.at for d in call.deadlines], call.source_status
        )
        assert call.status is expected


def test_unknown_status_is_recorded_not_mapped() -> None:
    spider = _spider()
    calls = {c.source_id: c for c in _calls(_crawl(spider))}
    circular = calls["gospodarka-o-obiegu-zamknietym-w-przedsiebiorstwach"]
    assert circular.source_status is None
    assert circular.problems == ["unknown_status: Zawieszony"]
    assert problem_count(spider, "pl_fe_portal/unknown_status") == 1


def test_unchanged_listing_skips_the_detail_page() -> None:
    digests = {c.source_id: c.listing_hash for c in _calls(_crawl(_spider()))}
    spider = _spider()
    known = "FENG.01.01-IP.01-004/26"
    spider.known_listings = {known: digests[known]}
    results = list(spider.parse(response_from(OWN / "nabory_wnioskow.html", LISTING)))
    assert results[1] == CallSeen("pl_fe_portal", known)
    urls = [r.url for r in results if isinstance(r, scrapy.Request)]
    assert list(DETAILS)[1] not in urls
    assert len(urls) == 3


# --- broken input ----------------------------------------------------------------


def test_listing_without_call_links_fails_loudly() -> None:
    page = b'<html><body><main><a href="/nabory-wnioskow/">Nabory</a></main></body>'
    with pytest.raises(ValueError, match="/nabory/"):
        list(_spider().parse(response_from(page, LISTING)))


def test_listing_whose_entries_are_all_unreadable_fails_loudly() -> None:
    page = b'<html><body><main><ul><li><a href="/nabory/a/">A</a></li>'
    page += b'<li><a href="/nabory/b/">B</a></li></ul></main></body></html>'
    with pytest.raises(ValueError, match="no entry readable"):
        list(_spider().parse(response_from(page, LISTING)))


def test_call_page_without_content_fails_loudly() -> None:
    page = b"<html><body><div>Serwis chwilowo niedostepny</div></body></html>"
    with pytest.raises(ValueError, match="main/article"):
        list(_spider().parse_call(response_from(page, SMART)))


def test_bare_link_is_skipped_and_counted() -> None:
    page = (OWN / "nabory_wnioskow.html").read_text("utf-8")
    page = page.replace(
        '<a href="/nabory/">Wszystkie nabory</a>',
        '<a href="/nabory/jak-pisac-wnioski/">Jak pisać wnioski</a>',
    )
    spider = _spider()
    results = list(spider.parse(response_from(page.encode(), LISTING)))
    assert len(results) == 4  # three entries and the next page
    assert problem_count(spider, "pl_fe_portal/bare_link") == 1


def test_unreadable_dates_fall_back_to_the_listing_or_skip() -> None:
    request = next(
        _spider().parse(response_from(OWN / "nabory_wnioskow.html", LISTING))
    )
    page = (OWN / "detail_sciezka_smart_msp.html").read_text("utf-8")
    page = page.replace("30.11.2026, godz. 16:00", "31.11.2026")
    spider = _spider()
    (call,) = spider.parse_call(
        response_from(page.encode(), SMART), **request.cb_kwargs
    )
    assert call.deadlines[0].at.isoformat() == "2026-11-30T23:59:59+01:00"  # listed
    assert call.problems[0].startswith("bad_date:")
    assert problem_count(spider, "pl_fe_portal/bad_date") == 1
    # Without a listing entry to fall back on, the call is skipped.
    assert list(spider.parse_call(response_from(page.encode(), SMART))) == []
    assert problem_count(spider, "pl_fe_portal/bad_date") == 2


def test_page_without_operator_keeps_the_portal_as_funder() -> None:
    page = (OWN / "detail_bony_na_innowacje.html").read_text("utf-8")
    page = page.replace("Instytucja organizująca nabór:", "Kontakt:")
    spider = _spider()
    (call,) = spider.parse_call(response_from(page.encode(), SMART))
    assert call.funder == PlFePortalSpider.funder
    assert call.problems == ["no_operator: the page names no institution"]


# --- grants parse ------------------------------------------------------------------


def test_grants_parse_on_a_call_page_alone() -> None:
    args = ["parse", "pl_fe_portal", str(OWN / "detail_sciezka_smart_konsorcja.html")]
    url = f"{SITE}/nabory/sciezka-smart-konsorcja-z-organizacjami-badawczymi/"
    args += ["--callback", "parse_call", "--url", url, "--now", "2026-09-10"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert line["source_id"] == line["call_identifier"] == "FENG.01.01-IP.01-004/26"
    assert line["funder"] == "Narodowe Centrum Badań i Rozwoju"
    assert line["status"] == "forthcoming"
    assert line["deadlines"] == [
        {"at": "2026-12-31T23:59:59+01:00", "label": None, "precision": "quarter"}
    ]


def test_grants_parse_on_the_listing_counts_the_requests() -> None:
    result = CliRunner().invoke(
        cli, ["parse", "pl_fe_portal", str(OWN / "nabory_wnioskow.html")]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "ignored 4 request(s)" in result.stderr
