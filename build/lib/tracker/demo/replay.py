"""A local stand-in for the sites the spiders crawl, for the demo and tests.

The EU Funding & Tenders search API: it replays the project's own demo pages
(`data/eu_ft_portal/page_N.json`) and checks requests the way the real API does
where that is documented (`../shared/research/eu-sources.md` §1.1): POST only, a
multipart body whose `query` part is a JSON *file* part. A plain `query` form
field gets the real API's 500 `{"type":"throwable"}`, so a spider that would fail
in production fails here too. Filters inside `query` are not applied: every row
comes back, duplicates and other-language copies included, as with an unfiltered
search. It answers at its own path and at `/api.tech.ec.europa.eu/<its path>`.

Any other site: GET `/<host>/<path>?<query>` serves the file
`data/sites/<host>/<path>` (see `site_file`), so that with the Scrapy setting
`GRANTS_REPLAY_URL` pointing here, `spiders.middlewares.ReplayMiddleware`
replays every crawl. A missing file, robots.txt included, is a 404.

    with ReplayServer() as server:
        settings = replace(settings, EU_FT_API_URL=demo_api_url(server))
        env = {"REPLAY_URL": server.url}
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from w3lib.url import safe_url_string

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data" / "eu_ft_portal"
SITES_DIR = Path(__file__).parent / "data" / "sites"
SEARCH_PATH = "/search-api/prod/rest/search"
SEARCH_HOST = "api.tech.ec.europa.eu"
MAX_PAGE_SIZE = 100  # the real API silently caps pageSize at 100
DEFAULT_PAGE_SIZE = 10
# Query operators the real API accepts; `wildcard` or `match` get a 400.
QUERY_OPERATORS = frozenset(
    {"bool", "must", "should", "must_not", "terms", "term", "range"}
)


def site_file(root: Path, host: str, path: str, query: str = "") -> Path | None:
    """The file that stands for `https://<host><path>?<query>` under `root`.

    `<root>/<host>/<path>`; an empty path or one ending in "/" is `index.html`
    in that folder; a query is appended to the file name as `__` + the query
    with "&" as "_" and "=" as "-" (`?type=NCBR&page=0` -> `__type-NCBR_page-0`).
    Path segments are percent-decoded, the query is kept as sent. None for a
    path that would leave `root` ("..", encoded slashes).
    """
    segments = [unquote(s) for s in path.split("/")[1:]] if path else [""]
    if not segments[-1]:
        segments[-1] = "index.html"
    if query:
        segments[-1] += "__" + query.replace("&", "_").replace("=", "-")
        segments[-1] = segments[-1].replace("/", "%2F")
    parts = [host.lower(), *segments]
    if any(p in ("", ".", "..") or "/" in p or "\\" in p or "\0" in p for p in parts):
        return None
    return root.joinpath(*parts)


def site_file_for(url: str, root: Path = SITES_DIR) -> Path | None:
    """`site_file` for a real URL (as Scrapy sends it): where its demo copy goes."""
    parts = urlsplit(safe_url_string(url))
    return site_file(root, parts.hostname or "", parts.path, parts.query)


def content_type(name: str, body: bytes) -> str:
    """From the extension of the URL's last segment `name`, else sniffed from the
    body (JSON, an RSS/Atom/XML document, or HTML); text in UTF-8."""
    kind = (mimetypes.guess_type(name)[0] if name else None) or _sniff(body)
    textual = kind.startswith("text/") or kind.endswith(("json", "xml"))
    return f"{kind}; charset=utf-8" if textual else kind


def _sniff(body: bytes) -> str:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "application/json"
    if head.startswith((b"<?xml", b"<rss", b"<feed")):
        if b"<rss" in head:
            return "application/rss+xml"
        return "application/atom+xml" if b"<feed" in head else "application/xml"
    return "text/html"


def load_pages(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """The demo pages in page order (page_1.json, page_2.json, ...)."""
    files = sorted(data_dir.glob("page_*.json"), key=lambda p: int(p.stem[5:]))
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


class ReplayServer:
    """The replayed API and sites on 127.0.0.1 at a free port, in a daemon thread."""

    def __init__(self, data_dir: Path = DATA_DIR, sites_dir: Path = SITES_DIR) -> None:
        self.sites_dir = sites_dir
        pages = load_pages(data_dir)
        if not pages:
            raise FileNotFoundError(f"no page_*.json in {data_dir}")
        self.envelope = {k: v for k, v in pages[0].items() if k != "results"}
        self.rows = [row for page in pages for row in page["results"]]
        # (method, path with query, status) of every request, for tests and the demo.
        self.requests: list[tuple[str, str, int]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:54321` (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError("ReplayServer is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        handler = type("Handler", (_Handler,), {"replay": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="eu-ft-replay", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def page(self, number: int, size: int) -> dict[str, Any]:
        """One page as the API returns it; past the end, the envelope and no rows.

        The rows of all demo files are re-sliced by the requested size, so a
        pageSize of 10 gives exactly the files and 100 gives everything at once,
        with `totalResults` counting every row as the real API does.
        """
        size = min(max(size, 1), MAX_PAGE_SIZE)
        start = (max(number, 1) - 1) * size
        return {
            **self.envelope,
            "totalResults": len(self.rows),
            "pageNumber": number,
            "pageSize": size,
            "results": self.rows[start : start + size],
        }


def demo_api_url(server: ReplayServer) -> str:
    """The value for the EU_FT_API_URL setting that points at `server`."""
    return f"{server.url}{SEARCH_PATH}?apiKey=SEDIA&text=***"


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer  # set on the subclass made per server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if _is_search(url.path):
            # The real endpoint answers GET with 405 (viabolat/funding_radar notes).
            self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"type": "methodNotAllowed"})
            return
        host, slash, path = url.path[1:].partition("/")
        file = site_file(self.replay.sites_dir, host, slash + path, url.query)
        if file is None or not file.is_file():
            # robots.txt included: a 404 there means "everything allowed" to Scrapy.
            self._json(HTTPStatus.NOT_FOUND, {"type": "notFound"})
            return
        body = file.read_bytes()
        name = unquote(path.rsplit("/", 1)[-1])
        self._reply(HTTPStatus.OK, body, content_type(name, body))

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        if not _is_search(url.path):
            self._json(HTTPStatus.NOT_FOUND, {"type": "notFound"})
            return
        problem = _check_query(self.headers.get("Content-Type", ""), body)
        if problem is not None:
            status, reply = problem
            self._json(status, reply)
            return
        params = parse_qs(url.query)
        number = _int_param(params, "pageNumber", 1)
        size = _int_param(params, "pageSize", DEFAULT_PAGE_SIZE)
        self._json(HTTPStatus.OK, self.replay.page(number, size))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self, status: HTTPStatus, payload: object) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._reply(status, data, "application/json;charset=UTF-8")

    def _reply(self, status: HTTPStatus, data: bytes, content_type: str) -> None:
        self.replay.requests.append((self.command, self.path, int(status)))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes every request to stderr, which would litter the demo.
        log.debug("%s " + format, self.address_string(), *args)


def _is_search(path: str) -> bool:
    """The search API's path, as called directly or through the site replay."""
    return path in (SEARCH_PATH, f"/{SEARCH_HOST}{SEARCH_PATH}")


