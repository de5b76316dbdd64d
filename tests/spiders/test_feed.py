"""The generic feed spider: our RSS and Atom fixtures, the feeds file, grants parse."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import scrapy
from click.testing import CliRunner
from scrapy.http import Request, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.internet import error as net_error
from twisted.python.failure import Failure

from spiders.items import CallSeen, FundingCall, call_to_json
from spiders.pipelines import normalize_item, validate_item
from spiders.sources import _feed_fields as fields
from spiders.sources.feed import (
    FEEDS_FILE,
    FeedConfigError,
    FeedSource,
    FeedSpider,
    configured_feeds,
)
from tests.conftest import FIXTURES
from tracker.cli import cli
from tracker.tagging import DOMAINS
from tracker.vocab import CallStatus, DatePrecision, Domain

OWN = FIXTURES / "feed"
RSS = OWN / "ncn_rss.xml"
ATOM = OWN / "interreg_baltic_atom.xml"
NCN_URL = "https://ncn.gov.pl/rss.xml"
INTERREG_URL = "https://interreg-baltic.eu/feed/"
NOW = datetime(2027, 3, 20, tzinfo=UTC)
WARSAW = ZoneInfo("Europe/Warsaw")


def _spider(source: str | None = None, feeds_file: Path | None = None) -> FeedSpider:
    kwargs: dict[str, Any] = {"source": source} if source else {}
    if feeds_file is not None:
        kwargs["feeds_file"] = str(feeds_file)
    return FeedSpider.from_crawler(get_crawler(FeedSpider), **kwargs)


def _response(body: bytes, url: str) -> XmlResponse:
    return XmlResponse(url, body=body, request=Request(url))


def _parse(spider: FeedSpider, path: Path, url: str) -> list[Any]:
    return list(spider.parse(_response(path.read_bytes(), url)))


def _ncn(spider: FeedSpider | None = None) -> list[Any]:
    return _parse(spider or _spider("pl_ncn_feed"), RSS, NCN_URL)


def _interreg(spider: FeedSpider | None = None) -> list[Any]:
    return _parse(spider or _spider("eu_interreg_baltic"), ATOM, INTERREG_URL)


def _stat(spider: FeedSpider, key: str) -> int:
    assert spider.crawler.stats is not None
    return spider.crawler.stats.get_value(key, 0)


# --- RSS 2.0 (NCN, Drupal) ------------------------------------------------------------

FIRST_NCN = {
    "source": "pl_ncn_feed",
    "source_id": "2845 at https://ncn.gov.pl",
    "title": "Konkurs OPUS 30 – ogłoszenie",
    "url": "https://ncn.gov.pl/aktualnosci/2027-03-15-konkurs-opus-30",
    "funder": "Narodowe Centrum Nauki",
    "language": "pl",
    "programme": None,
    "call_identifier": None,
    "opening_date": None,  # the entry's publication is no opening
    "opening_precision": "day",
    "deadlines": [
        {"at": "2027-06-15T16:00:00+02:00", "label": None, "precision": "datetime"}
    ],
    "budget_amount": "300000000",
    "budget_currency": "PLN",
    "description": "Narodowe Centrum Nauki ogłasza konkurs OPUS 30 na projekty "
    "badawcze, także realizowane we współpracy z partnerami zagranicznymi (w tym "
    "w formule Weave). Budżet konkursu wynosi 300 mln zł.\n\n"
    "Termin składania wniosków upływa 15 czerwca 2027 r. o godz. 16:00. Wnioski "
    "należy składać w systemie OSF.",
    "applicant_types": [],
    "instrument": "grant",
    "source_status": None,
    "status": None,
    "keywords": ["Konkursy", "OPUS"],
    "programme_codes": [],
    "problems": [],
    "listing_hash": None,  # compared apart: a digest
}


def test_rss_gives_the_calls_and_skips_news_results_and_broken_entries() -> None:
    spider = _spider("pl_ncn_feed")
    calls = _ncn(spider)
    assert [c.title for c in calls] == [
        "Konkurs OPUS 30 – ogłoszenie",
        "Nabór wniosków w konkursie SONATA BIS 17",
        "Konkurs MAESTRO 17 zostanie ogłoszony 15 września 2027 r.",
    ]
    first = call_to_json(calls[0])
    assert len(str(first.pop("listing_hash"))) == 64
    assert first == {k: v for k, v in FIRST_NCN.items() if k != "listing_hash"}
    # The council meeting has no include word; the results have an exclude word.
    assert _stat(spider, "grants/feed/not_a_call") == 2
    # "Zmiana regulaminu konkursu MINIATURA 11" has neither link nor permalink.
    assert _stat(spider, "grants/problems/feed/entry_without_link") == 1
    assert _stat(spider, "grants/problems") == 1


def test_rss_range_relative_link_and_undated_announcement() -> None:
    _, sonata, maestro = _ncn()
    assert sonata.url == "https://ncn.gov.pl/aktualnosci/2027-03-08-nabor-sonata-bis-17"
    # "od dnia 16 czerwca ... do dnia 15 września 2027 r. do godziny 16:00"
    assert [(d.at, d.precision) for d in sonata.deadlines] == [
        (datetime(2027, 9, 15, 16, tzinfo=WARSAW), DatePrecision.DATETIME)
    ]
    assert sonata.description is not None
    assert "\n\n- naukowcy posiadający stopień doktora" in sonata.description
    # "zostanie ogłoszony 15 września 2027 r." names no deadline.
    assert maestro.deadlines == []
    assert maestro.keywords == []


# --- Atom (Interreg Baltic Sea Region, WordPress) -------------------------------------


def test_atom_gives_the_calls_with_default_tags_as_keywords() -> None:
    spider = _spider("eu_interreg_baltic")
    small, platforms = _interreg(spider)
    # An HTML title (&#8211;) becomes text.
    assert (
        small.title == "Fourth call for small projects opens – deadline 30 April 2027"
    )
    assert small.source_id == "https://interreg-baltic.eu/?p=31245"
    assert (
        small.url
        == "https://interreg-baltic.eu/news/fourth-call-for-small-projects-opens/"
    )
    assert (small.funder, small.language) == (
        "Program Interreg Region Morza Bałtyckiego",
        "en",
    )
    # "deadline 30 April 2027" (title) and "closes on 30 April 2027 at 12:00": one.
    assert [(d.at, d.precision) for d in small.deadlines] == [
        (datetime(2027, 4, 30, 12, tzinfo=WARSAW), DatePrecision.DATETIME)
    ]
    assert (small.budget_amount, small.budget_currency) == (6_000_000, "EUR")
    assert small.keywords == ["Calls", "Small projects", "environment"]
    assert small.description is not None and small.description.endswith("[…]")
    # The deadline is only in the full content, not in the summary.
    assert platforms.deadlines[0].at == datetime(2027, 9, 15, 23, 59, 59, tzinfo=WARSAW)
    assert platforms.deadlines[0].precision is DatePrecision.DAY
    assert "until" not in (platforms.description or "")
    assert _stat(spider, "grants/feed/not_a_call") == 2  # news; "Results of ..."
    # An Atom entry without a link: its id is no page, even when it is a URL.
    assert _stat(spider, "grants/problems/feed/entry_without_link") == 1


def _all_calls() -> list[FundingCall]:
    return [*_ncn(), *_interreg()]


def test_invariants_over_all_calls() -> None:
    calls = _all_calls()
    assert len(calls) == 5
    assert len({(c.source, c.source_id) for c in calls}) == len(calls)
    for call in calls:
        validate_item(call)
        assert call.url.startswith("https://")
        assert call.opening_date is None
        assert all(d.at.tzinfo is not None for d in call.deadlines)
        assert call.listing_hash is not None
        normalize_item(call, now=NOW)
        assert call.status in set(CallStatus)


def test_status_comes_from_the_deadlines() -> None:
    opus = normalize_item(_ncn()[0], now=NOW)
    assert opus.status is CallStatus.OPEN
    after = datetime(2027, 6, 16, tzinfo=UTC)
    assert normalize_item(_ncn()[0], now=after).status is CallStatus.CLOSED


def test_unchanged_entries_are_only_seen() -> None:
    first = _ncn()[0]
    spider = _spider("pl_ncn_feed")
    assert first.listing_hash is not None
    spider.known_listings = {first.source_id: first.listing_hash, "2839 x": "old"}
    results = _ncn(spider)
    assert results[0] == CallSeen("pl_ncn_feed", "2845 at https://ncn.gov.pl")
    assert [type(r) for r in results[1:]] == [FundingCall, FundingCall]


def test_a_changed_entry_is_parsed_again() -> None:
    first = _ncn()[0]
    spider = _spider("pl_ncn_feed")
    assert first.listing_hash is not None
    spider.known_listings = {first.source_id: first.listing_hash}
    body = RSS.read_bytes().replace(b"300 mln", b"320 mln")
    (changed, *_) = spider.parse(_response(body, NCN_URL))
    assert isinstance(changed, FundingCall)
    assert changed.budget_amount == 320_000_000


# --- broken feeds and entries ---------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><p>Strona nie istnieje</p></body></html>",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>NCN',
        b"",
        b'{"items": []}',
    ],
)
def test_a_page_that_is_no_feed_fails_loudly(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"pl_ncn_feed: .* is no RSS/Atom feed"):
        list(_spider("pl_ncn_feed").parse(_response(body, NCN_URL)))


def test_an_empty_but_valid_feed_has_no_calls() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>NCN</title>'
    body += b"</channel></rss>"
    assert list(_spider("pl_ncn_feed").parse(_response(body, NCN_URL))) == []


def test_a_malformed_feed_with_entries_is_parsed_and_counted() -> None:
    spider = _spider("pl_ncn_feed")
    body = RSS.read_bytes().replace(b"Posiedzenie Rady NCN", b"Rada & Zarz\xc4\x85d")
    calls = list(spider.parse(_response(body, NCN_URL)))
    assert len(calls) == 3
    assert _stat(spider, "grants/problems/feed/malformed_feed") == 1


def test_an_entry_without_title_is_skipped_and_counted() -> None:
    spider = _spider("eu_interreg_baltic")
    body = ATOM.read_bytes().replace(
        b"<![CDATA[Call for project platforms on circular bioeconomy]]>", b""
    )
    calls = list(spider.parse(_response(body, INTERREG_URL)))
    assert [c.source_id for c in calls] == ["https://interreg-baltic.eu/?p=31245"]
    assert _stat(spider, "grants/problems/feed/entry_without_title") == 1


# --- choosing the feed ----------------------------------------------------------------


def test_start_requests_the_chosen_feed() -> None:
    async def first() -> list[scrapy.Request]:
        return [r async for r in _spider("eu_interreg_baltic").start()]

    (request,) = asyncio.run(first())
    assert request.url == INTERREG_URL
    assert b"application/atom+xml" in request.headers[b"Accept"]


def test_a_feed_that_cannot_be_fetched_fails_the_crawl() -> None:
    spider = _spider("pl_ncn_feed")
    gone = XmlResponse(NCN_URL, status=404, body=b"", request=Request(NCN_URL))
    with pytest.raises(ValueError, match=r"pl_ncn_feed: cannot fetch .*: HTTP 404"):
        spider.failed(Failure(HttpError(gone)))
    with pytest.raises(ValueError, match="Connection was refused"):
        spider.failed(Failure(net_error.ConnectionRefusedError()))


def test_the_instance_describes_its_source() -> None:
    spider = _spider("pl_ncn_feed")
    assert (spider.name, spider.source_slug) == ("feed", "pl_ncn_feed")
    assert spider.source_name == "Narodowe Centrum Nauki: aktualności (RSS)"
    assert (spider.funder, spider.source_url) == ("Narodowe Centrum Nauki", NCN_URL)
    assert spider.language == "pl"
    assert FeedSpider.source_url == ""  # the class serves no feed by itself


def test_without_a_source_the_spider_says_which_exist() -> None:
    spider = _spider()
    message = r"source=<slug>; configured: eu_interreg_baltic, pl_ncn_feed"
    with pytest.raises(ValueError, match=message):
        _ = spider.source_slug

    async def first() -> list[scrapy.Request]:
        return [r async for r in spider.start()]

    with pytest.raises(ValueError, match=message):
        asyncio.run(first())


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown feed source 'pl_nope'; configured"):
        _spider("pl_nope")


def test_without_a_source_the_feed_is_found_by_its_url() -> None:
    spider = _spider()
    calls = _parse(spider, RSS, NCN_URL)
    assert spider.source_slug == "pl_ncn_feed"
    assert {c.source for c in calls} == {"pl_ncn_feed"}
    with pytest.raises(ValueError, match="no configured feed url"):
        _parse(_spider(), RSS, "https://ncn.gov.pl/en/rss.xml")


# --- grants parse ---------------------------------------------------------------------


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["parse", "feed", *args], catch_exceptions=False)


def test_grants_parse_finds_the_feed_by_url() -> None:
    result = _invoke(str(RSS), "--url", NCN_URL, "--now", "2027-03-20")
    assert result.exit_code == 0, result.output
    calls = [json.loads(line) for line in result.stdout.splitlines()]
    assert [c["source_id"] for c in calls] == [
        "2845 at https://ncn.gov.pl",
        "2839 at https://ncn.gov.pl",
        "2836 at https://ncn.gov.pl",
    ]
    assert calls[0]["source"] == "pl_ncn_feed"
    assert calls[0]["deadlines"][0]["at"] == "2027-06-15T16:00:00+02:00"
    assert calls[0]["status"] == "open"


def test_grants_parse_tags_include_the_default_tags() -> None:
    result = _invoke(str(ATOM), "--url", INTERREG_URL, "--tags")
    assert result.exit_code == 0, result.output
    tags = [
        {t["tag"] for t in json.loads(line)["tags"]} & DOMAINS
        for line in result.stdout.splitlines()
    ]
    assert tags == [{"environment"}, {"bioeconomy", "environment"}]


def test_grants_parse_without_a_feed_url_says_what_to_give() -> None:
    result = CliRunner().invoke(cli, ["parse", "feed", str(RSS)])
    assert result.exit_code != 0
    assert "no configured feed url" in result.output
    assert "pl_ncn_feed" in result.output


# --- the feeds file -------------------------------------------------------------------


def test_the_shipped_feeds_file_is_valid_and_says_what_is_verified() -> None:
    feeds = configured_feeds()
    assert [f.slug for f in feeds] == ["eu_interreg_baltic", "pl_ncn_feed"]
    assert feeds[0] == FeedSource(
        slug="eu_interreg_baltic",
        name="Interreg Baltic Sea Region: news and calls (RSS)",
        url=INTERREG_URL,
        funder="Program Interreg Region Morza Bałtyckiego",
        language="en",
        default_tags=(Domain.ENVIRONMENT,),
        include=("call", "small projects", "core projects"),
        exclude=("results", "approved projects"),
    )
    text = FEEDS_FILE.read_text("utf-8")
    marks = Counter(
        line.split(":")[0] for line in text.splitlines() if line.startswith("# ")
    )
    assert marks["# Verified by a peer"] + marks["# Unverified"] == len(feeds)


GOOD = """
[[feed]]
slug = "pl_test_feed"
name = "Test"
url = "https://example.org/feed/"
funder = "Fundacja Testowa"
language = "pl"
default_tags = ["health", "biotech"]
include = ["nabór"]
"""


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_table_is_enough(tmp_path: Path) -> None:
    text = '[[feed]]\nslug = "eu_x"\nname = "X"\nurl = "http://x.example/rss"\n'
    text += 'funder = "X"\nlanguage = "en"\n'
    (feed,) = configured_feeds(_config(tmp_path, text))
    assert (feed.default_tags, feed.include, feed.timezone) == ((), (), "Europe/Warsaw")
    (good,) = configured_feeds(_config(tmp_path, GOOD))
    assert good.default_tags == (Domain.HEALTH, Domain.BIOTECH)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '"health", "biotech"',
            '"health", "medtech"',
            r"unknown tag medtech \(known: biotech",
        ),
        (
            'url = "https://example.org/feed/"\n',
            "",
            r"feed #1 \(pl_test_feed\): missing url",
        ),
        ('url = "https://example.org/feed/"', 'url = "/feed/"', "absolute http"),
        ('language = "pl"', 'language = "de"', "language must be pl or en"),
        ('include = ["nabór"]', 'includes = ["nabór"]', "unknown key includes"),
        ('include = ["nabór"]', 'include = "nabór"', "include must be a list"),
        ('slug = "pl_test_feed"', 'slug = "Test Feed"', "slug must look like"),
        ('slug = "pl_test_feed"', 'slug = "eu_ft_portal"', "already a spider's name"),
        ('slug = "pl_test_feed"', 'slug = "feed"', "slug must look like"),
        ('language = "pl"', 'language = "pl"\ntimezone = "Mars/Olympus"', "timezone"),
        ('name = "Test"', "name = 3", "missing name"),
    ],
)
def test_config_errors_say_where_and_why(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in GOOD
    with pytest.raises(FeedConfigError, match=message):
        configured_feeds(_config(tmp_path, GOOD.replace(old, new)))


def test_duplicate_slugs_and_urls_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FeedConfigError, match="duplicate slug: pl_test_feed"):
        configured_feeds(_config(tmp_path, GOOD + GOOD))
    other = GOOD.replace("pl_test_feed", "pl_test_other")
    with pytest.raises(FeedConfigError, match=r"duplicate url: https://example\.org"):
        configured_feeds(_config(tmp_path, GOOD + other))


@pytest.mark.parametrize(
    "text", ["[feed]\nslug = 1\n", "[[feed]]\nslug = 'x'\n[other]\n", "[[feed]\n"]
)
def test_a_file_that_is_no_feeds_file_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(FeedConfigError, match=r"feeds\.toml"):
        configured_feeds(_config(tmp_path, text))


def test_the_spider_reads_another_feeds_file(tmp_path: Path) -> None:
    spider = _spider("pl_test_feed", _config(tmp_path, GOOD))
    assert spider.source_url == "https://example.org/feed/"
    with pytest.raises(FeedConfigError, match="unknown tag"):
        _spider(None, _config(tmp_path, GOOD.replace("health", "wellness")))


# --- field helpers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Termin składania wniosków upływa 17 czerwca 2027 r.", "pl", "2027-06-17 day"),
        (
            "Nabór wniosków potrwa do 16 września 2027 r. do godziny 14:00.",
            "pl",
            "2027-09-16T14:00 datetime",
        ),
        ("Wnioski przyjmujemy do dnia 31.05.2027 r.", "pl", "2027-05-31 day"),
        (
            "Termin składania wniosków: 1 marca – 31 maja 2027 r.",
            "pl",
            "2027-05-31 day",
        ),
        (
            "Nabór trwa od dnia 02.04.2027 r. do dnia 31.05.2027 r.",
            "pl",
            "2027-05-31 day",
        ),
        ("30 kwietnia 2027 r. upływa termin naboru.", "pl", "2027-04-30 day"),
        ("Termin: IV kw. 2027 r.", "pl", "2027-12-31 quarter"),
        (
            "The call closes on 17 June 2027, at 4 p.m.",
            "en",
            "2027-06-17T16:00 datetime",
        ),
        ("Deadline: 31 May 2027; results in September 2027.", "en", "2027-05-31 day"),
        ("Konkurs ogłoszono 15 marca 2027 r.", "pl", None),
        ("Termin rozstrzygnięcia konkursu: 30 listopada 2027 r.", "pl", None),
        ("Termin składania wniosków zostanie podany wkrótce.", "pl", None),
    ],
)
def test_deadlines_only_where_the_text_says_so(
    text: str, lang: str, expected: str | None
) -> None:
    deadlines = fields.parse_deadlines(text, lang, "Europe/Warsaw", date(2027, 3, 1))
    got = [
        f"{d.at:%Y-%m-%dT%H:%M} {d.precision}"
        if d.precision is DatePrecision.DATETIME
        else f"{d.at:%Y-%m-%d} {d.precision}"
        for d in deadlines
    ]
    assert got == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("text", "include", "exclude", "expected"),
    [
        ("Ogłoszenie o NABORZE wniosków", ["nabór"], [], True),
        ("Konkursy NCN", ["konkurs"], [], True),
        ("Rekonkursacja", ["konkurs"], [], False),  # only at a word start
        ("Wyniki konkursu", ["konkurs"], ["wyniki"], False),
        ("Anything", [], [], True),
        ("Anything", [], ["any"], False),
        ("Call for seed money", ["seed money"], [], True),
    ],
)
def test_include_and_exclude_words(
    text: str, include: list[str], exclude: list[str], expected: bool
) -> None:
    assert fields.included(text, include, exclude) is expected


def test_html_text_keeps_paragraphs_and_lists() -> None:
    html = "<p>A &amp; B<br>c</p><ul><li>one</li><li>two</li></ul><p>D</p>"
    assert fields.html_text(html) == "A & B\nc\n\n- one\n- two\n\nD"


@pytest.mark.parametrize(
    ("text", "identifier", "codes"),
    [
        (
            "Nabór nr FENG.01.01-IP.01-003/27 (PARP)",
            "FENG.01.01-IP.01-003/27",
            ["FENG"],
        ),
        ("Konkurs RPLU.01.02.00-IP.01-06-002/20", "RPLU.01.02.00-IP.01-06-002/20", []),
        ("Konkurs ABM/2027/1 na badania kliniczne", "ABM/2027/1", []),
        ("Program FERS, bez numeru", None, ["FERS"]),
    ],
)
def test_call_numbers_and_programme_codes(
    text: str, identifier: str | None, codes: list[str]
) -> None:
    found = fields.parse_call_identifier(text)
    assert found == identifier
    assert fields.parse_programme_codes(text, found) == codes
