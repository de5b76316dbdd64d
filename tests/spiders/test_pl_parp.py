"""PARP spider, offline: the real schedule capture in ../shared, our own pages, demo."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import scrapy
from click.testing import CliRunner
from scrapy.utils.test import get_crawler

from spiders.base import listing_hash
from spiders.items import CallSeen, FundingCall, call_to_json
from spiders.pipelines import normalize_item, validate_item
from spiders.sources._pl_parp_fields import source_ids
from spiders.sources.pl_parp import PlParpSpider
from tests.conftest import FIXTURES, ROOT
from tests.spiders.helpers import problem_count, response_from
from tracker.cli import cli
from tracker.tagging import tag_call
from tracker.vocab import (
    ApplicantType,
    CallStatus,
    DatePrecision,
    Instrument,
)

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
OWN = FIXTURES / "pl_parp"
DEMO = ROOT / "tracker" / "demo" / "data" / "sites" / "www.parp.gov.pl"
LISTING = PlParpSpider.source_url
GRANTS = "https://www.parp.gov.pl/component/grants/grants/"


def _spider() -> PlParpSpider:
    return PlParpSpider.from_crawler(get_crawler(PlParpSpider))


def _listing(spider: PlParpSpider, body: bytes) -> list[Any]:
    return list(spider.parse(response_from(body, LISTING)))


def _detail(spider: PlParpSpider, request: scrapy.Request, body: bytes) -> list[Any]:
    response = response_from(body, request=request)
    return list(spider.parse_call(response, **request.cb_kwargs))


def _calls(results: list[Any]) -> list[FundingCall]:
    """Calls yielded at once plus those waiting in detail requests, in page order."""
    return [
        r.cb_kwargs["call"] if isinstance(r, scrapy.Request) else r
        for r in results
        if isinstance(r, (scrapy.Request, FundingCall))
    ]


def _requests(results: list[Any]) -> list[scrapy.Request]:
    return [r for r in results if isinstance(r, scrapy.Request)]


def _capture(shared: Path) -> bytes:
    return (shared / "pl_parp" / "harmonogram_naborow_fragment.html").read_bytes()


def _own() -> bytes:
    return (OWN / "harmonogram_naborow.html").read_bytes()


def _by_id(calls: list[FundingCall]) -> dict[str, FundingCall]:
    return {call.source_id: call for call in calls}


def _day(at: str) -> dict[str, Any]:
    return {"at": at, "label": None, "precision": "day"}


# --- the real capture ------------------------------------------------------------


def test_capture_gives_one_call_per_href_and_title(shared_fixtures: Path) -> None:
    spider = _spider()
    results = _listing(spider, _capture(shared_fixtures))
    assert len(results) == 5  # 6 tiles, INDUSTRYLAB GREEN twice
    assert [r.url for r in _requests(results)] == [
        f"{GRANTS}dga-s-a-industry-lab-green",
        f"{GRANTS}wspolfinansowanie-dzialan-edih-1",
        f"{GRANTS}program-horizon-bridge",
    ]
    assert [c.source_id for c in _calls(results)] == [
        "dga-s-a-industry-lab-green",
        "wspolfinansowanie-dzialan-edih-1",
        "goz.example-operator.pl",  # the invented host of the capture's README
        "program-horizon-bridge",
        "hrp.com.pl/projekty/przepis-na-rozwoj-czas-na-niskoemisyjna-gozpodarke",
    ]
    assert problem_count(spider, "pl_parp/offsite_link") == 2


def test_capture_first_call_in_full(shared_fixtures: Path) -> None:
    call = _calls(_listing(_spider(), _capture(shared_fixtures)))[0]
    data = call_to_json(normalize_item(call, now=NOW))
    assert data == {
        "source": "pl_parp",
        "source_id": "dga-s-a-industry-lab-green",
        "title": "INDUSTRYLAB GREEN",
        "url": f"{GRANTS}dga-s-a-industry-lab-green",
        "funder": "Polska Agencja Rozwoju Przedsiębiorczości",
        "language": "pl",
        "programme": "Fundusze Europejskie dla Nowoczesnej Gospodarki",
        "call_identifier": None,
        "opening_date": "2026-08-01T00:00:00+02:00",
        "opening_precision": "day",
        "deadlines": [
            {"at": "2026-09-30T23:59:59+02:00", "label": "runda 1", "precision": "day"},
            {"at": "2026-11-30T23:59:59+01:00", "label": "runda 2", "precision": "day"},
            {
                "at": "2027-08-31T23:59:59+02:00",
                "label": "koniec naboru",
                "precision": "day",
            },
        ],
        "budget_amount": None,  # "Maksymalne dofinansowanie" caps a project
        "budget_currency": None,
        # The tile's description is only a link to the accelerator: dropped.
        "description": "Maksymalne dofinansowanie: 400 000 PLN\n\n"
        "Nabór ma kilka rund. Koniec naboru: 31.08.2027",
        "applicant_types": [],
        "instrument": "grant",
        "source_status": None,
        "status": "open",
        "keywords": [],
        "programme_codes": ["FENG"],
        "problems": [],
        "listing_hash": call.listing_hash,
    }
    assert call.listing_hash is not None and len(call.listing_hash) == 64


def test_capture_offsite_and_month_only_tiles(shared_fixtures: Path) -> None:
    calls = _by_id(_calls(_listing(_spider(), _capture(shared_fixtures))))
    goz = normalize_item(calls["goz.example-operator.pl"], now=NOW)
    assert goz.source_status is CallStatus.CLOSED  # "GO!Z - nabór zakończony"
    assert goz.status is CallStatus.CLOSED
    assert goz.problems == ["offsite_link: goz.example-operator.pl"]
    assert goz.description is None
    hrp = calls[
        "hrp.com.pl/projekty/przepis-na-rozwoj-czas-na-niskoemisyjna-gozpodarke"
    ]
    assert hrp.opening_precision is DatePrecision.MONTH  # "05.2024"
    assert hrp.opening_date == datetime.fromisoformat("2024-05-01T00:00+02:00")
    assert call_to_json(hrp)["deadlines"] == [  # "12.2026": the month's last day
        {"at": "2026-12-31T23:59:59+01:00", "label": None, "precision": "month"}
    ]
    assert hrp.programme_codes == ["FERS"]
    edih = calls["wspolfinansowanie-dzialan-edih-1"]
    assert call_to_json(edih)["deadlines"] == [_day("2026-10-28T23:59:59+01:00")]
    assert edih.description == (
        "Zwiększanie konkurencyjności Małych i Średnich Przedsiębiorstw w procesie "
        "transformacji cyfrowej.\n\nTo już ostatnia runda naboru"
    )


# --- our own pages ---------------------------------------------------------------


def test_own_listing_groups_rounds_and_repeats() -> None:
    spider = _spider()
    results = _listing(spider, _own())
    assert len(results) == 6  # 8 tiles; Ścieżka SMART's first round shown twice
    assert len(_requests(results)) == 5  # the operator's site is not fetched
    smart = _calls(results)[0]
    assert [(d.label, d.at.date().isoformat()) for d in smart.deadlines] == [
        ("runda 1", "2027-01-29"),
        ("runda 2", "2027-04-30"),
        ("koniec naboru", "2027-06-30"),
    ]
    assert smart.opening_date == datetime.fromisoformat("2026-12-15T00:00+01:00")


def test_own_listing_vocabulary() -> None:
    spider = _spider()
    calls = _by_id(_calls(_listing(spider, _own())))
    assert calls["bony-na-innowacje"].instrument is Instrument.VOUCHER
    assert calls["platformy-startowe-dla-nowych-pomyslow"].programme_codes == ["FEPW"]
    assert calls["platformy-startowe-dla-nowych-pomyslow"].url == (
        f"{GRANTS}platformy-startowe-dla-nowych-pomyslow"  # relative href, joined
    )
    unknown = calls["zielona-transformacja-msp"]
    assert unknown.programme is None and unknown.programme_codes == []
    assert unknown.problems == ["unknown_programme: schedule-feniks"]
    assert problem_count(spider, "pl_parp/unknown_programme") == 1
    month = calls["internacjonalizacja-msp"]
    assert month.opening_precision is DatePrecision.MONTH
    assert [d.precision for d in month.deadlines] == [DatePrecision.MONTH]


@pytest.mark.parametrize("source", ["capture", "own", "demo"])
def test_invariants(source: str, request: pytest.FixtureRequest) -> None:
    if source == "capture":
        body = _capture(request.getfixturevalue("shared_fixtures"))
    else:
        body = (
            _own() if source == "own" else (DEMO / "harmonogram-naborow").read_bytes()
        )
    calls = _calls(_listing(_spider(), body))
    assert calls
    assert len({c.source_id for c in calls}) == len(calls)
    for call in calls:
        validate_item(call)
        assert call.url.startswith("https://")
        assert call.deadlines and all(d.at.tzinfo is not None for d in call.deadlines)
        assert call.opening_date is None or call.opening_date.tzinfo is not None
        assert call.listing_hash
        assert call.programme_codes or call.problems
        labels = [d.label for d in call.deadlines]
        assert labels == [None] or all(labels)


# --- the call page ---------------------------------------------------------------


def test_detail_page_merges_with_the_listing() -> None:
    spider = _spider()
    request = _requests(_listing(spider, _own()))[0]
    body = (OWN / "call_sciezka-smart.html").read_bytes()
    (call,) = _detail(spider, request, body)
    data = call_to_json(normalize_item(call, now=NOW))
    assert data == {
        "source": "pl_parp",
        "source_id": "sciezka-smart",
        "title": "Ścieżka SMART",
        "url": f"{GRANTS}sciezka-smart",
        "funder": "Polska Agencja Rozwoju Przedsiębiorczości",
        "language": "pl",
        "programme": "Fundusze Europejskie dla Nowoczesnej Gospodarki",
        "call_identifier": "FENG.01.01-IP.02-001/27",
        "opening_date": "2026-12-15T00:00:00+01:00",
        "opening_precision": "day",
        "deadlines": [
            {"at": "2027-01-29T23:59:59+01:00", "label": "runda 1", "precision": "day"},
            {"at": "2027-04-30T23:59:59+02:00", "label": "runda 2", "precision": "day"},
            {
                "at": "2027-06-30T23:59:59+02:00",
                "label": "koniec naboru",
                "precision": "day",
            },
        ],
        "budget_amount": "1200000000",
        "budget_currency": "PLN",
        "description": "\n\n".join(
            [
                "Kompleksowe wsparcie projektów badawczo-rozwojowych i wdrożeniowych "
                "mikro, małych i średnich przedsiębiorstw, także z obszaru "
                "biotechnologii, technologii medycznych i biogospodarki.",
                "Numer naboru: FENG.01.01-IP.02-001/27",
                "Budżet naboru: 1 200 000 000 zł",
                "Forma wsparcia: dotacja",
                "Dla kogo",
                "Mikro, małe i średnie przedsiębiorstwa (MŚP) oraz konsorcja MŚP "
                "z organizacjami badawczymi.",
                "Na co",
                "prace badawczo-rozwojowe lub wdrożenie innowacji (moduł obowiązkowy),",
                "infrastruktura B+R, cyfryzacja, zazielenienie przedsiębiorstwa, "
                "internacjonalizacja, kompetencje.",
                "Ile można otrzymać",
                "Poziom dofinansowania zależy od modułu i wielkości przedsiębiorstwa, "
                "w module B+R do 80% kosztów kwalifikowanych.",
                "Kompleksowe wsparcie projektów badawczo-rozwojowych i wdrożeniowych "
                "MŚP.",
                "Nabór ma kilka rund. Koniec naboru: 30.06.2027",
            ]
        ),
        "applicant_types": ["research_institute", "sme", "consortium"],
        "instrument": "grant",
        "source_status": None,
        "status": "forthcoming",
        "keywords": [],
        "programme_codes": ["FENG"],
        "problems": [],
        "listing_hash": request.cb_kwargs["call"].listing_hash,
    }
    assert {m.tag for m in tag_call(call)} >= {"biotech", "health", "bioeconomy"}


def test_missing_call_page_keeps_the_listing_facts() -> None:
    spider = _spider()
    request = _requests(_listing(spider, _own()))[1]
    (call,) = _detail(spider, request, (OWN / "call_missing.html").read_bytes())
    assert call.title == "Platformy startowe dla nowych pomysłów"
    assert call.problems == [f"detail_missing: {request.url}"]
    assert len(call.deadlines) == 1
    assert problem_count(spider, "pl_parp/detail_missing") == 1


def test_unknown_call_page_fails_loudly() -> None:
    spider = _spider()
    request = _requests(_listing(spider, _own()))[0]
    body = b"<html><head><title>Nowy portal PARP</title></head><body></body></html>"
    with pytest.raises(ValueError, match="without an <h1>"):
        _detail(spider, request, body)


def test_call_page_on_its_own() -> None:
    url = f"{GRANTS}sciezka-smart"
    response = response_from(OWN / "call_sciezka-smart.html", url)
    (call,) = list(_spider().parse_call(response))
    validate_item(call)
    assert (call.source_id, call.title) == ("sciezka-smart", "Ścieżka SMART")
    assert call.call_identifier == "FENG.01.01-IP.02-001/27"
    assert call.deadlines == [] and call.listing_hash is None
    assert call.applicant_types[1] is ApplicantType.SME


# --- incremental crawling --------------------------------------------------------


def test_unchanged_listing_skips_the_call_page() -> None:
    first = _listing(_spider(), _own())
    smart = _calls(first)[0]
    spider = _spider()
    spider.known_listings = {"sciezka-smart": smart.listing_hash or ""}
    results = _listing(spider, _own())
    assert CallSeen("pl_parp", "sciezka-smart") in results
    assert f"{GRANTS}sciezka-smart" not in {r.url for r in _requests(results)}
    assert len(_requests(results)) == len(_requests(first)) - 1


def test_a_changed_round_changes_the_hash() -> None:
    before = _calls(_listing(_spider(), _own()))[0].listing_hash
    body = _own().replace(b"30.04.2027", b"14.05.2027")
    after = _calls(_listing(_spider(), body))[0].listing_hash
    assert before != after
    assert listing_hash("x") != listing_hash("y")


# --- broken input ----------------------------------------------------------------


def test_broken_tiles_are_skipped_and_counted() -> None:
    spider = _spider()
    body = _own().replace(b"26.02.2027", b"31.02.2027")  # Bony: no such day
    title = '<p class="text-mm-18 text-black mb-2">Zielona transformacja MŚP</p>'
    body = body.replace(title.encode(), b"")
    calls = _by_id(_calls(_listing(spider, body)))
    assert "bony-na-innowacje" not in calls
    assert "zielona-transformacja-msp" not in calls
    assert len(calls) == 4
    assert problem_count(spider, "pl_parp/bad_date") == 1
    assert problem_count(spider, "pl_parp/missing_title") == 1


def test_unknown_date_label_is_a_broken_tile() -> None:
    spider = _spider()
    body = _own().replace("data zakończenia rundy".encode(), b"termin oceny", 1)
    calls = _by_id(_calls(_listing(spider, body)))
    # The first tile of Ścieżka SMART is gone; its repeat in January remains.
    assert len(calls["sciezka-smart"].deadlines) == 3
    assert problem_count(spider, "pl_parp/unknown_date_label") == 1


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><h1>Harmonogram naborow</h1><p>Brak</p></body></html>",
        b'<html><body><a class="schedule-main schedule-feng" href="/x"></a></body>'
        b"</html>",
    ],
)
def test_schedule_without_readable_tiles_fails_loudly(body: bytes) -> None:
    with pytest.raises(ValueError, match="PARP schedule"):
        _listing(_spider(), body)


def test_titles_sharing_a_page_get_their_own_ids() -> None:
    href = f"{GRANTS}akceleratory"
    ids = source_ids([(href, "Akcelerator A"), (href, "Akcelerator B"), (GRANTS, "")])
    assert ids == {
        (href, "Akcelerator A"): "akceleratory/akcelerator-a",
        (href, "Akcelerator B"): "akceleratory/akcelerator-b",
        (GRANTS, ""): "grants",
    }


# --- grants parse ----------------------------------------------------------------


def test_grants_parse_on_the_capture(shared_fixtures: Path) -> None:
    path = shared_fixtures / "pl_parp" / "harmonogram_naborow_fragment.html"
    result = CliRunner().invoke(
        cli, ["parse", "pl_parp", str(path), "--now", "2026-09-15"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [c["source_id"] for c in lines] == [
        "goz.example-operator.pl",
        "hrp.com.pl/projekty/przepis-na-rozwoj-czas-na-niskoemisyjna-gozpodarke",
    ]
    assert [c["status"] for c in lines] == ["closed", "open"]
    assert "ignored 3 request(s)" in result.stderr


def test_grants_parse_on_a_call_page() -> None:
    args = ["parse", "pl_parp", str(OWN / "call_sciezka-smart.html")]
    args += ["--callback", "parse_call", "--url", f"{GRANTS}sciezka-smart", "--tags"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert line["call_identifier"] == "FENG.01.01-IP.02-001/27"
    assert {t["tag"] for t in line["tags"]} >= {"biotech", "health"}


# --- demo data -------------------------------------------------------------------


def test_demo_site_serves_every_call_page() -> None:
    spider = _spider()
    results = _listing(spider, (DEMO / "harmonogram-naborow").read_bytes())
    requests = _requests(results)
    assert len(requests) == len(results) == 5
    assert max(len(c.deadlines) for c in _calls(results)) == 3
    statuses = []
    for request in requests:
        path = DEMO / request.url.removeprefix("https://www.parp.gov.pl/")
        (call,) = _detail(spider, request, path.read_bytes())
        call = normalize_item(call, now=NOW)
        assert call.problems == [] and call.call_identifier
        assert {d.at.year for d in call.deadlines} <= {2027, 2028}
        assert tag_call(call), call.title
        statuses.append(call.status)
    assert statuses.count(CallStatus.FORTHCOMING) == 2
    assert statuses.count(CallStatus.OPEN) == 3
