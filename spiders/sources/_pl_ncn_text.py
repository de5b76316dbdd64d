"""The text of NCN's call pages (see `pl_ncn`): the body, its paragraphs and
sentences, the title and the FAQ's answer to "who can apply", out of the markup
of either site (Drupal 9, or Drupal 7 of 2018)."""

from __future__ import annotations

import re

from parsel import Selector

# The body of a call page: Drupal 9 first, then Drupal 7 (the 2018 site).
BODY_CSS = (
    "article .field--name-body",
    ".node .field-name-body",
    ".field--name-body",
    ".field-name-body",
)
# A custom block of the theme whose title leaks into the page text.
STRAY_TITLE = "Kod CSS i JS"
FAQ_EXPAND = re.compile(r"^(rozwiń wszystkie pytania|expand all questions)", re.I)
WHO_QUESTIONS = frozenset(
    {
        "kto może złożyć wniosek?",
        "kto może składać wnioski?",
        "kto może ubiegać się o finansowanie?",
        "who can apply?",
        "who may apply?",
        "who is eligible to apply?",
    }
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZĄĆĘŁŃÓŚŹŻ])")
_BLOCKS = (
    ".//*[self::p or self::li or self::h2 or self::h3 or self::h4 or self::h5"
    " or self::td or self::th or self::summary or self::dt or self::dd]"
    "[not(.//p or .//li or .//td)]"
)


def text_of(node: Selector) -> str:
    """The visible text of a node, whitespace collapsed."""
    parts = node.xpath(".//text()[not(ancestor::script or ancestor::style)]").getall()
    return " ".join(" ".join(parts).split())


def text_blocks(body: Selector) -> list[str]:
    """The body's paragraphs (p, li, headings, cells), in order, non-empty."""
    blocks = [text_of(node) for node in body.xpath(_BLOCKS)]
    return [b for b in blocks if b] or ([text_of(body)] if text_of(body) else [])


def description_blocks(body: Selector) -> list[str]:
    """Paragraphs before the FAQ, outside accordions, without the stray block title."""
    kept = []
    for node in body.xpath(_BLOCKS):
        text = text_of(node)
        if FAQ_EXPAND.match(text):
            break
        in_faq = node.xpath(
            "ancestor-or-self::details or ancestor-or-self::*"
            "[contains(@class,'faq') or contains(@class,'pytani')"
            " or contains(@class,'odpowied')]"
        ).get()
        if text and text != STRAY_TITLE and in_faq != "1":
            kept.append(text)
    return kept


def sentences(blocks: list[str]) -> list[str]:
    """The sentences of the paragraphs; a sentence never spans two paragraphs."""
    return [s for block in blocks for s in _SENTENCE_END.split(block) if s]


def is_stray(node: Selector) -> bool:
    """Whether a node sits in the theme's "Kod CSS i JS" block."""
    return bool(node.xpath("ancestor::*[*[normalize-space()=$t]]", t=STRAY_TITLE))


def faq_answer(page: Selector) -> str | None:
    """The answer to "Kto może złożyć wniosek?" (or its English twin), if any."""
    for node in page.xpath(
        "//*[self::summary or self::h2 or self::h3 or self::h4"
        " or self::h5 or self::dt or self::button or self::p]"
    ):
        if text_of(node).lower().rstrip("» ") not in WHO_QUESTIONS:
            continue
        for anchor in (node, *node.xpath("ancestor::*[position() <= 2]")[::-1]):
            if answer := anchor.xpath("following-sibling::*[1]"):
                return text_of(answer[0]) or None
    return None


def find_body(page: Selector, url: str) -> Selector:
    """The call's body text; ValueError when the page has none we know."""
    for css in BODY_CSS:
        for node in page.css(css):
            if not is_stray(node) and text_blocks(node):
                return node
    raise ValueError(f"NCN: no call body ({', '.join(BODY_CSS)}) on {url}")


def parse_title(page: Selector) -> str | None:
    """The page heading, else og:title."""
    for heading in page.css("h1.page-title, h1#page-title, main h1, h1"):
        if title := text_of(heading):
            return title
    og_title = page.css('meta[property="og:title"]::attr(content)').get("")
    return og_title.strip() or None
