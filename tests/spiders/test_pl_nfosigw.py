"""NFOŚiGW spider, offline: the real schedule capture plus our own pages."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import scrapy
from click.testing import CliRunner
from scrapy.utils.test import get_crawler

from spiders.items import FundingCall, call_to_json
from spiders.pipelines import normalize_item, validate_item
from spiders.sources.pl_nfosigw import SCHEDULE_URL, PlNfosigwSpider
from tests.conftest import FIXTURES, ROOT
from tests.spiders.helpers import problem_count, response_from
from tracker.cli import cli
from tracker.vocab import CallStatus, DatePrecision, Instrument

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
WARSAW = ZoneInfo("Europe/Warsaw")
OWN = FIXTURES / "pl_nfosigw" / "harmonogram_naborow.html"
DEMO = ROOT / "tracker/demo/data/sites/www.gov.pl/web/nfosigw/harmonogram-naborow"


def _spider() -> PlNfosigwSpider:
    return PlNfosigwSpider.from_crawler(get_crawler(PlNfosigwSpider))


def _parse(body: bytes, spider: PlNfosigwSpider | None = None) -> list[FundingCall]:
    return list((spider or _spider()).parse(response_from(body, SCHEDULE_URL)))


def _by_id(calls: list[FundingCall]) -> dict[str, FundingCall]:
    return {c.source_id: c for c in calls}


def _capture(shared: Path) -> Path:
    return shared / "pl_nfosigw" / "harmonogram_naborow_fragment.html"


def test_start_asks_for_the_schedule() -> None:
    async def first() -> list[scrapy.Request]:
        return [r async for r in _spider().start()]

    (request,) = asyncio.run(first())
    assert request.url == "https://www.gov.pl/web/nfosigw/harmonogram-naborow"


# --- the real capture -------------------------------------------------------------

FIRST_CAPTURED: dict[str, Any] = {
    "source": "pl_nfosigw",
    "source_id": "1-1-budowa-rozbudowa-sieci-elektroenergetycznych-na-potrzeby-"
    "ogolnodostepnych-stacji-ladowania-duzych-mocy",
    "title": "Budowa/rozbudowa sieci elektroenergetycznych na potrzeby "
    "ogólnodostępnych stacji ładowania dużych mocy",
    "url": SCHEDULE_URL + "#1-1-budowa-rozbudowa-sieci-elektroenergetycznych-na-"
    "potrzeby-ogolnodostepnych-stacji-ladowania-duzych-mocy",
    "funder": "Narodowy Fundusz Ochrony Środowiska i Gospodarki Wodnej",
    "language": "pl",
    "programme": "Transformacja energetyczna",
    "call_identifier": None,
    "opening_date": "2026-07-01T00:00:00+02:00",
    "opening_precision": "quarter",
    "deadlines": [],
    "budget_amount": None,
    "budget_currency": None,
    "description": "program priorytetowy finansowany ze środków Funduszu "
    "Modernizacyjnego",
    "applicant_types": [],
    "instrument": "grant",
    "source_status": "forthcoming",
    "status": None,
    "keywords": ["Transformacja energetyczna", "nabór ciągły"],
    "programme_codes": [],
    "problems": [],
    "listing_hash": None,
}


def test_capture_gives_one_call_per_row(shared_fixtures: Path) -> None:
    calls = _parse(_capture(shared_fixtures).read_bytes())
    # 8 call rows: 7 full rows and one continuation; the empty row is no call.
    assert len(calls) == 8
    assert call_to_json(calls[0]) == FIRST_CAPTURED
    assert [c.source_id for c in calls[1:]] == [
        "1-4-energia-dla-wsi",
        "26/NC/UR/1.12/2026/EfektywnośćEnergetyczna",
        "fundusz-transformacji-cieplownictwa",
        "10/NC/UR/6.4/2025/Pożyczka_LIFE",
        "14/NC/UR/6.4/2026/Dotacja_ LIFE 2026",
        "6-2-udostepnianie-wod-termalnych-w-polsce",
        "FENX.02.04-IW.01-001/26",
    ]


def test_capture_dates_keep_their_form(shared_fixtures: Path) -> None:
    calls = _by_id(_parse(_capture(shared_fixtures).read_bytes()))
    village = calls["1-4-energia-dla-wsi"]
    assert village.opening_date == datetime(2026, 10, 1, tzinfo=WARSAW)
    assert village.opening_precision is DatePrecision.DAY
    assert village.deadlines[0].at == datetime(2026, 12, 31, 23, 59, 59, tzinfo=WARSAW)
    heat = calls["fundusz-transformacji-cieplownictwa"]  # dotted ISO dates
    assert heat.opening_date == datetime(2026, 12, 1, tzinfo=WARSAW)
    assert heat.deadlines[0].at.date().isoformat() == "2027-03-31"


def test_capture_continuation_row_is_another_call_of_the_programme(
    shared_fixtures: Path,
) -> None:
    calls = _by_id(_parse(_capture(shared_fixtures).read_bytes()))
    loan = calls["10/NC/UR/6.4/2025/Pożyczka_LIFE"]
    grant = calls["14/NC/UR/6.4/2026/Dotacja_ LIFE 2026"]
    assert loan.title == grant.title == "Współfinansowanie Programu LIFE"
    assert (loan.instrument, grant.instrument) == (Instrument.LOAN, Instrument.GRANT)
    assert loan.url == "https://www.gov.pl/web/nfosigw/pozyczka-life"
    # An Outlook safelink, unwrapped.
    assert grant.url == "https://www.gov.pl/web/nfosigw/nabor-life-2026"
    assert grant.opening_date == datetime(2026, 5, 12, tzinfo=WARSAW)
    assert grant.source_status is CallStatus.OPEN


def test_capture_links_codes_and_programmes(shared_fixtures: Path) -> None:
    spider = _spider()
    calls = _by_id(_parse(_capture(shared_fixtures).read_bytes(), spider))
    heat = calls["fundusz-transformacji-cieplownictwa"]
    # "http://ftc@nfosigw.gov.pl" is an e-mail address, not the call's page.
    assert heat.url == SCHEDULE_URL + "#fundusz-transformacji-cieplownictwa"
    assert heat.problems == ["link_not_a_page: http://ftc@nfosigw.gov.pl"]
    assert problem_count(spider, "pl_nfosigw/link_not_a_page") == 1
    feniks = calls["FENX.02.04-IW.01-001/26"]
    assert feniks.call_identifier == "FENX.02.04-IW.01-001/26"
    assert feniks.programme == (
        "Fundusze Europejskie na Infrastrukturę, Klimat i Środowisko"
    )
    assert feniks.programme_codes == ["FENX", "FENX.02.04"]
    assert feniks.keywords == [
        "Fundusze Europejskie na Infrastrukturę, Klimat i Środowisko",
        "nabór konkurencyjny",
    ]
    efficiency = calls["26/NC/UR/1.12/2026/EfektywnośćEnergetyczna"]
    assert efficiency.url == "https://www.gov.pl/web/nfosigw/nabor-20220"
    assert efficiency.title.endswith("na terenach wiejskich")  # no footnote star
    assert efficiency.description == (
        "program priorytetowy finansowany ze środków Funduszu Modernizacyjnego"
    )
    assert calls["6-2-udostepnianie-wod-termalnych-w-polsce"].description is None


def test_capture_status_comes_from_dates(shared_fixtures: Path) -> None:
    calls = _by_id(_parse(_capture(shared_fixtures).read_bytes()))
    statuses = {k: normalize_item(c, now=NOW).status for k, c in calls.items()}
    assert statuses["1-4-energia-dla-wsi"] is CallStatus.OPEN
    assert statuses["fundusz-transformacji-cieplownictwa"] is CallStatus.FORTHCOMING
    # "trwa nabór wniosków", but the planned end passed in June.
    assert statuses["6-2-udostepnianie-wod-termalnych-w-polsce"] is CallStatus.CLOSED


# --- our own page ------------------------------------------------------------------


def test_own_page_rounds_loans_links_and_problems() -> None:
    spider = _spider()
    calls = _by_id(_parse(OWN.read_bytes(), spider))
    assert list(calls) == [
        "2-1-gospodarka-wodno-sciekowa-w-aglomeracjach-pozyczka",
        "2-1-gospodarka-wodno-sciekowa-w-aglomeracjach-pozyczka-2",
        "31/NC/OP/4.1/2026/Przyroda",
        "4-2-gospodarka-o-obiegu-zamknietym-w-przetworstwie-rolno-spozywczym",
        "4-4-zielone-laboratoria",
        "FENX.02.05-IW.01-001/27",
    ]
    first, second, nature, circular, labs, feniks = calls.values()
    assert (first.instrument, second.instrument) == (Instrument.LOAN, Instrument.LOAN)
    assert first.opening_precision is DatePrecision.QUARTER
    assert first.deadlines[0].at == datetime(2027, 6, 30, 23, 59, 59, tzinfo=WARSAW)
    assert first.deadlines[0].precision is DatePrecision.QUARTER
    assert second.description == "druga runda"
    assert nature.url == "https://www.gov.pl/web/nfosigw/nabor-ochrona-przyrody-2026"
    assert nature.description == "nabór finansowany ze środków krajowych"
    assert circular.opening_precision is DatePrecision.MONTH
    assert circular.source_status is None
    assert circular.problems == [
        "link_not_a_page: mailto:gospodarka.obiegu@nfosigw.gov.pl",
        "unknown_state: nabór zawieszony",
    ]
    assert (labs.opening_date, labs.deadlines) == (None, [])  # "w trakcie ustalania"
    assert feniks.url == "https://www.gov.pl/web/nfosigw/fenx0205-iw01-00127"
    assert problem_count(spider, "pl_nfosigw/skipped_row/bad_date") == 1  # 2027-02-30
    assert problem_count(spider, "pl_nfosigw/unknown_state") == 1


def test_continuation_without_a_programme_is_skipped_and_counted() -> None:
    html = OWN.read_text("utf-8")
    start = html.index('<tr><td colspan="2">2.1</td>')
    html = html[:start] + html[html.index("<tr><td>konkurencyjny</td>") :]
    spider = _spider()
    calls = _parse(html.encode(), spider)
    assert len(calls) == 4
    assert problem_count(spider, "pl_nfosigw/skipped_row/orphan_continuation") == 1


def test_a_repeated_header_row_is_no_call() -> None:
    html = OWN.read_text("utf-8")
    header = html[html.index('<tr><td colspan="2"><p><strong>Nr') :]
    header = header[: header.index("</tr>") + 5]
    section = '<tr><td colspan="10"><strong>Fundusze Europejskie'
    assert section in html
    html = html.replace(section, header + section)
    spider = _spider()
    assert len(_parse(html.encode(), spider)) == 6
    # Only 2027-02-30 is unreadable.
    assert problem_count(spider, "pl_nfosigw/skipped_row/bad_date") == 1


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<html><body><p>Strona w przebudowie</p></body></html>", "header row"),
        (
            '<table class="Table"><tr><td>Nr PP</td><td>Nazwa programu</td>'
            "<td>Tryb naboru</td><td>Termin</td></tr></table>",
            "no column for",
        ),
    ],
)
def test_page_without_the_expected_table_fails_loudly(html: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _parse(html.encode())


def test_invariants_over_all_calls(shared_fixtures: Path) -> None:
    for body in (_capture(shared_fixtures).read_bytes(), OWN.read_bytes()):
        calls = _parse(body)
        assert len({c.source_id for c in calls}) == len(calls)
        for call in calls:
            validate_item(call)
            assert call.url.startswith("https://www.gov.pl/web/nfosigw/")
            assert all(d.at.tzinfo is not None for d in call.deadlines)
            assert call.opening_date is None or call.opening_date.tzinfo is not None
            assert call.source_id.strip() == call.source_id
            normalize_item(call, now=NOW)


def test_grants_parse_prints_the_capture(shared_fixtures: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["parse", "pl_nfosigw", str(_capture(shared_fixtures)), "--now", "2026-11-26"],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 8
    assert lines[0]["source_id"].startswith("1-1-budowa")
    assert [line["status"] for line in lines] == [
        # "III/IV kwartał 2026" may or may not have begun; "nabór planowany" decides
        "forthcoming",
        "open",
        "closed",
        "forthcoming",
        "open",
        "open",
        "closed",
        "closed",
    ]


# --- demo data -----------------------------------------------------------------------


def test_demo_page_gives_long_open_calls() -> None:
    spider = _spider()
    calls = _parse(DEMO.read_bytes(), spider)
    assert len(calls) == 6
    assert spider.crawler.stats is not None
    assert spider.crawler.stats.get_value("grants/problems", 0) == 0
    for call in calls:
        assert call.deadlines, call.source_id
        assert all(2027 <= d.at.year <= 2028 for d in call.deadlines)
        assert normalize_item(call, now=NOW).status is not CallStatus.CLOSED
    statuses = [c.status for c in calls]
    assert statuses.count(CallStatus.FORTHCOMING) == 2
