"""A member's private Atom 1.0 feed (RFC 4287) of the calls matching their interests.

Served by the desk under an unguessable, revocable URL (digests.links.ATOM).
Entry ids are stable per call and do not contain the member's token, so a
feed reader keeps its read/unread state when the member's links are renewed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from digests.build import CallItem
from digests.formatting import Formatter

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Characters XML 1.0 cannot carry at all; scraped titles sometimes contain them.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# The tag: URI date (RFC 4151): when the ids were minted; never change it.
TAG_DATE = "2026"


def _el(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> None:
    clean = {key: _NOT_XML.sub("", value) for key, value in attrs.items()}
    child = ET.SubElement(parent, f"{{{ATOM}}}{name}", clean)
    if text is not None:
        child.text = _NOT_XML.sub("", text)


def _stamp(moment: datetime) -> str:
    """RFC 3339 in UTC, as Atom dates must be."""
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_id(feed_url: str, call_id: int) -> str:
    """A tag: URI per call, from the site's host name: the same in every feed."""
    host = urlsplit(feed_url).hostname or "localhost"
    return f"tag:{host},{TAG_DATE}:call/{call_id}"


def summary(item: CallItem, fmt: Formatter) -> str:
    """Deadline and why it matched, in the member's language (digest wording)."""
    deadline = fmt.deadline(item.deadline)
    parts = [fmt.gettext("Deadline: %(deadline)s") % {"deadline": deadline}]
    if item.matched_tags:
        tags = fmt.reasons(item.matched_tags)
        parts.append(fmt.gettext("Matches: %(tags)s") % {"tags": tags})
    parts.append(item.funder)
    return " · ".join(p for p in parts if p)


def build_atom(
    items: Sequence[CallItem],
    *,
    member_name: str,
    feed_url: str,
    now: datetime,
    fmt: Formatter,
    updated: Mapping[int, datetime],
    title: str,
    alternate: str | None = None,
) -> bytes:
    """The feed as UTF-8 bytes.

    `updated` maps call ids to the calls' `updated_at` (a call's entry changes
    only when the call does); `title` is the feed's heading in the member's
    language, followed by their name; `alternate` the member's web page of
    the same list. `now` dates an empty feed.
    """
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: fmt.locale.language})
    stamps = [updated.get(item.id, now) for item in items]
    _el(feed, "id", feed_url)
    _el(feed, "title", f"{title} · {member_name}")
    _el(feed, "updated", _stamp(max(stamps, default=now)))
    _el(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    if alternate:
        _el(feed, "link", rel="alternate", type="text/html", href=alternate)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _el(author, "name", urlsplit(feed_url).hostname or "grants")
    for item, stamp in zip(items, stamps, strict=True):
        _entry(feed, item, stamp, feed_url, fmt, alternate or feed_url)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(
    feed: ET.Element,
    item: CallItem,
    stamp: datetime,
    feed_url: str,
    fmt: Formatter,
    fallback: str,
) -> None:
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    _el(entry, "id", entry_id(feed_url, item.id))
    _el(entry, "title", item.title)
    # An entry without content needs an alternate link (RFC 4287 4.1.2); a
    # scraped `javascript:` URL is no link, the member's own list is.
    href = fmt.link(item.url) or fallback
    _el(entry, "link", rel="alternate", type="text/html", href=href)
    _el(entry, "updated", _stamp(stamp))
    author = ET.SubElement(entry, f"{{{ATOM}}}author")
    _el(author, "name", item.funder or "—")
    for tag in item.matched_tags:
        _el(entry, "category", term=tag, label=fmt.label(tag))
    _el(entry, "summary", summary(item, fmt), type="text")
