"""NCN spider, offline: the real 2018 home page in ../shared plus our own pages."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import scrapy
from click.testing import CliRunner
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from spiders.items import CallSeen, FundingCall, call_to_json
from spiders.pipelines import normalize_item, validate_item
from spiders.sources import _pl_ncn_fields as ncn
from spiders.sources.pl_ncn import PlNcnSpider
from tests.conftest import FIXTURES, ROOT
from tests.spiders.helpers import problem_count, response_from
from tracker.cli import cli
from tracker.vocab import ApplicantType, CallStatus, DatePrecision, Instrument

NOW = datetime(2025, 7, 1, 10, tzinfo=UTC)
TODAY = date(2025, 7, 1)
WARSAW = ZoneInfo("Europe/Warsaw")
OWN = FIXTURES / "pl_ncn"
DEMO = ROOT / "tracker" / "demo" / "data" / "sites" / "ncn.gov.pl"
SEED = "https://ncn.gov.pl/finansowanie-nauki/konkursy/harmonogram"
CALLS = "https://ncn.gov.pl/ogloszenia/konkursy/"
EN_CALLS = "https://ncn.gov.pl/en/ogloszenia/konkursy/"


def _spider(**kwargs: Any) -> PlNcnSpider:
    spider = PlNcnSpider.from_crawler(get_crawler(PlNcnSpider), **kwargs)
    spider.today = TODAY
    return spider


def _listing(spider: PlNcnSpider, body: bytes | Path, url: str = SEED) -> list[Any]:
    return list(spider.parse(response_from(body, url)))


def _edited(name: str, *changes: tuple[str, str]) -> bytes:
    """Our fixture `name` with each (old, new) replaced once."""
    text = (OWN / name).read_text("utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.encode()


def _requests(results: list[Any]) -> list[Request]:
    return [r for r in results if isinstance(r, Request)]


def _calls(results: list[Any]) -> list[FundingCall]:
    return [r for r in results if isinstance(r, FundingCall)]


def _detail(
    spider: PlNcnSpider, body: bytes | Path, url: str, **kwargs: Any
) -> list[Any]:
    return list(spider.parse_call(response_from(body, url), **kwargs))


def _follow(spider: PlNcnSpider, request: Request, path: Path) -> list[FundingCall]:
    """What the crawl does with a call-page request: its callback on the page."""
    response = response_from(path, request=request)
    return list(request.callback(response, **request.cb_kwargs))


# --- start ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "url"),
    [
        ({}, SEED),
        (
            {"lang": "en"},
            "https://ncn.gov.pl/en/finansowanie-nauki/konkursy/harmonogram",
        ),
    ],
)
def test_start_asks_for_the_schedule_page(kwargs: dict[str, str], url: str) -> None:
    async def first() -> list[scrapy.Request]:
        return [r async for r in _spider(**kwargs).start()]

    (request,) = asyncio.run(first())
    assert request.url == url
    assert request.callback.__name__ == "parse"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lang"):
        _spider(lang="de")


# --- the real 2018 capture ------------------------------------------------------------


def test_capture_2018_sidebar(shared_fixtures: Path) -> None:
    spider = _spider()
    page = shared_fixtures / "pl_ncn" / "homepage_2018-03.html"
    results = _listing(spider, page, "https://ncn.gov.pl/")
    requests = _requests(results)
    assert [r.url for r in requests] == [CALLS + "opus15", CALLS + "preludium15"]
    assert [r.cb_kwargs["source_status"] for r in requests] == [CallStatus.OPEN] * 2
    # URBAN EUROPE is announced as news, not on a call page.
    assert problem_count(spider, "pl_ncn/skipped_entry/not_a_call_page") == 1
    upcoming = _calls(results)
    assert [c.source_id for c in upcoming] == [
        "tango3",
        "sonata-bis8",
        "maestro10",
        "harmonia10",
    ]
    assert len(results) == 6
    sonata = upcoming[1]
    assert call_to_json(normalize_item(sonata, now=NOW)) == {
        "source": "pl_ncn",
        "source_id": "sonata-bis8",
        "title": "SONATA BIS 8",
        "url": "https://ncn.gov.pl/finansowanie-nauki/konkursy/typy",
        "funder": "Narodowe Centrum Nauki",
        "language": "pl",
        "programme": "NCN SONATA BIS",
        "call_identifier": None,
        "opening_date": None,
        "opening_precision": "day",
        "deadlines": [],
        "budget_amount": None,
        "budget_currency": None,
        "description": None,
        "applicant_types": [],
        "instrument": "grant",
        "source_status": "forthcoming",
        "status": "forthcoming",
        "keywords": [],
        "programme_codes": ["NCN", "SONATA BIS"],
        "problems": [],
        "listing_hash": sonata.listing_hash,
    }
    assert sonata.listing_hash


# --- our current-style sidebar -----------------------------------------------------


def test_current_sidebar_requests_open_calls_and_lists_upcoming_ones() -> None:
    spider = _spider()
    results = _listing(spider, OWN / "harmonogram.html")
    assert len(results) == 5
    requests = _requests(results)
    assert [r.url for r in requests] == [
        CALLS + "opus29",
        CALLS + "preludium24",
        CALLS + "miniatura9",
    ]
    assert [r.cb_kwargs["slug"] for r in requests] == [
        "opus29",
        "preludium24",
        "miniatura9",
    ]
    assert all(r.callback == spider.parse_call for r in requests)
    assert [(c.source_id, c.source_status) for c in _calls(results)] == [
        ("sonata-bis15", CallStatus.FORTHCOMING),
        ("maestro17", CallStatus.FORTHCOMING),
    ]
    assert problem_count(spider, "pl_ncn/listing_date_unreadable") == 0


def test_listing_hash_is_the_slug_and_the_sidebar_date() -> None:
    (first, *_) = _requests(_listing(_spider(), OWN / "harmonogram.html"))
    changed = _edited("harmonogram.html", (">16 wrz<", ">30 wrz<"))
    (moved, *_) = _requests(_listing(_spider(), changed))
    assert first.cb_kwargs["listing_hash"] != moved.cb_kwargs["listing_hash"]


# --- call pages -----------------------------------------------------------------------

FIRST_CALL = {
    "source": "pl_ncn",
    "source_id": "opus29",
    "title": "OPUS 29",
    "url": CALLS + "opus29",
    "funder": "Narodowe Centrum Nauki",
    "language": "pl",
    "programme": "NCN OPUS",
    "call_identifier": None,
    "opening_date": "2025-06-16T00:00:00+02:00",
    "opening_precision": "day",
    "deadlines": [
        {"at": "2025-09-16T14:00:00+02:00", "label": None, "precision": "datetime"}
    ],
    "budget_amount": "360000000",
    "budget_currency": "PLN",
    "description": "Dyrektor Narodowego Centrum Nauki ogłasza konkurs OPUS 29 na "
    "projekty badawcze, w tym projekty realizowane we współpracy międzynarodowej, "
    "finansowane w ramach programu Weave.\n\n"
    "Konkurs skierowany jest do wszystkich naukowców, niezależnie od stażu pracy "
    "naukowej. W projekcie można zaplanować zakup lub wytworzenie aparatury "
    "naukowo-badawczej o wartości do 500 tys. zł.\n\n"
    "Budżet konkursu wynosi 360 mln zł.\n\n"
    "Nabór wniosków potrwa do 16 września 2025 r. do godziny 14:00. Wnioski należy "
    "składać wyłącznie w formie elektronicznej w systemie OSF.\n\n"
    "Ogłoszenie konkursu OPUS 29 (PDF)\n\n"
    "Regulamin przyznawania środków na realizację zadań finansowanych przez "
    "Narodowe Centrum Nauki",
    "applicant_types": ["university", "research_institute", "consortium"],
    "instrument": "grant",
    "source_status": "open",
    "status": "open",
    "keywords": [],
    "programme_codes": ["NCN", "OPUS"],
    "problems": [],
}


def test_first_call_through_the_listing() -> None:
    spider = _spider()
    (request, *_) = _requests(_listing(spider, OWN / "harmonogram.html"))
    (call,) = _follow(spider, request, OWN / "call_opus29.html")
    data = call_to_json(normalize_item(call, now=NOW))
    assert data == {**FIRST_CALL, "listing_hash": request.cb_kwargs["listing_hash"]}


def test_old_site_call_page_with_a_day_deadline() -> None:
    url = "https://www.ncn.gov.pl/ogloszenia/konkursy/preludium17"
    (call,) = _detail(_spider(), OWN / "call_preludium17.html", url)
    assert call.source_id == "preludium17"
    assert call.title == "PRELUDIUM 17"
    assert call.opening_date == datetime(2019, 3, 15, tzinfo=WARSAW)
    (deadline,) = call.deadlines
    # "upływa 17 czerwca 2019 r.": no hour given, so the whole day, kept as DAY.
    assert deadline.at == datetime(2019, 6, 17, 23, 59, 59, tzinfo=WARSAW)
    assert deadline.precision is DatePrecision.DAY
    assert (call.budget_amount, call.budget_currency) == (50_000_000, "PLN")
    assert call.applicant_types == [ApplicantType.INDIVIDUAL_RESEARCHER]
    # The FAQ (inside the body on the old site) stays out of the description.
    assert call.description is not None
    assert "Kto może" not in call.description
    assert call.description.endswith("Ogłoszenie konkursu PRELUDIUM 17")
    assert normalize_item(call, now=NOW).status is CallStatus.CLOSED


def test_english_call_page() -> None:
    (call,) = _detail(
        _spider(), OWN / "call_preludium23_en.html", EN_CALLS + "preludium23"
    )
    assert (call.source_id, call.language) == ("preludium23", "en")
    assert call.opening_date == datetime(2024, 3, 15, tzinfo=WARSAW)
    (deadline,) = call.deadlines
    assert deadline.at == datetime(2024, 6, 17, 16, tzinfo=WARSAW)  # "at 4 p.m."
    assert deadline.precision is DatePrecision.DATETIME
    assert (call.budget_amount, call.budget_currency) == (110_000_000, "PLN")
    assert call.applicant_types == [
        ApplicantType.UNIVERSITY,
        ApplicantType.RESEARCH_INSTITUTE,
        ApplicantType.INDIVIDUAL_RESEARCHER,
    ]
    assert call.keywords == [
        "Humanities, Social Sciences and Arts",
        "Life Sciences",
        "Physical Sciences and Engineering",
    ]
    assert call.programme_codes == ["NCN", "PRELUDIUM", "HS", "NZ", "ST"]
    assert call.description is not None
    assert "Kod CSS" not in call.description
    assert "Who can apply" not in call.description


def test_english_sidebar_keeps_the_slug_as_source_id() -> None:
    spider = _spider(lang="en")
    results = _listing(
        spider, OWN / "call_preludium23_en.html", EN_CALLS + "preludium23"
    )
    assert [r.url for r in _requests(results)] == [
        EN_CALLS + "opus27",
        EN_CALLS + "preludium23",
    ]
    assert [r.cb_kwargs["slug"] for r in _requests(results)] == [
        "opus27",
        "preludium23",
    ]
    assert problem_count(spider, "pl_ncn/listing_date_unreadable") == 0


def test_stray_css_block_is_not_the_body() -> None:
    # The "Kod CSS i JS" block comes first on the page and has a body field too.
    (call,) = _detail(_spider(), OWN / "call_opus29.html", CALLS + "opus29")
    assert call.description is not None
    assert call.description.startswith("Dyrektor Narodowego Centrum Nauki")
    assert "Kod CSS" not in call.description
    assert "querySelectorAll" not in call.description


def _all_calls(shared: Path) -> list[FundingCall]:
    calls = _calls(_listing(_spider(), shared / "pl_ncn" / "homepage_2018-03.html"))
    calls += _calls(_listing(_spider(), OWN / "harmonogram.html"))
    pages = [
        ("call_opus29.html", CALLS + "opus29"),
        ("call_preludium17.html", CALLS + "preludium17"),
        ("call_preludium23_en.html", EN_CALLS + "preludium23"),
    ]
    for name, url in pages:
        calls += _detail(_spider(), OWN / name, url)
    return calls


def test_invariants_over_all_calls(shared_fixtures: Path) -> None:
    calls = _all_calls(shared_fixtures)
    assert len(calls) == 9
    for call in calls:
        validate_item(call)
        assert call.url.startswith("https://")
        assert all(d.at.tzinfo is not None for d in call.deadlines)
        assert call.opening_date is None or call.opening_date.tzinfo is not None
        assert call.instrument is Instrument.GRANT
        assert call.programme is not None
        assert call.programme.startswith("NCN")
        normalize_item(call, now=NOW)
    assert len({c.source_id for c in calls}) == len(calls)
    precisions = [d.precision for c in calls for d in c.deadlines]
    assert precisions == [
        DatePrecision.DATETIME,
        DatePrecision.DAY,
        DatePrecision.DATETIME,
    ]


# --- incremental crawling -------------------------------------------------------------


def test_unchanged_listing_skips_the_call_page() -> None:
    first = _requests(_listing(_spider(), OWN / "harmonogram.html"))
    spider = _spider()
    spider.known_listings = {
        "opus29": first[0].cb_kwargs["listing_hash"],
        "preludium24": "an older hash",
    }
    results = _listing(spider, OWN / "harmonogram.html")
    assert CallSeen("pl_ncn", "opus29") in results
    assert [r.cb_kwargs["slug"] for r in _requests(results)] == [
        "preludium24",
        "miniatura9",
    ]


def test_upcoming_call_that_opens_is_fetched() -> None:
    # Listed as upcoming (no page), then in the open block without a date: the
    # block is part of the listing hash, so the new call page is fetched.
    upcoming = _calls(_listing(_spider(), OWN / "harmonogram.html"))[0]
    assert upcoming.source_id == "sonata-bis15"
    link = '<li><a href="/ogloszenia/konkursy/sonata-bis15">SONATA BIS 15</a></li>'
    ul = '<ul class="konkursy-lista">'
    opened = _edited("harmonogram.html", (ul, ul + link))
    spider = _spider()
    spider.known_listings = {"sonata-bis15": upcoming.listing_hash or ""}
    results = _listing(spider, opened)
    assert _requests(results)[0].url == CALLS + "sonata-bis15"
    assert "sonata-bis15" not in {c.source_id for c in _calls(results)}


# --- broken input ---------------------------------------------------------------------


def test_page_without_the_sidebar_fails_loudly() -> None:
    page = _edited(
        "harmonogram.html",
        ('id="otwarte-konkursy"', 'id="konkursy"'),
        (">Otwarte konkursy<", ">Konkursy<"),
    )
    with pytest.raises(ValueError, match="open-calls sidebar"):
        _listing(_spider(), page)


def test_call_page_without_a_body_fails_loudly() -> None:
    page = (OWN / "call_opus29.html").read_bytes()
    page = page.replace(b"field--name-body", b"field--name-tekst")  # all of them
    with pytest.raises(ValueError, match="no call body"):
        _detail(_spider(), page, CALLS + "opus29")


def test_call_callback_on_another_page_fails_loudly() -> None:
    with pytest.raises(ValueError, match="ogloszenia/konkursy"):
        _detail(_spider(), OWN / "call_opus29.html", SEED)


def test_broken_sidebar_entries_are_skipped_and_counted() -> None:
    spider = _spider()
    broken = (
        '<ul class="konkursy-lista">'
        '<li><a href="/ogloszenia/konkursy/">BROKEN 1</a> <span class="termin">1 sie'
        "</span></li>"
        "<li>SONATINA 9 (link wkrótce)</li>"
        '<li><a href="/ogloszenia/konkursy/sonatina9">SONATINA 9</a>'
        ' <span class="termin">po wakacjach</span></li>'
    )
    page = _edited("harmonogram.html", ('<ul class="konkursy-lista">', broken))
    results = _listing(spider, page)
    assert problem_count(spider, "pl_ncn/skipped_entry/no_slug") == 1
    assert problem_count(spider, "pl_ncn/skipped_entry/no_link") == 1
    # An unreadable sidebar date is counted, but the call page is still fetched.
    assert problem_count(spider, "pl_ncn/listing_date_unreadable") == 1
    assert [r.cb_kwargs["slug"] for r in _requests(results)] == [
        "sonatina9",
        "opus29",
        "preludium24",
        "miniatura9",
    ]


def test_call_page_with_an_unreadable_deadline_is_skipped_and_counted() -> None:
    spider = _spider()
    page = _edited(
        "call_opus29.html", ("do 16 września 2025 r. do godziny 14:00", "do odwołania")
    )
    assert _detail(spider, page, CALLS + "opus29") == []
    assert problem_count(spider, "pl_ncn/skipped_call/bad_deadline") == 1


def test_call_page_without_a_title_is_skipped_and_counted() -> None:
    spider = _spider()
    page = _edited(
        "call_opus29.html",
        (">OPUS 29</span></h1>", "></span></h1>"),
        ('<meta property="og:title" content="OPUS 29">', ""),
    )
    assert _detail(spider, page, CALLS + "opus29") == []
    assert problem_count(spider, "pl_ncn/skipped_call/no_title") == 1


def test_call_page_without_a_deadline_sentence_is_kept_with_a_problem() -> None:
    spider = _spider()
    page = _edited(
        "call_opus29.html", ("Nabór wniosków potrwa do", "Wnioski przyjmujemy do")
    )
    (call,) = _detail(spider, page, CALLS + "opus29")
    assert call.deadlines == []
    assert call.problems == ["no_deadline: no deadline sentence on the page"]
    assert problem_count(spider, "pl_ncn/no_deadline") == 1


def test_unrecognised_applicants_are_a_problem_not_a_guess() -> None:
    spider = _spider()
    answer = (
        "Wnioski mogą składać jednostki naukowe, w tym uczelnie, instytuty naukowe "
        "PAN i instytuty badawcze, a także grupy podmiotów (konsorcja naukowe)."
    )
    page = _edited("call_opus29.html", (answer, "Zob. regulamin konkursu, § 2."))
    (call,) = _detail(spider, page, CALLS + "opus29")
    assert call.applicant_types == []
    assert [p.split(":")[0] for p in call.problems] == ["applicants_unrecognised"]
    assert problem_count(spider, "pl_ncn/applicants_unrecognised") == 1


# --- field helpers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug", "family"),
    [
        ("OPUS 29", "opus29", "OPUS"),
        ("SONATA BIS 8", "sonata-bis8", "SONATA BIS"),
        ("PRELUDIUM BIS 4", "preludium-bis4", "PRELUDIUM BIS"),
        ("MAESTRO 17", "maestro17", "MAESTRO"),
        ("URBAN EUROPE", "urban-europe", None),
    ],
)
def test_slug_and_family_from_a_name(name: str, slug: str, family: str | None) -> None:
    assert ncn.slug_for_name(name) == slug
    assert ncn.call_family(name, slug) == family


def test_family_from_the_slug_when_the_title_has_none() -> None:
    assert (
        ncn.call_family("Konkurs na projekty badawcze", "sonata-bis16") == "SONATA BIS"
    )


@pytest.mark.parametrize(
    ("text", "instrument"),
    [
        (
            "Dyrektor NCN ogłasza konkurs na stypendia doktorskie ETIUDA 9.",
            "fellowship",
        ),
        ("The NCN announces a call for doctoral scholarships.", "fellowship"),
        ("Wynagrodzenie obejmuje stypendium naukowe dla doktoranta.", "grant"),
        ("Konkurs na projekty badawcze OPUS 29.", "grant"),
    ],
)
def test_instrument(text: str, instrument: str) -> None:
    assert ncn.parse_instrument(text) == instrument


def test_budget_only_from_a_sentence_about_the_call() -> None:
    problems: list[str] = []
    stipend = ["Stypendium wypłacane jest w kwocie 5000 zł miesięcznie."]
    assert ncn.parse_budget(stipend, problems) is None
    funds = [
        "Na finansowanie projektów w konkursie przeznaczono środki w kwocie 30 mln zł."
    ]
    money = ncn.parse_budget(stipend + funds, problems)
    assert money is not None
    assert (money.amount, money.currency) == (30_000_000, "PLN")
    assert problems == []


# --- grants parse and the demo pages --------------------------------------------------


def test_grants_parse_prints_the_upcoming_calls() -> None:
    result = CliRunner().invoke(
        cli, ["parse", "pl_ncn", str(OWN / "harmonogram.html"), "--now", "2025-07-01"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert [(c["source_id"], c["status"]) for c in lines] == [
        ("sonata-bis15", "forthcoming"),
        ("maestro17", "forthcoming"),
    ]
    assert "ignored 3 request(s)" in result.stderr


def test_grants_parse_on_a_call_page() -> None:
    args = [
        "parse",
        "pl_ncn",
        str(OWN / "call_opus29.html"),
        "--callback",
        "parse_call",
    ]
    args += ["--url", CALLS + "opus29", "--now", "2025-07-01"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(x) for x in result.stdout.splitlines()]
    assert line == {**FIRST_CALL, "source_status": None, "listing_hash": None}


def test_demo_pages_stay_open_until_2027() -> None:
    spider = _spider()
    spider.today = date(2026, 11, 26)
    seed = DEMO / "finansowanie-nauki" / "konkursy" / "harmonogram"
    results = _listing(spider, seed)
    requests = _requests(results)
    assert [r.cb_kwargs["slug"] for r in requests] == [
        "opus31",
        "preludium25",
        "sonata-bis16",
    ]
    assert [c.source_id for c in _calls(results)] == ["maestro19"]
    now = datetime(2026, 11, 26, tzinfo=UTC)
    for request in requests:
        (call,) = _follow(
            spider,
            request,
            DEMO / "ogloszenia" / "konkursy" / request.cb_kwargs["slug"],
        )
        validate_item(call)
        assert call.problems == []
        assert call.budget_amount is not None
        assert call.applicant_types
        assert [d.at.year for d in call.deadlines] == [2027]
        assert normalize_item(call, now=now).status is CallStatus.OPEN
    assert problem_count(spider, "pl_ncn/listing_date_unreadable") == 0
