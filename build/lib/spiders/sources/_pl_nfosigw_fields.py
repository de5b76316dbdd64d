"""Field parsers for the NFOŚiGW schedule table ("Harmonogram naborów")."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from parsel import Selector, SelectorList

from spiders.parsing import DateParseError, FuzzyDate, is_undetermined, parse_date
from spiders.sources._gov_pl import (
    find_fe_number,
    is_page_link,
    node_text,
    unwrap_link,
)
from tracker.vocab import CallStatus, Instrument

# Header text (lower case, start) -> field; the first five are required.
COLUMNS = {
    "nazwa programu": "name",
    "planowana data rozpoczęcia": "start",
    "planowana data zakończenia": "end",
    "stan naboru": "state",
    "oznaczenie naboru": "code",
    "nr pp": "number",
    "tryb naboru": "mode",
    "koordynator": "coordinator",
    "uwagi": "remarks",
}
REQUIRED = ("name", "start", "end", "state", "code")
STATES = {
    "nabór planowany": CallStatus.FORTHCOMING,
    "trwa nabór wniosków": CallStatus.OPEN,
    "nabór zakończony": CallStatus.CLOSED,
}
# NFOŚiGW's own call codes: "26/NC/UR/1.12/2026/EfektywnośćEnergetyczna".
NFOS_CODE = re.compile(r"\b\d{1,3}/[A-Z]{2}/[A-Z]{2}/\d+(?:\.\d+)*/\d{4}(?:/.*)?")
_FOOTNOTE = re.compile(r"^(\*+)\s*[-–—:]?\s*(.+)$")
_LOAN = re.compile(r"pożyczk|pozyczk", re.I)


class RowError(Exception):
    """A row that cannot become a call; `kind` is counted in the crawl stats."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def header(rows: SelectorList[Selector]) -> tuple[int, list[str]]:
    """The header row's index and the field of every column (colspans expanded)."""
    for index, row in enumerate(rows):
        columns = []
        for cell in row.xpath("./td|./th"):
            text = node_text(cell).lower()
            field = next((f for h, f in COLUMNS.items() if text.startswith(h)), "")
            columns += [field] * int(cell.attrib.get("colspan", "1") or 1)
        if "name" in columns:
            missing = [f for f in REQUIRED if f not in columns]
            if missing:
                raise ValueError(f"NFOŚiGW schedule: no column for {missing}")
            return index, columns
    raise ValueError("NFOŚiGW schedule: no table.Table with a header row")


def is_header(cells: SelectorList[Selector]) -> bool:
    """A header row (the table's own, or one repeated further down)."""
    return any(node_text(c).lower().startswith("nazwa programu") for c in cells)


def cells_by_field(cells: SelectorList[Selector], columns: list[str]) -> dict[str, str]:
    """Cells by field; a short row is right-aligned (its first cells span down)."""
    spans = [int(c.attrib.get("colspan", "1") or 1) for c in cells]
    position = max(len(columns) - sum(spans), 0)
    fields: dict[str, str] = {}
    for cell, span in zip(cells, spans, strict=True):
        field = columns[position] if position < len(columns) else ""
        position += span
        if field:
            fields[field] = node_text(cell)
            if field == "code" and (href := cell.css("a::attr(href)").get()):
                fields["href"] = href
    return fields


def footnotes(rows: SelectorList[Selector], columns: list[str]) -> dict[str, str]:
    """Footnotes given in "Uwagi" ("* - program ... Funduszu Modernizacyjnego")."""
    notes: dict[str, str] = {}
    for row in rows:
        cells = row.xpath("./td|./th")
        if len(cells) > 2:
            remark = cells_by_field(cells, columns).get("remarks", "")
            if match := _FOOTNOTE.match(remark):
                notes.setdefault(match[1], match[2])
    return notes


def identifier(text: str) -> str | None:
    """An FE number or an NFOŚiGW code from the "Oznaczenie naboru" cell."""
    if number := find_fe_number(text):
        return number
    match = NFOS_CODE.search(text)
    return match.group(0).strip() if match else None


def page_url(href: str | None, base: str, problems: list[str]) -> str | None:
    """The call's page (safelinks unwrapped); None when the link is no page."""
    target = unwrap_link(href)
    if not target:
        return None
    target = urljoin(base, target)
    if not is_page_link(target):
        problems.append(f"link_not_a_page: {target}")
        return None
    return target


def planned_date(text: str, key: str, title: str) -> FuzzyDate | None:
    """A planned date in any of the table's forms; empty or "to be set" is None."""
    if is_undetermined(text):
        return None
    try:
        return parse_date(text)
    except DateParseError as exc:
        raise RowError("bad_date", f"{title}: {key} {text!r}") from exc


def state(text: str, problems: list[str]) -> CallStatus | None:
    """The "Stan naboru" hint; an unknown wording is a problem."""
    if not text:
        return None
    hint = STATES.get(text.lower())
    if hint is None:
        problems.append(f"unknown_state: {text}")
    return hint


def instrument(title: str, code: str, fields: dict[str, str]) -> Instrument:
    """A loan when the name, code or remarks say "pożyczka", else a grant."""
    text = " ".join([title, code, fields.get("remarks", "")])
    return Instrument.LOAN if _LOAN.search(text) else Instrument.GRANT


def description(
    name: str, fields: dict[str, str], footnotes: dict[str, str]
) -> str | None:
    """The remarks, with the footnote a starred name refers to."""
    stars = name[len(name.rstrip("*")) :]
    remark = fields.get("remarks", "")
    parts = [footnotes.get(stars, "")] if stars else []
    if remark and not _FOOTNOTE.match(remark):
        parts.append(remark)
    return "\n\n".join(p for p in parts if p) or None
