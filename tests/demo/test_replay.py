"""The demo replay of the EU portal: request checks like the real API, real shapes."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tracker.demo.replay import (
    DATA_DIR,
    SITES_DIR,
    ReplayServer,
    content_type,
    demo_api_url,
    load_pages,
    site_file,
    site_file_for,
)
from tracker.status import compute_status
from tracker.vocab import CallStatus

ENVELOPE_KEYS = {
    "apiVersion", "terms", "responseTime", "totalResults", "pageNumber", "pageSize",
    "sort", "groupByField", "queryLanguage", "bestBets", "warnings", "results",
}  # fmt: skip
RESULT_KEYS = {
    "apiVersion", "reference", "url", "title", "contentType", "language",
    "databaseLabel", "database", "summary", "weight", "groupById", "content",
    "accessRestriction", "pages", "checksum", "metadata", "children",
}  # fmt: skip
DEADLINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000[+-]\d{4}$")
TODAY = datetime(2026, 11, 26, 12, tzinfo=UTC)

# What the demo is meant to show as of 2026-11-26 (status computed from dates).
INTENDED = {
    "HORIZON-JU-IHI-2026-13-two-stage-03": CallStatus.OPEN,
    "HORIZON-JU-CBE-2026-IAFlag-01": CallStatus.OPEN,
    "HORIZON-EIC-2026-ACCELERATOR-01": CallStatus.OPEN,
    "LIFE-2026-SAP-ENV-ENVIRONMENT": CallStatus.OPEN,
    "HORIZON-EIE-2021-INNOVSMES-01-01": CallStatus.OPEN,
    "HORIZON-CL4-2027-04-DIGITAL-EMERGING-05": CallStatus.OPEN,
    "EDF-2026-DA-GROUND-MBT": CallStatus.OPEN,
    "EU4H-2026-PJ-DEMO-01": CallStatus.OPEN,
    "HORIZON-MISS-2026-02-CANCER-02": CallStatus.CLOSED,
    "HORIZON-HLTH-2027-01-IND-01": CallStatus.FORTHCOMING,
    "HORIZON-CL6-2027-02-FARM2FORK-07": CallStatus.FORTHCOMING,
    "HORIZON-MISS-2027-05-SOIL-05-two-stage": CallStatus.FORTHCOMING,
    "HORIZON-MSCA-2027-DN-01-01": CallStatus.FORTHCOMING,
    "HORIZON-CL5-2027-02-D2-06": CallStatus.FORTHCOMING,
}
EXPIRED_ON_PURPOSE = "HORIZON-MISS-2026-02-CANCER-02"


# --- helpers -----------------------------------------------------------------


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart body; a part with a filename is sent as a JSON file part."""
    boundary = uuid.uuid4().hex
    chunks = []
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}"
        if filename is not None:
            head += f'; filename="{filename}"\r\nContent-Type: application/json'
        chunks.append(head.encode() + b"\r\n\r\n" + value + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _query(query: object = None) -> list[tuple[str, str | None, bytes]]:
    q = query or {"bool": {"must": [{"terms": {"type": ["1", "2", "8"]}}]}}
    return [
        ("query", "blob", json.dumps(q).encode()),
        ("languages", "blob", b'["en"]'),
    ]


def _send(
    url: str, data: bytes | None = None, content_type: str | None = None
) -> tuple[int, Any]:
    # No proxy: an HTTP_PROXY in the environment must not reroute loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


def _search(server: ReplayServer, page: int, size: int = 10, **kw: Any) -> Any:
    body, ctype = _multipart(kw.get("parts") or _query())
    url = f"{demo_api_url(server)}&pageNumber={page}&pageSize={size}"
    return _send(url, body, ctype)


def _rows() -> list[dict[str, Any]]:
    return [row for page in load_pages() for row in page["results"]]


def _when(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


def _primary_rows() -> Iterator[dict[str, Any]]:
    """The current English SEDIA document of each topic (what the spider keeps)."""
    for row in _rows():
        md = row["metadata"]
        if md.get("DATASOURCE") == ["SEDIA"] and md.get("language") == ["en"]:
            yield row


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        yield running


# --- the server ----------------------------------------------------------------


def test_url_is_loopback_and_api_url_is_the_setting_shape(server) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
    assert demo_api_url(server) == (
        f"{server.url}/search-api/prod/rest/search?apiKey=SEDIA&text=***"
    )


def test_pages_of_ten_are_the_demo_files(server) -> None:
    files = load_pages()
    for number, expected in enumerate(files, start=1):
        status, page = _search(server, number)
        assert status == 200
        assert page["pageNumber"] == number
        assert page["results"] == expected["results"]
        assert page["totalResults"] == len(_rows())


def test_page_past_the_end_is_an_empty_envelope(server) -> None:
    status, page = _search(server, 99)
    assert status == 200
    assert page["results"] == []
    assert page["totalResults"] == len(_rows())
    assert set(page) == ENVELOPE_KEYS


def test_page_size_is_honoured_and_capped_at_100(server) -> None:
    _, everything = _search(server, 1, size=10_000)
    assert everything["pageSize"] == 100
    assert everything["results"] == _rows()
    _, small = _search(server, 3, size=4)
    assert small["results"] == _rows()[8:12]


def test_query_as_plain_form_field_is_a_500_throwable(server) -> None:
    parts = [("query", None, b'{"bool":{"must":[]}}')]
    assert _search(server, 1, parts=parts) == (500, {"type": "throwable"})


def test_missing_query_part_or_urlencoded_body_is_a_400(server) -> None:
    status, reply = _search(server, 1, parts=[("languages", "blob", b'["en"]')])
    assert status == 400
    assert reply["type"] == "businessError"
    url = f"{demo_api_url(server)}&pageNumber=1&pageSize=10"
    status, _ = _send(url, b"query=%7B%7D", "application/x-www-form-urlencoded")
    assert status == 400


def test_unsupported_query_operators_are_rejected_like_the_real_api(server) -> None:
    wildcard = {"bool": {"must": [{"wildcard": {"identifier": "HORIZON-*"}}]}}
    status, reply = _search(server, 1, parts=_query(wildcard))
    assert (status, reply["message"]) == (400, "Invalid Query format")
    broken = [("query", "blob", b'{"bool": ')]
    assert _search(server, 1, parts=broken)[0] == 400


def test_get_robots_and_unknown_paths(server) -> None:
    assert _send(f"{server.url}/robots.txt")[0] == 404
    assert _send(f"{server.url}/search-api/prod/rest/facet")[0] == 404
    assert _send(demo_api_url(server))[0] == 405  # the real API refuses GET


def test_requests_are_recorded(server) -> None:
    before = len(server.requests)
    _send(f"{server.url}/robots.txt")
    assert server.requests[before:] == [("GET", "/robots.txt", 404)]


def test_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        _ = ReplayServer().url


# --- the demo data ---------------------------------------------------------------


def test_pages_are_real_envelopes_with_consistent_totals() -> None:
    pages = load_pages()
    assert [p.name for p in sorted(DATA_DIR.glob("page_*.json"))] == [
        "page_1.json",
        "page_2.json",
    ]
    total = sum(len(p["results"]) for p in pages)
    for number, page in enumerate(pages, start=1):
        assert set(page) == ENVELOPE_KEYS
        assert page["pageNumber"] == number
        assert page["totalResults"] == total  # every row counts, duplicates too
        assert len(page["results"]) <= page["pageSize"]


def test_every_result_has_the_real_shape_and_list_metadata() -> None:
    for row in _rows():
        missing = RESULT_KEYS - set(row)
        # Legacy SEDIA_PRD_CENTRICITY rows come without `database` in the capture.
        if row["databaseLabel"] == "":
            missing.discard("database")
        assert not missing, (row["reference"], missing)
        assert isinstance(row["metadata"], dict)
        for key, value in row["metadata"].items():
            assert isinstance(value, list), (row["reference"], key)


def test_actions_and_budget_overview_are_json_strings() -> None:
    parsed = 0
    for row in _rows():
        md = row["metadata"]
        ident = md["identifier"][0]
        if "actions" in md:
            (actions,) = md["actions"]
            assert isinstance(actions, str)
            for action in json.loads(actions):
                assert {"types", "status", "plannedOpeningDate"} <= set(action)
                assert {"submissionProcedure", "deadlineDates"} <= set(action)
        if "budgetOverview" in md:
            (budget,) = md["budgetOverview"]
            assert isinstance(budget, str)
            entries = [
                entry
                for per_action in json.loads(budget)["budgetTopicActionMap"].values()
                for entry in per_action
            ]
            assert any(e["action"].startswith(f"{ident} - ") for e in entries)
            parsed += 1
    assert parsed >= 12


def test_deadlines_use_the_api_date_format() -> None:
    for row in _rows():
        for value in row["metadata"].get("deadlineDate", []):
            assert DEADLINE.match(value), value


def test_identifiers_and_traps_are_as_intended() -> None:
    rows = _rows()
    identifiers = Counter(r["metadata"]["identifier"][0] for r in rows)
    assert set(identifiers) == set(INTENDED)
    datasources = Counter(tuple(r["metadata"].get("DATASOURCE", [])) for r in rows)
    assert datasources[("SEDIA_PRD_CENTRICITY",)] == 1
    assert datasources[()] == 1  # the stub: identifier and title only
    stub = next(r for r in rows if "DATASOURCE" not in r["metadata"])
    assert set(stub["metadata"]) == {"identifier", "title"}
    assert [r["reference"] for r in rows if r["language"] == "de"] == [
        "50140171TOPICSde"
    ]
    cascade = [r for r in rows if r["metadata"].get("type") == ["8"]]
    assert [r["reference"] for r in cascade] == ["15342COMPETITIVE_CALLen"]
    assert len(list(_primary_rows())) == len(INTENDED)


def test_deadline_models_include_two_stage_and_multiple_cut_off() -> None:
    counts = {
        r["metadata"]["deadlineModel"][0]: len(r["metadata"]["deadlineDate"])
        for r in _primary_rows()
        if r["metadata"]["deadlineModel"][0] != "single-stage"
    }
    assert counts == {"two-stage": 2, "multiple cut-off": 3}


def _status(row: dict[str, Any], now: datetime) -> CallStatus:
    md = row["metadata"]
    deadlines = [_when(d) for d in md["deadlineDate"]]
    return compute_status(now, _when(md["startDate"][0]), deadlines)


def test_status_from_dates_is_as_intended_on_2026_11_26() -> None:
    statuses = {
        r["metadata"]["identifier"][0]: _status(r, TODAY) for r in _primary_rows()
    }
    assert statuses == INTENDED
    expired = next(
        r
        for r in _primary_rows()
        if r["metadata"]["identifier"] == [EXPIRED_ON_PURPOSE]
    )
    assert expired["metadata"]["status"] == ["31094502"]  # a stale "Open" flag


def test_demo_stays_alive_through_2027_q1_and_has_q1_deadlines() -> None:
    # The demo must keep showing open calls for a long time after it was written.
    new_year = datetime(2027, 1, 1, tzinfo=UTC)
    alive = [
        r for r in _primary_rows() if _status(r, new_year) is not CallStatus.CLOSED
    ]
    assert len(alive) == len(INTENDED) - 1
    q1 = {
        r["metadata"]["identifier"][0]
        for r in _primary_rows()
        for d in r["metadata"]["deadlineDate"]
        if "2027-01" <= d[:7] <= "2027-03"
    }
    assert len(q1) >= 2


# --- replayed sites ----------------------------------------------------------------

ROOT = Path("/sites")
SITE_FILES = {
    "www.gov.pl/api/data/competition-search__type-NCBR_page-0": '{"content": []}',
    "www.gov.pl/web/ncbr/harmonogram-konkursow-2026": "<!DOCTYPE html><p>NCBR</p>",
    "interreg-baltic.eu/feed/index.html": '<?xml version="1.0"?>\n<rss version="2.0">',
    "ncn.gov.pl/rss.xml": '<?xml version="1.0"?><rss version="2.0"></rss>',
    "ncn.gov.pl/index.html": "<html><title>NCN</title></html>",
    "ncn.gov.pl/robots.txt": "User-agent: *\nDisallow: /admin/\n",
    "www.parp.gov.pl/component/grants/grants/ścieżka": "<p>ś</p>",
}


@pytest.mark.parametrize(
    ("host", "path", "query", "expected"),
    [
        (
            "www.gov.pl",
            "/api/data/competition-search",
            "type=NCBR&page=0",
            "www.gov.pl/api/data/competition-search__type-NCBR_page-0",
        ),
        ("ncn.gov.pl", "", "", "ncn.gov.pl/index.html"),
        ("NCN.gov.pl", "/", "", "ncn.gov.pl/index.html"),
        ("h.example", "/feed/", "", "h.example/feed/index.html"),
        ("h.example", "/", "page=2", "h.example/index.html__page-2"),
        ("h.example", "/a/b.json", "", "h.example/a/b.json"),
        ("h.example", "/a", "next=/b&x=1", "h.example/a__next-%2Fb_x-1"),
        ("h.example", "/a%20b/%C5%9Bcie%C5%BCka", "", "h.example/a b/ścieżka"),
    ],
)
def test_site_file_maps_host_path_and_query(
    host: str, path: str, query: str, expected: str
) -> None:
    assert site_file(ROOT, host, path, query) == ROOT / expected


@pytest.mark.parametrize(
    "path", ["/../etc/passwd", "/a/%2e%2e/b", "/a%2Fb", "/a//b", "/a/%00"]
)
def test_site_file_never_leaves_the_root(path: str) -> None:
    assert site_file(ROOT, "h.example", path) is None
    assert site_file(ROOT, "..", "/x") is None


def test_site_file_for_a_real_url() -> None:
    url = "https://www.gov.pl/api/data/competition-search?type=NCBR&page=0"
    assert site_file_for(url) == (
        SITES_DIR / "www.gov.pl/api/data/competition-search__type-NCBR_page-0"
    )
    assert site_file_for("https://h.example/ścieżka?q=zł", ROOT) == (
        ROOT / "h.example" / "ścieżka__q-z%C5%82"
    )


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("page.json", b"", "application/json; charset=utf-8"),
        ("robots.txt", b"", "text/plain; charset=utf-8"),
        ("call.html", b"{", "text/html; charset=utf-8"),
        ("regulamin.pdf", b"%PDF", "application/pdf"),
        ("", b' {"content": []}', "application/json; charset=utf-8"),
        ("competition-search", b"[1]", "application/json; charset=utf-8"),
        (
            "",
            b'\xef\xbb\xbf<?xml version="1.0"?><rss>',
            "application/rss+xml; charset=utf-8",
        ),
        (
            "",
            b"<feed xmlns='http://www.w3.org/2005/Atom'>",
            "application/atom+xml; charset=utf-8",
        ),
        (
            "sitemap",
            b'<?xml version="1.0"?><urlset/>',
            "application/xml; charset=utf-8",
        ),
        ("harmonogram-naborow", b"<!DOCTYPE html>", "text/html; charset=utf-8"),
    ],
)
def test_content_type_from_extension_else_sniffed(
    name: str, body: bytes, expected: str
) -> None:
    assert content_type(name, body) == expected


