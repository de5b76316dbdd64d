"""Helpers shared by the gov.pl spiders (NCBR, NFOŚiGW): page text, slugs, FE codes."""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

from parsel import Selector, SelectorList
from scrapy.http import Response, TextResponse
from w3lib.html import remove_tags

GOV_PL = "https://www.gov.pl"
# An official 2021-2027 call number: FENG.01.01-IP.01-003/26, FENX.02.04-IW.01-001/26.
FE_NUMBER = re.compile(r"\bFE[A-Z]{1,4}\.\d{2}\.\d{2}-[A-Z]{2}\.\d{2}-\d{3}/\d{2}\b")
# A programme action ("Działanie FENG.02.09"): the programme and the action code.
FE_ACTION = re.compile(r"\b(FE[A-Z]{1,4})\.\d{2}\.\d{2}\b")
FE_PROGRAMMES = {
    "FENG": "Fundusze Europejskie dla Nowoczesnej Gospodarki",
    "FENX": "Fundusze Europejskie na Infrastrukturę, Klimat i Środowisko",
    "FERS": "Fundusze Europejskie dla Rozwoju Społecznego",
    "FEPW": "Fundusze Europejskie dla Polski Wschodniej",
    "FELU": "Fundusze Europejskie dla Lubelskiego",
}
_PROGRAMME_BY_NAME = {name.casefold(): code for code, name in FE_PROGRAMMES.items()}
_FOLD = str.maketrans({"ł": "l", "Ł": "L"})
_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|ul|ol|li|table|tr)\s*>|<br\s*/?>", re.I)
_LIST_ITEM = re.compile(r"<li\b[^>]*>", re.I)


def page_selector(response: Response) -> Selector:
    """The page as a selector, also when it was served without a text content type."""
    if isinstance(response, TextResponse):
        return response.selector
    return Selector(text=response.body.decode("utf-8", "replace"))


def clean(text: str | None) -> str:
    """Entities decoded, every kind of space collapsed, trimmed."""
    return " ".join(html.unescape(text or "").split())


def node_text(node: Selector | SelectorList[Selector] | None) -> str:
    """All text below a node, as one cleaned line."""
    return clean(" ".join(node.xpath(".//text()").getall())) if node else ""


def slugify(text: str) -> str:
    """ASCII, lower case, hyphens: "Ścieżka SMART – B+R" -> "sciezka-smart-b-r"."""
    folded = unicodedata.normalize("NFKD", clean(text).translate(_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def html_to_text(markup: str | None) -> str | None:
    """HTML as plain text: one paragraph per block, list items as "- " paragraphs."""
    if not markup:
        return None
    markup = re.sub(r"<[^>]*$", "", markup)  # a string cut inside a tag
    markup = _BLOCK_END.sub("\n\n", _LIST_ITEM.sub("\n\n- ", markup))
    paragraphs = (clean(p) for p in remove_tags(markup).split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p and p != "-") or None


def find_fe_number(*texts: str | None) -> str | None:
    """The first official FE call number in the texts, if any."""
    for text in texts:
        if text and (match := FE_NUMBER.search(text)):
            return match.group(0)
    return None


def fe_codes(*texts: str | None) -> list[str]:
    """Programme abbreviations and action codes: "FENG.02.09" -> FENG, FENG.02.09."""
    codes: list[str] = []
    for text in texts:
        for match in FE_ACTION.finditer(text or ""):
            codes += [match.group(1), match.group(0)]
        if text and (code := _PROGRAMME_BY_NAME.get(clean(text).casefold())):
            codes.append(code)
    return list(dict.fromkeys(codes))


def unwrap_link(href: str | None) -> str | None:
    """The real target of an Outlook safelink; other links as they are."""
    if not href:
        return None
    href = href.strip()
    parts = urlsplit(href)
    if parts.netloc.endswith("safelinks.protection.outlook.com"):
        target = parse_qs(parts.query).get("url")
        return target[0] if target else None
    return href


def is_page_link(url: str | None) -> bool:
    """An http(s) address of a page, not a disguised e-mail ("http://ftc@host")."""
    if not url:
        return False
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and ("@" not in parts.netloc)
    )