def _int_param(params: dict[str, list[str]], name: str, default: int) -> int:
    values = params.get(name)
    try:
        return int(values[0]) if values else default
    except ValueError:
        return default


def _check_query(content_type: str, body: bytes) -> tuple[HTTPStatus, object] | None:
    """None if the body carries a usable `query` file part, else the API's reply."""
    if not content_type.lower().startswith("multipart/form-data"):
        return HTTPStatus.BAD_REQUEST, _business_error("multipart/form-data expected")
    parts = _multipart_parts(content_type, body)
    query = parts.get("query")
    if query is None:
        return HTTPStatus.BAD_REQUEST, _business_error("no 'query' part")
    if query.get_filename() is None:
        # What the real API does with `query` sent as a plain form field.
        return HTTPStatus.INTERNAL_SERVER_ERROR, {"type": "throwable"}
    try:
        parsed = json.loads(query.get_content())
    except ValueError:
        return HTTPStatus.BAD_REQUEST, _business_error("Invalid Query format")
    if not _query_ok(parsed):
        return HTTPStatus.BAD_REQUEST, _business_error("Invalid Query format")
    return None


def _business_error(message: str) -> dict[str, str]:
    return {"type": "businessError", "message": message}


def _multipart_parts(content_type: str, body: bytes) -> dict[str, EmailMessage]:
    # The stdlib has no multipart parser outside `email` since `cgi` went away.
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    parts: dict[str, EmailMessage] = {}
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        return parts
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            parts[name] = part  # type: ignore[assignment]
    return parts


def _query_ok(node: object) -> bool:
    """Only bool/must/should/must_not and terms/term/range, like the real API."""
    if isinstance(node, list):
        return all(_query_ok(item) for item in node)
    if not isinstance(node, dict):
        return False
    for key, value in node.items():
        if key not in QUERY_OPERATORS:
            return False
        if key in ("bool", "must", "should", "must_not") and not _query_ok(value):
            return False
    return True