def _get(url: str) -> tuple[int, str, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    root = tmp_path_factory.mktemp("sites")
    for relative, text in SITE_FILES.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    with ReplayServer(sites_dir=root) as running:
        yield running


@pytest.mark.parametrize(
    ("path", "file", "kind"),
    [
        (
            "/www.gov.pl/api/data/competition-search?type=NCBR&page=0",
            "www.gov.pl/api/data/competition-search__type-NCBR_page-0",
            "application/json",
        ),
        (
            "/www.gov.pl/web/ncbr/harmonogram-konkursow-2026",
            "www.gov.pl/web/ncbr/harmonogram-konkursow-2026",
            "text/html",
        ),
        (
            "/interreg-baltic.eu/feed/",
            "interreg-baltic.eu/feed/index.html",
            "application/rss+xml",
        ),
        ("/ncn.gov.pl/rss.xml", "ncn.gov.pl/rss.xml", "application/xml"),
        ("/ncn.gov.pl", "ncn.gov.pl/index.html", "text/html"),
        ("/ncn.gov.pl/", "ncn.gov.pl/index.html", "text/html"),
        ("/ncn.gov.pl/robots.txt", "ncn.gov.pl/robots.txt", "text/plain"),
        (
            "/www.parp.gov.pl/component/grants/grants/%C5%9Bcie%C5%BCka",
            "www.parp.gov.pl/component/grants/grants/ścieżka",
            "text/html",
        ),
    ],
)
def test_sites_are_served_from_their_files(
    sites: ReplayServer, path: str, file: str, kind: str
) -> None:
    status, ctype, body = _get(sites.url + path)
    assert status == 200
    assert body == SITE_FILES[file].encode("utf-8")
    # text/xml or application/xml for .xml, depending on the platform's table.
    assert ctype.split(";")[0] in (kind, kind.replace("application/", "text/"))
    assert ctype.endswith("; charset=utf-8")
    assert sites.requests[-1] == ("GET", path, 200)


@pytest.mark.parametrize(
    "path",
    [
        "/www.gov.pl/robots.txt",  # no file: everything allowed
        "/www.gov.pl/api/data/competition-search?type=NCBR&page=1",
        "/www.gov.pl/web/ncbr/",
        "/www.gov.pl/web",  # a folder is no page
        "/ncn.gov.pl/../ncn.gov.pl/rss.xml",
        "/ncn.gov.pl/%2e%2e/%2e%2e/replay.py",
        "/",
    ],
)
def test_missing_site_files_are_404(sites: ReplayServer, path: str) -> None:
    assert _get(sites.url + path)[0] == 404


def test_eu_api_also_answers_under_its_host(sites: ReplayServer) -> None:
    url = f"{sites.url}/api.tech.ec.europa.eu/search-api/prod/rest/search"
    body, ctype = _multipart(_query())
    status, page = _send(f"{url}?apiKey=SEDIA&text=***&pageNumber=1", body, ctype)
    assert status == 200
    assert page["results"] == load_pages()[0]["results"]
    assert _send(url)[0] == 405
    assert _get(f"{sites.url}/api.tech.ec.europa.eu/robots.txt")[0] == 404


def test_a_missing_sites_folder_is_only_404s(tmp_path: Path) -> None:
    with ReplayServer(sites_dir=tmp_path / "none") as server:
        assert _get(f"{server.url}/ncn.gov.pl/rss.xml")[0] == 404
