"""FE Lubelskie spider, offline: the FE Śląskie card capture in ../shared, our own
Lubelskie pages (card family + documented wording) and the demo site."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import scrapy
from click.testing import CliRunner
from parsel import Selector
from scrapy.utils.test import get_crawler

from spiders.items import CallSeen, FundingCall, call_to_json
from spiders.pipelines import normalize_item, validate_item
from spiders.sources._fe_cards import find_cards, next_page, parse_card
from spiders.sources.pl_fe_lubelskie import LAWP, UMWL, PlFeLubelskieSpider
from tests.conftest import FIXTURES, ROOT
from tests.spiders.helpers import crawl, problem_count, response_from
from tracker.cli import cli
from tracker.status import compute_status
from tracker.vocab import ApplicantType, CallStatus, DatePrecision, Instrument

NOW = datetime(2026, 9, 10, tzinfo=UTC)
OWN = FIXTURES / "pl_fe_lubelskie"
DEMO = ROOT / "tracker" / "demo" / "data" / "sites" / "funduszeue.lubelskie.pl"
SITE = "https://funduszeue.lubelskie.pl"
NABORY, LAWP_NABORY = f"{SITE}/nabory/", f"{SITE}/lawp/nabory/"
PAGES = {
    NABORY: "nabory.html",
    f"{NABORY}?page=2": "nabory_page2.html",
    LAWP_NABORY: "lawp_nabory.html",
}
R_D = "1.3-badania-i-innowacje-w-sektorze-przedsiebiorstw"
NEWS_6_3 = (
    "/efrr/aktualnosci/nabor-w-zakresie-wyboru-projektow-w-sposob-konkurencyjny"
    "-nr-felu.06.03-iz.00-001-24/"
)
DETAILS = {
    f"{SITE}/lawp/nabory/{R_D}/{R_D}": "detail_lawp_1.3.html",
    f"{SITE}/efs/nabory/10.3-ksztalcenie-ogolne/10.3-ksztalcenie-ogolne": (
        "detail_efs_10.3.html"
    ),
    SITE + NEWS_6_3: "detail_efrr_6.3.html",
    f"{SITE}/efrr/nabory/3.9-ochrona-przyrody/3.9-ochrona-przyrody": (
        "detail_efrr_3.9.html"
    ),
    f"{SITE}/lawp/nabory/1.2-bony-na-innowacje/1.2-bony-na-innowacje": (
        "detail_lawp_1.2.html"
    ),
}


def _spider() -> PlFeLubelskieSpider:
    return PlFeLubelskieSpider.from_crawler(get_crawler(PlFeLubelskieSpider))


def _follow(spider: PlFeLubelskieSpider, files: dict[str, Path]) -> list[Any]:
    """A crawl from the two listings, every request answered from `files`."""
    listings = [scrapy.Request(url, callback=spider.parse) for url in spider.listings]
    return crawl(listings, files)


def _own_files() -> dict[str, Path]:
    return {url: OWN / name for url, name in {**PAGES, **DETAILS}.items()}


def _calls(results: list[Any]) -> list[FundingCall]:
    return [r for r in results if isinstance(r, FundingCall)]


# --- listing -------------------------------------------------------------------


def test_start_asks_for_both_listings() -> None:
    async def requests() -> list[scrapy.Request]:
        return [r async for r in _spider().start()]

    assert [r.url for r in asyncio.run(requests())] == [NABORY, LAWP_NABORY]


def test_listing_requests_each_card_and_the_next_page() -> None:
    results = list(_spider().parse(response_from(OWN / "nabory.html", NABORY)))
    assert [r.url for r in results] == [*list(DETAILS)[:3], f"{NABORY}?page=2"]
    first = results[0].cb_kwargs
    assert first["source_id"] == "FELU.01.03-IP.01-001/26"
    assert (
        first["card"].who == "Lubelska Agencja Wspierania Przedsiębiorczości w Lublinie"
    )
    assert first["card"].status is CallStatus.OPEN
    assert len(first["digest"]) == 64
    assert results[-1].callback.__name__ == "parse"


def test_last_page_has_no_next_page() -> None:
    url = f"{NABORY}?page=2"
    page = response_from(OWN / "nabory_page2.html", url)
    assert next_page(page, url) is None


def test_crawl_gives_one_call_per_card() -> None:
    spider = _spider()
    calls = _calls(_follow(spider, _own_files()))
    # 1.3 is on both listings (LAWP's own and the general one): one call.
    assert [c.source_id for c in calls] == [
        "FELU.01.03-IP.01-001/26",
        "FELU.10.03-IZ.00-002/23",
        "FELU.06.03-IZ.00-001/24",
        "FELU.01.02-IP.01-002/26",
        "efrr/nabory/3.9-ochrona-przyrody/3.9-ochrona-przyrody",
    ]
    assert spider.crawler.stats.get_value("grants/problems", 0) == 0


FIRST = {
    "source": "pl_fe_lubelskie",
    "source_id": "FELU.01.03-IP.01-001/26",
    "title": "1.3 Badania i innowacje w sektorze przedsiębiorstw",
    "url": f"{SITE}/lawp/nabory/{R_D}/{R_D}",
    "funder": "Lubelska Agencja Wspierania Przedsiębiorczości",
    "language": "pl",
    "programme": "FELU 1.3 Badania i innowacje w sektorze przedsiębiorstw",
    "call_identifier": "FELU.01.03-IP.01-001/26",
    "opening_date": "2026-09-01T00:00:00+02:00",
    "opening_precision": "day",
    "deadlines": [
        {
            "at": "2026-10-30T15:00:00+01:00",
            "label": "runda 1",
            "precision": "datetime",
        },
        {
            "at": "2026-12-15T15:00:00+01:00",
            "label": "runda 2",
            "precision": "datetime",
        },
    ],
    "budget_amount": "60000000",
    "budget_currency": "PLN",
    "description": "Nabór konkurencyjny. Poziom dofinansowania: do 80% wydatków.\n\n"
    "25.08.2026\n\n"
    "Lubelska Agencja Wspierania Przedsiębiorczości w Lublinie, pełniąca funkcję "
    "Instytucji Pośredniczącej programu Fundusze Europejskie dla Lubelskiego "
    "2021-2027, ogłasza nabór wniosków o dofinansowanie projektów w ramach "
    "Działania 1.3 Badania i innowacje w sektorze przedsiębiorstw, w trybie "
    "konkurencyjnym.\n\n"
    "Nabór nr FELU.01.03-IP.01-001/26\n\n"
    "Termin składania wniosków\n\n"
    "I runda: od dnia 01.09.2026 r. do dnia 30.10.2026 r. do godz. 15:00\n\n"
    "II runda: od dnia 02.11.2026 r. do dnia 15.12.2026 r. do godz. 15:00\n\n"
    "Kto może składać wnioski?\n\n"
    "Mikro, małe i średnie przedsiębiorstwa oraz duże przedsiębiorstwa w "
    "partnerstwie z MŚP, prowadzące działalność na terenie województwa "
    "lubelskiego. Projekt może być realizowany w formie konsorcjum z organizacją "
    "badawczą.\n\n"
    "Na co można otrzymać dofinansowanie?\n\n"
    "Na prace badawczo-rozwojowe przedsiębiorstw, w tym w obszarach inteligentnych "
    "specjalizacji regionu: biogospodarka, medycyna i usługi związane ze "
    "zdrowiem.\n\n"
    "Kwota przeznaczona na dofinansowanie projektów\n\n"
    "Kwota środków przeznaczonych na dofinansowanie projektów w ramach naboru "
    "wynosi 60 000 000,00 zł.\n\n"
    "Maksymalna kwota dofinansowania projektu: 5 000 000,00 zł.\n\n"
    "Sposób składania wniosków\n\n"
    "Wnioski składa się wyłącznie w Lokalnym Systemie Informatycznym (LSI).",
    "applicant_types": ["research_institute", "sme", "large_company", "consortium"],
    "instrument": "grant",
    "source_status": "open",
    "status": None,
    "keywords": [
        "Badania i innowacje w sektorze przedsiębiorstw",
        "nabór konkurencyjny",
    ],
    "programme_codes": ["FELU", "FELU.01.03", "EFRR"],
    "problems": [],
}


def test_first_call_in_full() -> None:
    first = call_to_json(_calls(_follow(_spider(), _own_files()))[0])
    assert len(str(first.pop("listing_hash"))) == 64
    assert first == FIRST


def test_fields_of_the_other_calls() -> None:
    calls = {c.source_id: c for c in _calls(_follow(_spider(), _own_files()))}
    efs = calls["FELU.10.03-IZ.00-002/23"]
    assert efs.funder == UMWL
    assert efs.source_status is CallStatus.CLOSED  # "Wyniki"
    # The page gives the day only; the card adds the hour.
    assert [d.at.isoformat() for d in efs.deadlines] == ["2023-11-30T23:59:00+01:00"]
    assert efs.applicant_types == [ApplicantType.NGO, ApplicantType.PUBLIC_BODY]
    assert efs.programme_codes == ["FELU", "FELU.10.03", "EFS+"]
    news = calls["FELU.06.03-IZ.00-001/24"]  # the documented wording, parse_range
    assert news.opening_date == datetime.fromisoformat("2024-04-02T00:00:00+02:00")
    assert news.deadlines[0].precision is DatePrecision.DAY
    assert (news.budget_amount, news.budget_currency) == (120_000_000, "PLN")
    planned = calls["efrr/nabory/3.9-ochrona-przyrody/3.9-ochrona-przyrody"]
    assert planned.call_identifier is None
    assert planned.source_status is CallStatus.FORTHCOMING
    assert [(d.at.date().isoformat(), d.precision) for d in planned.deadlines] == [
        ("2027-03-31", DatePrecision.QUARTER)
    ]
    voucher = calls["FELU.01.02-IP.01-002/26"]
    assert voucher.instrument is Instrument.VOUCHER
    assert voucher.funder == LAWP
    assert voucher.keywords == ["Bony na innowacje dla MŚP", "nabór niekonkurencyjny"]


def test_invariants_over_all_calls() -> None:
    calls = _calls(_follow(_spider(), _own_files()))
    assert len({c.source_id for c in calls}) == len(calls)
    for call in calls:
        validate_item(call)
        assert call.url.startswith(SITE + "/")
        assert all(d.at.tzinfo is not None for d in call.deadlines)
        assert call.instrument is not None and call.listing_hash is not None
        normalize_item(call, now=NOW)
        expected = compute_status(
            NOW, call.opening_date, [d.at for d in call.deadlines], call.source_status
        )
        assert call.status is expected
    statuses = {c.source_id: c.status for c in calls}
    assert statuses["FELU.01.03-IP.01-001/26"] is CallStatus.OPEN
    assert statuses["FELU.10.03-IZ.00-002/23"] is CallStatus.CLOSED


def test_unchanged_listing_skips_the_detail_page() -> None:
    first = _spider()
    digests = {
        c.source_id: c.listing_hash for c in _calls(_follow(first, _own_files()))
    }
    spider = _spider()
    spider.known_listings = {
        "FELU.01.03-IP.01-001/26": digests["FELU.01.03-IP.01-001/26"]
    }
    results = list(spider.parse(response_from(OWN / "nabory.html", NABORY)))
    assert results[0] == CallSeen("pl_fe_lubelskie", "FELU.01.03-IP.01-001/26")
    urls = [r.url for r in results if isinstance(r, scrapy.Request)]
    assert f"{SITE}/lawp/nabory/{R_D}/{R_D}" not in urls
    assert len(urls) == 3  # the two other cards and the next page
    # A changed card (another deadline) is fetched again.
    changed = (OWN / "nabory.html").read_bytes().replace(b"15.12.2026", b"18.12.2026")
    again = _spider()
    again.known_listings = spider.known_listings
    results = list(again.parse(response_from(changed, NABORY)))
    assert isinstance(results[0], scrapy.Request)


# --- the real FE Śląskie capture (the card family) -------------------------------


def test_card_parser_reads_the_captured_card_family(shared_fixtures: Path) -> None:
    path = shared_fixtures / "pl_regional_portal" / "fe_slaskie_nabory_cards.html"
    url = "https://funduszeue.slaskie.pl/nabory/lsi"
    page = response_from(path, url)
    cards = [parse_card(block, url) for block in find_cards(page)]
    assert [(c.who, c.action, c.status, c.tags) for c in cards] == [
        (
            "Wojewódzki Urząd Pracy w Katowicach",
            "Usługi rozwojowe dla kadr administracji samorządowej",
            CallStatus.OPEN,
            ["FESL.05.14"],
        ),
        (
            "Departament Europejskiego Funduszu Społecznego",
            "Strategiczne projekty dla obszaru usług społecznych",
            CallStatus.CLOSED,
            ["FESL.07.05"],
        ),
    ]
    first = cards[0]
    assert first.url == "https://funduszeue.slaskie.pl/web/guest/nabory/lsi/593"
    assert first.number == "FESL.05.14-IP.02-350/26"
    assert first.title == "5.14 Usługi rozwojowe dla kadr administracji samorządowej"
    assert (first.kind, first.funding) == ("Nabór konkurencyjny", "do 85% wydatków")
    assert (first.start, first.end) == ("31.08.2026", "30.10.2026 23:59")
    term = first.term()
    assert term is not None and term.start is not None
    assert term.end.to_deadline().at.isoformat() == "2026-10-30T23:59:00+01:00"
    assert cards[1].kind == "Nabór niekonkurencyjny"
    spider = _spider()
    requests = list(spider.parse(page))
    assert [r.cb_kwargs["source_id"] for r in requests] == [
        "FESL.05.14-IP.02-350/26",
        "FESL.07.05-IZ.01-341/26",
    ]


def test_cards_are_found_by_text_not_by_class() -> None:
    html = """<html><body><main><div class="list">
      <article class="item"><p><b>Lubelska Agencja Wspierania Przedsiębiorczości
      w Lublinie</b> ogłasza nabór w ramach działania</p>
      <h2><a href="/lawp/nabory/x/x">1.3 Badania i innowacje</a></h2>
      <p class="status-label">Trwa nabór</p><p>EFRR</p>
      <p>FELU.01.03-IP.01-009/26</p><p>Start: 01.12.2026</p><p>Koniec: 27.02.2027</p>
      </article></div></main></body></html>"""
    (block,) = find_cards(Selector(text=html))
    card = parse_card(block, NABORY)
    assert card.url == f"{SITE}/lawp/nabory/x/x"
    assert (card.title, card.number) == (
        "1.3 Badania i innowacje",
        "FELU.01.03-IP.01-009/26",
    )
    assert (card.status_word, card.start, card.end) == (
        "Trwa nabór",
        "01.12.2026",
        "27.02.2027",
    )
    assert card.who == "Lubelska Agencja Wspierania Przedsiębiorczości w Lublinie"


# --- broken input ----------------------------------------------------------------


def test_page_without_cards_fails_loudly() -> None:
    page = b"<html><body><main><h1>Nabory</h1><p>Nowa strona</p></main></body></html>"
    with pytest.raises(ValueError, match="no call card"):
        list(_spider().parse(response_from(page, NABORY)))


def test_page_whose_cards_are_all_unreadable_fails_loudly() -> None:
    card = "<li><p>LAWP ogłasza nabór w ramach działania</p>"
    card += '<a href="/x"><img src="x.png"></a></li>'  # a link without text
    page = f"<html><body><main><ul>{card * 2}</ul></main></body></html>"
    with pytest.raises(ValueError, match="no card could be read"):
        list(_spider().parse(response_from(page.encode(), NABORY)))


def test_page_saying_there_are_no_calls_is_empty() -> None:
    page = "<html><body><main><p>Brak naborów</p></main></body></html>".encode()
    assert list(_spider().parse(response_from(page, LAWP_NABORY))) == []


def test_call_page_without_content_fails_loudly() -> None:
    page = b"<html><body><div>Przerwa techniczna</div></body></html>"
    with pytest.raises(ValueError, match="main/article"):
        list(_spider().parse_call(response_from(page, SITE + NEWS_6_3)))


def test_card_without_link_text_is_skipped_and_counted() -> None:
    html = (OWN / "nabory.html").read_text("utf-8")
    # Empty the 10.3 card's link and its action: nothing names the call.
    html = re.sub(r"<span[^>]*--what\">10\.3 Kształcenie ogólne</span>", "", html)
    html = re.sub(
        r"(10\.3-ksztalcenie-ogolne\">)\s*<h3[^>]*>.*?</h3>", r"\1", html, flags=re.S
    )
    spider = _spider()
    results = list(spider.parse(response_from(html.encode(), NABORY)))
    assert len(results) == 3  # two cards and the next page
    assert problem_count(spider, "pl_fe_lubelskie/no_link") == 1


def test_unreadable_dates_skip_the_call_and_are_counted() -> None:
    spider = _spider()
    page = (OWN / "detail_efrr_3.9.html").read_text("utf-8")
    page = page.replace("I kwartał 2027 r.", "od 31.02.2027 r. do 30.04.2027 r.")
    url = f"{SITE}/efrr/nabory/3.9-ochrona-przyrody/3.9-ochrona-przyrody"
    assert list(spider.parse_call(response_from(page.encode(), url))) == []
    assert problem_count(spider, "pl_fe_lubelskie/bad_date") == 1


def test_unknown_status_and_disagreeing_dates_are_recorded() -> None:
    page = (OWN / "nabory.html").read_text("utf-8")
    page = page.replace("> Zakończony <", "> Zawieszony <")
    page = page.replace("31.05.2024", "07.06.2024")  # the card only
    spider = _spider()
    requests = {r.url: r for r in spider.parse(response_from(page.encode(), NABORY))}
    request = requests[SITE + NEWS_6_3]
    (call,) = request.callback(
        response_from(OWN / "detail_efrr_6.3.html", request.url), **request.cb_kwargs
    )
    assert call.source_status is None
    assert call.problems == [
        "dates_disagree: the card ends 2024-06-07",
        "unknown_status: Zawieszony",
    ]
    assert call.deadlines[0].at.date().isoformat() == "2024-05-31"  # the page wins
    assert problem_count(spider, "pl_fe_lubelskie/unknown_status") == 1


# --- grants parse ------------------------------------------------------------------


def test_grants_parse_on_a_call_page_alone() -> None:
    args = ["parse", "pl_fe_lubelskie", str(OWN / "detail_efrr_6.3.html")]
    args += [
        "--callback",
        "parse_call",
        "--url",
        SITE + NEWS_6_3,
        "--now",
        "2026-09-10",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert line["source_id"] == line["call_identifier"] == "FELU.06.03-IZ.00-001/24"
    assert line["title"] == (
        "Nabór w zakresie wyboru projektów w sposób konkurencyjny nr "
        "FELU.06.03-IZ.00-001/24"
    )
    assert line["funder"] == UMWL
    assert line["deadlines"] == [
        {"at": "2024-05-31T23:59:59+02:00", "label": None, "precision": "day"}
    ]
    assert line["status"] == "closed"
    assert line["keywords"] == ["nabór konkurencyjny"]


def test_grants_parse_on_a_listing_counts_the_requests() -> None:
    result = CliRunner().invoke(
        cli, ["parse", "pl_fe_lubelskie", str(OWN / "lawp_nabory.html")]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "ignored 2 request(s)" in result.stderr


# --- demo site ---------------------------------------------------------------------


def _demo_files() -> dict[str, Path]:
    files = {}
    for path in DEMO.rglob("*"):
        if path.is_file():
            relative = path.relative_to(DEMO).as_posix()
            files[f"{SITE}/{relative.removesuffix('index.html')}"] = path
    return files


def test_demo_site_gives_open_and_forthcoming_calls() -> None:
    spider = _spider()
    calls = _calls(_follow(spider, _demo_files()))
    assert len(calls) == 4
    today = datetime(2026, 11, 26, tzinfo=UTC)
    statuses = [normalize_item(c, now=today).status for c in calls]
    assert statuses.count(CallStatus.OPEN) == 3
    assert statuses.count(CallStatus.FORTHCOMING) == 1
    for call in calls:
        validate_item(call)
        assert not call.problems
        assert call.deadlines and call.deadlines[-1].at.year in (2027, 2028)
    assert {c.funder for c in calls} == {LAWP, UMWL}
