"""The replay middleware: a unit, and real crawls against the local replay server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from spiders.middlewares import (
    ORIGINAL_URL,
    ReplayMiddleware,
    original_url_for,
    replay_url_for,
    stays_local,
)
from tests.conftest import FIXTURES, ROOT
from tracker.cli.parse import project_settings
from tracker.demo.replay import ReplayServer

REPLAY = "http://127.0.0.1:8765"
# After RobotsTxtMiddleware (100): robots.txt is checked for the real hosts;
# before DownloaderStats (850): each page is counted once.
PRIORITY = 800
FUNDER = "www.example-funder.pl"


def _middleware(url: str = REPLAY, **settings: Any) -> ReplayMiddleware:
    crawler = get_crawler(settings_dict={"GRANTS_REPLAY_URL": url, **settings})
    return ReplayMiddleware.from_crawler(crawler)


# --- the unit --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.gov.pl/web/ncbr", f"{REPLAY}/www.gov.pl/web/ncbr"),
        (
            "https://www.gov.pl/api/data/competition-search?type=NCBR&page=0",
            f"{REPLAY}/www.gov.pl/api/data/competition-search?type=NCBR&page=0",
        ),
        ("http://NCN.gov.pl", f"{REPLAY}/ncn.gov.pl/"),
        ("https://interreg-baltic.eu/feed/", f"{REPLAY}/interreg-baltic.eu/feed/"),
        ("https://h.example/a#frag", f"{REPLAY}/h.example/a"),
    ],
)
def test_replay_url_keeps_host_path_and_query(url: str, expected: str) -> None:
    assert replay_url_for(REPLAY + "/", url) == expected


def test_original_url_is_the_reverse() -> None:
    replayed = f"{REPLAY}/www.gov.pl/web/ncbr?page=2"
    assert original_url_for(REPLAY, replayed) == "https://www.gov.pl/web/ncbr?page=2"
    assert original_url_for(REPLAY, replayed, "http").startswith("http://www.gov.pl/")
    assert original_url_for(REPLAY, "https://www.gov.pl/web/ncbr") is None


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("https://www.gov.pl/", False),
        ("http://127.0.0.1:9000/x", True),
        ("http://127.5.0.1/x", True),
        ("http://[::1]:9000/x", True),
        ("http://localhost/x", True),
        ("data:,hello", True),
        ("file:///tmp/page.html", True),
    ],
)
def test_only_remote_http_is_replayed(url: str, local: bool) -> None:
    assert stays_local(url) is local


def test_unset_setting_is_a_no_op() -> None:
    middleware = _middleware("")
    request = Request("https://www.gov.pl/web/ncbr", meta={"a": 1})
    assert middleware.process_request(request) is None
    response = HtmlResponse(request.url, body=b"<p>x</p>", request=request)
    assert middleware.process_response(request, response) is response


def test_request_is_rewritten_with_everything_kept() -> None:
    request = Request(
        "https://www.gov.pl/api/search?page=2",
        method="POST",
        body=b'{"q": 1}',
        headers={"Content-Type": "application/json", "X-Test": "yes"},
        meta={"page": 2},
        cb_kwargs={"hint": "h"},
        priority=7,
        dont_filter=True,
    )
    replayed = _middleware().process_request(request)
    assert isinstance(replayed, Request)
    assert replayed.url == f"{REPLAY}/www.gov.pl/api/search?page=2"
    assert (replayed.method, replayed.body) == ("POST", b'{"q": 1}')
    assert replayed.headers[b"X-Test"] == b"yes"
    assert replayed.headers[b"Content-Type"] == b"application/json"
    assert (replayed.cb_kwargs, replayed.priority, replayed.dont_filter) == (
        {"hint": "h"},
        7,
        True,
    )
    assert replayed.meta["page"] == 2
    assert replayed.meta[ORIGINAL_URL] == request.url
    assert replayed.meta["allow_offsite"] is True


def test_requests_to_the_replay_server_or_loopback_pass_through() -> None:
    middleware = _middleware()
    assert middleware.process_request(Request(f"{REPLAY}/www.gov.pl/x")) is None
    assert middleware.process_request(Request("http://127.0.0.1:1/api")) is None


def test_response_comes_back_under_the_original_url() -> None:
    middleware = _middleware()
    original = Request("https://www.gov.pl/web/ncbr/a?x=1", meta={"page": 3})
    replayed = middleware.process_request(original)
    assert isinstance(replayed, Request)
    served = HtmlResponse(replayed.url, body=b"<a href='b'>b</a>", request=replayed)
    response = middleware.process_response(replayed, served)
    assert response.url == original.url
    assert response.request is not None and response.request.url == original.url
    assert response.meta["page"] == 3
    assert response.urljoin("b") == "https://www.gov.pl/web/ncbr/b"


def test_a_replayed_redirect_points_at_the_real_site() -> None:
    middleware = _middleware()
    replayed = middleware.process_request(Request("https://www.gov.pl/web/old"))
    assert isinstance(replayed, Request)
    for location, expected in [
        ("/www.gov.pl/web/new", "https://www.gov.pl/web/new"),
        (f"{REPLAY}/ncn.gov.pl/x", "https://ncn.gov.pl/x"),
    ]:
        served = HtmlResponse(
            replayed.url, status=301, headers={"Location": location}, request=replayed
        )
        response = middleware.process_response(replayed, served)
        assert response.headers[b"Location"].decode() == expected


def test_placed_before_the_robots_check_it_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="after RobotsTxtMiddleware"):
        _middleware(
            ROBOTSTXT_OBEY=True,
            DOWNLOADER_MIDDLEWARES={"spiders.middlewares.ReplayMiddleware": 50},
        )
    # Inert in production, wherever it sits.
    _middleware(
        "",
        ROBOTSTXT_OBEY=True,
        DOWNLOADER_MIDDLEWARES={"spiders.middlewares.ReplayMiddleware": 50},
    )


def test_project_settings_place_it_after_the_robots_check() -> None:
    settings = project_settings()
    middlewares = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    priorities = {str(key): value for key, value in middlewares.items()}
    robots = priorities["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"]
    stats = priorities["scrapy.downloadermiddlewares.stats.DownloaderStats"]
    assert robots < priorities["spiders.middlewares.ReplayMiddleware"] < stats
    assert settings["GRANTS_REPLAY_URL"] == ""  # inert unless the demo sets it


# --- real crawls in a subprocess ----------------------------------------------------

CRAWL = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

replay, out, which, priority = sys.argv[1:5]


class Probe(scrapy.Spider):
    name = "probe"
    allowed_domains = ["www.example-funder.pl"]
    start_urls = ["https://www.example-funder.pl/nabory/?status=open"]

    def parse(self, response):
        yield self.seen(response)
        yield from response.follow_all(css="a", callback=self.parse_detail)

    def parse_detail(self, response):
        yield self.seen(response)

    def seen(self, response):
        return {
            "url": response.url,
            "request_url": response.request.url,
            "original_meta": response.meta.get("replay_original_url"),
            "content_type": response.headers.get("Content-Type").decode(),
            "title": response.css("title::text").get(),
        }


settings = {
    "GRANTS_REPLAY_URL": replay,
    "ROBOTSTXT_OBEY": True,
    "DOWNLOADER_MIDDLEWARES": {"spiders.middlewares.ReplayMiddleware": int(priority)},
    "FEEDS": {out: {"format": "jsonlines"}},
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
}
if which == "probe":
    process = CrawlerProcess(settings)
    process.crawl(Probe)
else:
    from spiders.sources.feed import FeedSpider

    settings["ITEM_PIPELINES"] = {
        "spiders.pipelines.ValidatePipeline": 100,
        "spiders.pipelines.NormalizePipeline": 200,
    }
    process = CrawlerProcess(settings)
    process.crawl(FeedSpider, source=which)
process.start()
"""


