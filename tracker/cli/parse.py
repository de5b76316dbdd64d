"""`grants parse`: run one spider callback on a saved page, print calls as JSON.

For spider development and for checking a capture offline: no network, no
database. Requests the callback yields (next pages, detail pages) are counted
and skipped; calls go through the same validation and normalisation as a crawl.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import scrapy
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Request, Response, TextResponse, XmlResponse
from scrapy.settings import SETTINGS_PRIORITIES, Settings
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.test import get_crawler

from spiders.items import FundingCall, call_to_json
from spiders.pipelines import normalize_item, validate_item
from tracker.tagging import relevance_score, tag_call

logger = logging.getLogger(__name__)

SETTINGS_MODULE = "spiders.settings"
# The crawl's reactor choice is irrelevant here and would clash with whatever
# reactor (if any) the calling process already installed.
_REACTOR_SETTINGS = ("TWISTED_REACTOR", "ASYNCIO_EVENT_LOOP")


def project_settings() -> Settings:
    """Scrapy settings of the project, independent of the working directory."""
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    return settings


def load_spider_class(
    slug: str, settings: Settings | None = None
) -> type[scrapy.Spider]:
    """The spider named `slug` in SPIDER_MODULES; `KeyError` when there is none."""
    return get_spider_loader(settings or project_settings()).load(slug)


def make_spider(spider_cls: type[scrapy.Spider], **kwargs: Any) -> scrapy.Spider:
    """A spider bound to a crawler, so that stats and settings exist."""
    settings = project_settings()
    own = {
        name: value
        for name, value in settings.items()
        if settings.getpriority(name) == SETTINGS_PRIORITIES["project"]
        and name not in _REACTOR_SETTINGS
    }
    crawler = get_crawler(spider_cls, own)
    return spider_cls.from_crawler(crawler, **kwargs)


def make_response(
    path: Path, url: str, meta: dict[str, Any] | None = None
) -> TextResponse:
    """A response holding the saved file, tied to a request (for `response.meta`)."""
    body = path.read_bytes()
    request = Request(url, meta=meta or {})
    suffix = path.suffix.lower()
    if suffix == ".json" or (
        suffix not in (".html", ".htm", ".xml") and _looks_json(body)
    ):
        headers = {"Content-Type": "application/json"}
        return TextResponse(
            url, body=body, encoding="utf-8", headers=headers, request=request
        )
    if suffix == ".xml":
        return XmlResponse(url, body=body, request=request)
    return HtmlResponse(url, body=body, request=request)


def _looks_json(body: bytes) -> bool:
    return body.lstrip()[:1] in (b"{", b"[")


def run_callback(callback: Any, response: Response) -> list[Any]:
    """Everything a callback yields: plain, generator, coroutine or async generator."""
    result = callback(response)
    if inspect.isasyncgen(result):
        return asyncio.run(_collect(result))
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    if result is None:
        return []
    if isinstance(result, Iterable) and not isinstance(result, (str, bytes, dict)):
        return list(result)
    return [result]


async def _collect(agen: Any) -> list[Any]:
    return [item async for item in agen]


def default_url(spider_cls: type[scrapy.Spider], path: Path) -> str:
    """The spider's first start URL, else its source page, else the file itself."""
    start_urls = getattr(spider_cls, "start_urls", None) or []
    return (
        start_urls[0]
        if start_urls
        else getattr(spider_cls, "source_url", None) or (path.resolve().as_uri())
    )


def _tags(call: FundingCall) -> dict[str, Any]:
    """The call's tags (domains first, by their names) and its relevance score."""
    matches = tag_call(call)
    return {
        "tags": [
            {"tag": str(m.tag), "origin": str(m.origin), "evidence": m.evidence}
            for m in matches
        ],
        "relevance": relevance_score(matches),
    }


@click.command()
@click.argument("slug")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
)
@click.option("--url", help="URL the saved page came from (default: the spider's).")
@click.option("--callback", default="parse", show_default=True, help="Spider method.")
@click.option("--meta", default="{}", help="Request meta as a JSON object.")
@click.option(
    "--tags",
    is_flag=True,
    help="Add each call's tags (domains, sub-topics, facets) and relevance score.",
)
@click.option(
    "--now",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    help="Compute statuses as of this moment (default: now); naive means UTC.",
)
def parse(
    slug: str,
    file: Path,
    url: str | None,
    callback: str,
    meta: str,
    tags: bool,
    now: datetime | None,
) -> None:
    """Parse a saved page FILE with spider SLUG; print one JSON call per line."""
    settings = project_settings()
    try:
        spider_cls = load_spider_class(slug, settings)
    except KeyError:
        known = ", ".join(sorted(get_spider_loader(settings).list())) or "none"
        raise click.ClickException(
            f"unknown spider {slug!r} (known: {known})"
        ) from None
    try:
        request_meta = json.loads(meta)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--meta") from None
    spider = make_spider(spider_cls)
    method = getattr(spider, callback, None)
    if not callable(method):
        raise click.ClickException(f"spider {slug!r} has no callback {callback!r}")
    try:
        response = make_response(
            file, url or default_url(spider_cls, file), request_meta
        )
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc}") from None
    try:
        results = run_callback(method, response)
    except Exception as exc:
        logger.debug("callback failed", exc_info=True)
        raise click.ClickException(
            f"{slug}.{callback} failed on {file}: {type(exc).__name__}: {exc}"
        ) from None
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    _print_calls(results, tags, now)


def _print_calls(results: list[Any], tags: bool, now: datetime | None) -> None:
    requests = sum(isinstance(r, Request) for r in results)
    if requests:
        click.echo(
            f"note: ignored {requests} request(s) the callback yielded", err=True
        )
    dropped = 0
    for result in results:
        if isinstance(result, Request):
            continue
        if not isinstance(result, FundingCall):
            click.echo(f"note: ignored a {type(result).__name__}", err=True)
            continue
        try:
            validate_item(result)
        except DropItem as exc:
            dropped += 1
            click.echo(f"dropped {result.source_id!r}: {exc}", err=True)
            continue
        data = call_to_json(normalize_item(result, now=now))
        if tags:
            data.update(_tags(result))
        click.echo(json.dumps(data, ensure_ascii=False))
    if dropped:
        click.echo(f"note: dropped {dropped} invalid call(s)", err=True)
