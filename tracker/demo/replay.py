"""A local stand-in for the EU Funding & Tenders search API, for the demo and tests.

It replays the project's own demo pages (`data/eu_ft_portal/page_N.json`) and
checks requests the way the real API does where that is documented
(`../shared/research/eu-sources.md` §1.1): POST only, a multipart body whose
`query` part is a JSON *file* part. A plain `query` form field gets the real
API's 500 `{"type":"throwable"}`, so a spider that would fail in production
fails here too. Filters inside `query` are not applied: every row comes back,
duplicates and other-language copies included, as with an unfiltered search.

    with ReplayServer() as server:
        settings = replace(settings, EU_FT_API_URL=demo_api_url(server))
"""

from __future__ import annotations

import json
import logging
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data" / "eu_ft_portal"
SEARCH_PATH = "/search-api/prod/rest/search"
MAX_PAGE_SIZE = 100  # the real API silently caps pageSize at 100
DEFAULT_PAGE_SIZE = 10
# Query operators the real API accepts; `wildcard` or `match` get a 400.
QUERY_OPERATORS = frozenset(
    {"bool", "must", "should", "must_not", "terms", "term", "range"}
)


def load_pages(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """The demo pages in page order (page_1.json, page_2.json, ...)."""
    files = sorted(data_dir.glob("page_*.json"), key=lambda p: int(p.stem[5:]))
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


class ReplayServer:
    """The replay API on 127.0.0.1 at a free port, served from a daemon thread."""

    def __init__(self, data_dir: Path = DATA_DIR) -> None:
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
        path = urlsplit(self.path).path
        if path == SEARCH_PATH:
            # The real endpoint answers GET with 405 (viabolat/funding_radar notes).
            self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"type": "methodNotAllowed"})
        else:
            # robots.txt included: a 404 there means "everything allowed" to Scrapy.
            self._json(HTTPStatus.NOT_FOUND, {"type": "notFound"})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        if url.path != SEARCH_PATH:
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
        self.replay.requests.append((self.command, self.path, int(status)))
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes every request to stderr, which would litter the demo.
        log.debug("%s " + format, self.address_string(), *args)


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