def _page(title: str, *links: str) -> str:
    anchors = "".join(f'<a href="{href}">{href}</a>' for href in links)
    return f"<html><head><title>{title}</title></head><body>{anchors}</body></html>"


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _crawl(tmp_path: Path, which: str) -> tuple[list[dict[str, Any]], ReplayServer]:
    script, out = tmp_path / "crawl.py", tmp_path / "items.jsonl"
    script.write_text(CRAWL, encoding="utf-8")
    with ReplayServer(sites_dir=tmp_path / "sites") as server:
        done = subprocess.run(
            [sys.executable, str(script), server.url, str(out), which, str(PRIORITY)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = out.read_text("utf-8").splitlines() if out.exists() else []
    return [json.loads(line) for line in lines], server


def test_a_crawl_sees_real_urls_and_asks_the_replay_for_robots_txt(
    tmp_path: Path,
) -> None:
    sites = tmp_path / "sites" / FUNDER
    _write(sites, "robots.txt", "User-agent: *\nDisallow: /private/\n")
    listing = _page(
        "Nabory",
        "konkurs-1",  # relative to /nabory/
        f"https://{FUNDER}/nabory/konkurs-2.html",
        "/private/secret",  # robots.txt of the real host forbids it
        "https://other.example.org/about",  # offsite for the spider
    )
    _write(sites, "nabory/index.html__status-open", listing)
    _write(sites, "nabory/konkurs-1", _page("Konkurs 1"))
    _write(sites, "nabory/konkurs-2.html", _page("Konkurs 2"))
    _write(sites, "private/secret", _page("Secret"))

    items, server = _crawl(tmp_path, "probe")

    by_title = {item["title"]: item for item in items}
    assert set(by_title) == {"Nabory", "Konkurs 1", "Konkurs 2"}
    assert by_title["Nabory"]["url"] == f"https://{FUNDER}/nabory/?status=open"
    assert by_title["Konkurs 1"]["url"] == f"https://{FUNDER}/nabory/konkurs-1"
    for item in items:
        assert item["request_url"] == item["url"] == item["original_meta"]
        assert item["content_type"] == "text/html; charset=utf-8"
    asked = [(method, path) for method, path, _ in server.requests]
    assert ("GET", f"/{FUNDER}/robots.txt") in asked
    assert ("GET", "/robots.txt") not in asked  # never the replay server's own
    assert not any("private" in path or "other.example" in path for _, path in asked)
    assert ("GET", f"/{FUNDER}/nabory/?status=open") in asked


def test_the_feed_spider_crawls_through_the_replay(tmp_path: Path) -> None:
    atom = (FIXTURES / "feed" / "interreg_baltic_atom.xml").read_text("utf-8")
    _write(tmp_path / "sites", "interreg-baltic.eu/feed/index.html", atom)

    calls, server = _crawl(tmp_path, "eu_interreg_baltic")

    assert [c["title"] for c in calls] == [
        "Fourth call for small projects opens – deadline 30 April 2027",
        "Call for project platforms on circular bioeconomy",
    ]
    assert all(c["url"].startswith("https://interreg-baltic.eu/news/") for c in calls)
    assert all(c["source"] == "eu_interreg_baltic" for c in calls)
    asked = {(path, status) for _, path, status in server.requests}
    assert ("/interreg-baltic.eu/robots.txt", 404) in asked
    assert ("/interreg-baltic.eu/feed/", 200) in asked
