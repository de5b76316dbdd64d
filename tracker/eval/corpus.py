"""The labelled calls' text, read in place from ../shared (never copied here).

EU records come from the topics corpus (`fixtures/eu_topics_corpus/`), turned
into what the EU portal spider would give the tagger: title, description,
programme and division codes with their labels, the topic identifier. Polish
calls (`<slug>:<key>`) come from the spiders' parse of the real captures in
`fixtures/`; a capture a spider cannot read is reported, not fatal.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.tagging import CallText, call_text

logger = logging.getLogger(__name__)

DEFAULT_SHARED = Path(__file__).resolve().parents[3] / "shared"
CORPUS = Path("fixtures") / "eu_topics_corpus"
CORPUS_FILES = (
    "grants_2026-08-22.json",
    "grants_dropped_2026-03-13_to_2026-08-21.jsonl",
)
EU_SOURCE = "eu_ft_portal"
# Search-index kinds: 8 is a cascade (FSTP) call, the rest are grants.
_INSTRUMENT = {"0": "tender", "1": "grant", "2": "grant", "8": "cascade"}


@dataclass(frozen=True)
class Capture:
    """A saved page of a Polish source and how its spider reads it."""

    path: str
    callback: str = "parse"
    url: str | None = None
    spider_args: Mapping[str, str] = field(default_factory=dict)


# The real captures the Polish labels were made from. NCBR's schedule is read
# as of the start of 2026 so that none of its entries count as past.
CAPTURES = {
    "pl_ncbr": Capture(
        "pl_ncbr/harmonogram_konkursow_2026_fragment.html",
        "parse_schedule",
        "https://www.gov.pl/web/ncbr/harmonogram-konkursow-2026",
        {"today": "2026-01-01"},
    ),
    "pl_nfosigw": Capture("pl_nfosigw/harmonogram_naborow_fragment.html"),
    "pl_parp": Capture("pl_parp/harmonogram_naborow_fragment.html"),
    "pl_fe_lubelskie": Capture("pl_regional_portal/fe_slaskie_nabory_cards.html"),
}


class SharedMissing(FileNotFoundError):
    """../shared (or the corpus in it) is not there."""


def corpus_calls(shared: Path) -> dict[str, CallText]:
    """Every corpus record by its `id`, as the tagger would see it."""
    folder = shared / CORPUS
    if not folder.is_dir():
        raise SharedMissing(f"no topics corpus at {folder}")
    return {record["id"]: record_text(record) for record in _records(folder)}


def _records(folder: Path) -> Iterator[dict[str, Any]]:
    first, dropped = (folder / name for name in CORPUS_FILES)
    yield from json.loads(first.read_text(encoding="utf-8"))["grants"]
    with dropped.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)["grant"]


def record_text(record: Mapping[str, Any]) -> CallText:
    """A corpus record as the EU portal spider's call would be."""
    kind = str((record.get("kind") or {}).get("id") or "1")
    title, call_title = record.get("title") or "", record.get("callTitle") or ""
    if kind == "8" and call_title:  # the spider names a cascade call after it
        title, call_title = call_title, title
    parts = [record.get("summary"), call_title, record.get("abstract")]
    description = "\n\n".join(dict.fromkeys(p for p in parts if p and p != title))
    codes = [record.get("identifier") or ""]
    for key in ("frameworkProgrammes", "programmeDivisions"):
        for item in record.get(key) or []:
            codes += [str(item.get("id") or ""), str(item.get("label") or "")]
    return CallText(
        title=title,
        description=description,
        codes=tuple(dict.fromkeys(c for c in codes if c)),
        source=EU_SOURCE,
        language="en",
        instrument=_INSTRUMENT.get(kind),
    )


def polish_calls(
    shared: Path, slugs: set[str]
) -> tuple[dict[str, CallText], list[str]]:
    """`<slug>:<source_id>` -> call for the captures of `slugs`, and what failed."""
    calls: dict[str, CallText] = {}
    problems = []
    for slug in sorted(slugs):
        capture = CAPTURES.get(slug)
        if capture is None:
            problems.append(f"{slug}: no capture known")
            continue
        try:
            for call in _parse_capture(slug, capture, shared / "fixtures"):
                calls[f"{slug}:{call.source_id}"] = call_text(call)
        except Exception as exc:  # a broken spider must not stop the evaluation
            logger.debug("capture of %s failed", slug, exc_info=True)
            problems.append(f"{slug}: {type(exc).__name__}: {exc}")
    return calls, problems


def _parse_capture(slug: str, capture: Capture, fixtures: Path) -> list[Any]:
    """The calls the spider reads from the capture, including those it only
    carries on requests for detail pages (not captured)."""
    # Imported here: the evaluation of EU records needs no Scrapy.
    from scrapy import Request, Spider

    from spiders.items import FundingCall
    from tracker.cli.parse import default_url, make_response, make_spider, run_callback

    module = importlib.import_module(f"spiders.sources.{slug}")
    spider_cls = next(
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Spider)
        and getattr(value, "name", None) == slug
    )
    spider = make_spider(spider_cls, **capture.spider_args)
    path = fixtures / capture.path
    response = make_response(path, capture.url or default_url(spider_cls, path))
    # The spider's warnings about the capture (an offsite link) are not news here.
    spider_log = logging.getLogger(slug)
    level = spider_log.level
    spider_log.setLevel(logging.ERROR)
    try:
        results = run_callback(getattr(spider, capture.callback), response)
    finally:
        spider_log.setLevel(level)
    calls = []
    for result in results:
        if isinstance(result, Request):
            result = result.cb_kwargs.get("call")
        if isinstance(result, FundingCall):
            calls.append(result)
    return calls
