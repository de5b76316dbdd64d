"""Page text as the Polish EU-funds portals' parsers read it: visible text nodes,
blocks of text (headings marked) and "Label: value" fields found by their words.

Nothing here knows a CSS class: the FE markup is mostly assumed (see `_fe_cards`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from parsel import Selector
from w3lib.html import remove_tags, replace_entities

_NOISE = ".//script|.//style|.//noscript|.//nav|.//form|.//aside|.//footer|.//button"
_BLOCK = re.compile(
    r"</?(?:p|div|li|dt|dd|tr|td|th|ul|ol|table|section|article|header|blockquote"
    r"|figure|figcaption)\b[^>]*>|<br\s*/?>",
    re.I,
)
_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.I | re.S)
_BREAK = re.compile(r"<br\s*/?>", re.I)
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Entities decoded, whitespace collapsed."""
    return _SPACE.sub(" ", replace_entities(text)).strip()


def text_chunks(sel: Selector) -> list[str]:
    """The element's visible text nodes, stripped, in document order."""
    nodes = sel.xpath(".//text()[not(ancestor::script or ancestor::style)]").getall()
    return [text for text in map(clean, nodes) if text]


@dataclass(frozen=True)
class Para:
    """One block of page text; headings end a section."""

    text: str
    heading: bool = False


def paragraphs(root: Selector) -> list[Para]:
    """The text blocks of `root` (navigation, forms and scripts left out)."""
    tree = copy.deepcopy(root.root)
    for node in tree.xpath(_NOISE):
        node.getparent().remove(node)
    markup = Selector(root=tree).get()
    # A heading is one line even when it holds a <br>; \x01 marks it.
    markup = _HEADING.sub(lambda m: f"\n\x01{_BREAK.sub(' ', m[2])}\n", markup)
    markup = _BLOCK.sub("\n", markup)
    paras = []
    for line in remove_tags(markup).split("\n"):
        text = clean(line.replace("\x01", ""))
        if text:
            paras.append(Para(text, heading=line.lstrip().startswith("\x01")))
    return paras


def section(paras: list[Para], label: str) -> list[str]:
    """What follows the label: the rest of its line (after ":" or a dash), the
    next line, or the heading's section."""
    pattern = re.compile(rf"^(?:{label})(?!\w)\s*(?:[:\-–]\s*(.*))?$", re.I)
    for index, para in enumerate(paras):
        match = pattern.match(para.text)
        if match is None:
            continue
        if match.group(1):
            return [match.group(1)]
        if not para.heading:
            following = paras[index + 1 : index + 2]
            return [p.text for p in following if not p.heading]
        body = []
        for after in paras[index + 1 :]:
            if after.heading:
                break
            body.append(after.text)
        return body
    return []


def labelled(paras: list[Para], label: str) -> str | None:
    """The value of a "Label: value" field (inline, next line or section)."""
    return " ".join(section(paras, label)) or None
