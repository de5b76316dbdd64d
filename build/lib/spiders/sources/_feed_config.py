"""The feeds file (`spiders/feeds.toml`): one validated `FeedSource` per `[[feed]]`."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.vocab import Domain, Language

FEEDS_FILE = Path(__file__).resolve().parent.parent / "feeds.toml"
WARSAW = "Europe/Warsaw"
_SLUG = re.compile(r"^(?:eu|[a-z]{2})_[a-z0-9]+(?:_[a-z0-9]+)*$")
_REQUIRED = ("slug", "name", "url", "funder", "language")
_OPTIONAL = ("default_tags", "include", "exclude", "timezone")


class FeedConfigError(ValueError):
    """The feeds file is not usable; the message says where and why."""


@dataclass(frozen=True)
class FeedSource:
    """One `[[feed]]` table of the feeds file."""

    slug: str
    name: str
    url: str
    funder: str
    language: str
    default_tags: tuple[Domain, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    timezone: str = WARSAW


def configured_feeds(path: Path = FEEDS_FILE) -> list[FeedSource]:
    """Every feed of the feeds file, validated; `FeedConfigError` if one is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FeedConfigError(f"{path}: {exc}") from exc
    tables = data.get("feed", [])
    if set(data) - {"feed"} or not isinstance(tables, list):
        raise FeedConfigError(f"{path}: only [[feed]] tables are allowed")
    feeds = [_feed_source(f"{path}: feed #{n}", t) for n, t in enumerate(tables, 1)]
    for key in ("slug", "url"):
        values = [getattr(feed, key) for feed in feeds]
        if dupes := sorted({v for v in values if values.count(v) > 1}):
            raise FeedConfigError(f"{path}: duplicate {key}: {', '.join(dupes)}")
    return feeds


def _feed_source(where: str, table: object) -> FeedSource:
    """One table checked: keys, slug, URL, language, tags, time zone."""
    if not isinstance(table, dict):
        raise FeedConfigError(f"{where}: not a table")
    where += f" ({table.get('slug') or 'no slug'})"
    if unknown := sorted(set(table) - {*_REQUIRED, *_OPTIONAL}):
        raise FeedConfigError(f"{where}: unknown key {', '.join(unknown)}")
    for key in _REQUIRED:
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise FeedConfigError(f"{where}: missing {key}")
    _check_slug(where, table["slug"])
    _check_url(where, table["url"])
    if table["language"] not in set(Language):
        raise FeedConfigError(f"{where}: language must be pl or en")
    tags = _strings(where, table, "default_tags")
    if bad := [tag for tag in tags if tag not in set(Domain)]:
        known = ", ".join(Domain)
        raise FeedConfigError(f"{where}: unknown tag {', '.join(bad)} (known: {known})")
    zone = table.get("timezone", WARSAW)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise FeedConfigError(f"{where}: unknown timezone {zone!r}") from exc
    return FeedSource(
        slug=table["slug"],
        name=table["name"].strip(),
        url=table["url"],
        funder=table["funder"].strip(),
        language=table["language"],
        default_tags=tuple(Domain(tag) for tag in tags),
        include=_strings(where, table, "include"),
        exclude=_strings(where, table, "exclude"),
        timezone=zone,
    )


def _check_slug(where: str, slug: str) -> None:
    if not _SLUG.match(slug):
        raise FeedConfigError(f"{where}: slug must look like <scope>_<funder>[_...]")
    # A feed named like a spider would share that spider's source in the tracker.
    if importlib.util.find_spec(f"spiders.sources.{slug}") is not None:
        raise FeedConfigError(f"{where}: slug {slug} is already a spider's name")


def _check_url(where: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedConfigError(f"{where}: url must be an absolute http(s) URL")


def _strings(where: str, table: dict[str, Any], key: str) -> tuple[str, ...]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(
        isinstance(v, str) and v.strip() for v in values
    ):
        raise FeedConfigError(f"{where}: {key} must be a list of words")
    return tuple(v.strip() for v in values)
