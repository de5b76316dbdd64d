"""Field parsers for the EU Funding & Tenders Portal search results."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from w3lib.html import remove_tags, replace_entities

from spiders.items import Deadline
from spiders.sources._eu_ft_codes import (
    FRAMEWORK_PROGRAMMES,
    PROGRAMME_DIVISIONS,
    STATUS,
)
from tracker.vocab import CallStatus, DatePrecision

PORTAL = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities"
BRUSSELS = ZoneInfo("Europe/Brussels")
# The portal's standard cut-off, used when a deadline carries only a date.
CUT_OFF = time(17, 0)
LEGACY_DATASOURCE = "SEDIA_PRD_CENTRICITY"

_CASCADE_REFERENCE = re.compile(r"^(\d+)COMPETITIVE_CALL")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)+)"')
_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|ul|ol|table|tr)>|<br\s*/?>", re.I)
_LIST_ITEM = re.compile(r"<li\b[^>]*>", re.I)


class RowError(Exception):
    """A row that cannot become a call; `kind` is counted in the crawl stats."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def _values(meta: Mapping[str, Any], key: str) -> list[str]:
    # Every metadata value is a list, even scalars; tolerate a bare scalar.
    raw = meta.get(key)
    items = raw if isinstance(raw, list) else [] if raw is None else [raw]
    return [str(item) for item in items if item not in (None, "")]


def _first(meta: Mapping[str, Any], key: str) -> str | None:
    values = _values(meta, key)
    return values[0] if values else None


def _is_legacy(row: Mapping[str, Any]) -> bool:
    meta = row.get("metadata") or {}
    datasource = _first(meta, "DATASOURCE") or _first(meta, "datasource")
    return datasource == LEGACY_DATASOURCE or str(row.get("url", "")).endswith(".json")


def richness(row: Mapping[str, Any]) -> tuple[int, ...]:
    """Orders copies of one topic: English, current, described, with actions."""
    meta = row.get("metadata") or {}
    language = row.get("language") or _first(meta, "language")
    return (
        int(language == "en"),
        int(not _is_legacy(row)),
        int(bool(_first(meta, "descriptionByte"))),
        int(bool(_first(meta, "actions") or _first(meta, "budgetOverview"))),
        sum(1 for value in meta.values() if value),
    )


def _portal_wall_clock(value: str) -> datetime:
    """The naive Brussels wall-clock time a portal timestamp stands for.

    The portal stores Brussels wall-clock time as if it were UTC:
    "2024-02-07T17:00:00.000+0000" means 17:00 Brussels, and the 2023 shape
    "2024-04-18T19:00:00.000+0200" is the same stored 17:00Z rendered in CEST.
    So: convert to UTC, then read the clock face as Brussels time.
    """
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RowError("bad_date", f"unparseable date {value!r}") from exc
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC).replace(tzinfo=None)
    return stamp


def _at_cut_off(day: date) -> datetime:
    return datetime.combine(day, CUT_OFF, BRUSSELS)


def _deadline_at(wall: datetime) -> tuple[datetime, DatePrecision]:
    # 00:00 is how the portal writes "this day, no time given".
    if wall.time() == time(0):
        return _at_cut_off(wall.date()), DatePrecision.DAY
    return wall.replace(tzinfo=BRUSSELS), DatePrecision.DATETIME


def _label(model: str | None, index: int, count: int) -> str | None:
    model = (model or "").lower()
    if model == "two-stage":
        return f"stage {index}"
    if "cut-off" in model or (count > 1 and model != "single-stage"):
        return f"cut-off {index}"
    return None


def _action_days(actions: list[Any]) -> list[date]:
    days: list[date] = []
    for action in actions:
        values = action.get("deadlineDates") if isinstance(action, dict) else None
        for value in values or []:
            try:
                days.append(date.fromisoformat(str(value)))
            except ValueError as exc:
                raise RowError("bad_date", f"unparseable date {value!r}") from exc
    return sorted(set(days))


def _parse_deadlines(
    meta: Mapping[str, Any], actions: list[Any], problems: list[str]
) -> list[Deadline]:
    by_day = {
        wall.date(): wall
        for wall in map(_portal_wall_clock, _values(meta, "deadlineDate"))
    }
    action_days = _action_days(actions)
    walls = [by_day[day] for day in sorted(by_day)]
    if action_days and set(action_days) != set(by_day):
        # actions are the topic's own record; deadlineDate is known to drift.
        problems.append(
            "deadlines_disagree: actions give "
            f"{', '.join(map(str, action_days))}, deadlineDate gives "
            f"{', '.join(map(str, sorted(by_day))) or 'nothing'}; actions kept"
        )
        walls = [by_day.get(day, datetime.combine(day, time(0))) for day in action_days]
    model = _first(meta, "deadlineModel")
    deadlines = []
    for index, wall in enumerate(walls, start=1):
        at, precision = _deadline_at(wall)
        deadlines.append(Deadline(at, _label(model, index, len(walls)), precision))
    return deadlines


def _parse_opening_date(meta: Mapping[str, Any], actions: list[Any]) -> datetime | None:
    # A date-only opening (00:00) stays at midnight Brussels: open all that day.
    start = _first(meta, "startDate")
    if start is not None:
        wall = _portal_wall_clock(start)
    else:
        planned = [a.get("plannedOpeningDate") for a in actions if isinstance(a, dict)]
        planned = sorted(str(p) for p in planned if p)
        if not planned:
            return None
        wall = _portal_wall_clock(planned[0])
    return wall.replace(tzinfo=BRUSSELS)


def _parse_json_list(
    meta: Mapping[str, Any], key: str, problems: list[str]
) -> list[Any]:
    raw = _first(meta, key)
    if raw is None:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        problems.append(f"{key}_malformed: {key} is not valid JSON ({len(raw)} chars)")
        return []
    return value if isinstance(value, list) else [value]


def _parse_keywords(meta: Mapping[str, Any], problems: list[str]) -> list[str]:
    values = _values(meta, "keywords")
    if len(values) != 1 or not values[0].lstrip().startswith("["):
        return values
    # Some rows carry one string holding a JSON array.
    try:
        decoded = json.loads(values[0])
    except ValueError:
        problems.append("keywords_malformed: keywords string is not a JSON array")
        return _QUOTED.findall(values[0])
    return [str(k) for k in decoded if k] if isinstance(decoded, list) else values


def _parse_description(meta: Mapping[str, Any]) -> str | None:
    """descriptionByte HTML as plain text, one blank line between paragraphs."""
    html = _first(meta, "descriptionByte")
    if html is None:
        return None
    html = re.sub(r"<[^>]*$", "", html)  # a string cut inside a tag
    html = _BLOCK_END.sub("\n\n", _LIST_ITEM.sub("\n- ", html))
    lines = (
        " ".join(line.split())
        for line in replace_entities(remove_tags(html)).split("\n")
    )
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text or None


def _parse_programme(
    meta: Mapping[str, Any], problems: list[str]
) -> tuple[str | None, list[str]]:
    """The framework programme label, and the codes plus division labels."""
    frameworks = _values(meta, "frameworkProgramme")
    divisions = _values(meta, "programmeDivision")
    labels = []
    for code in frameworks:
        if code not in FRAMEWORK_PROGRAMMES:
            problems.append(f"unknown_code: frameworkProgramme {code}")
    for code in divisions:
        if code in PROGRAMME_DIVISIONS:
            labels.append(PROGRAMME_DIVISIONS[code])
        elif code in FRAMEWORK_PROGRAMMES:
            # Divisions often repeat the framework programme's own code.
            labels.append(FRAMEWORK_PROGRAMMES[code])
        else:
            problems.append(f"unknown_code: programmeDivision {code}")
    programme = (
        FRAMEWORK_PROGRAMMES.get(frameworks[0], frameworks[0]) if frameworks else None
    )
    return programme, list(dict.fromkeys([*frameworks, *divisions, *labels]))


def _parse_status(meta: Mapping[str, Any], problems: list[str]) -> CallStatus | None:
    code = _first(meta, "status")
    if code is not None and code not in STATUS:
        problems.append(f"unknown_code: status {code}")
    return STATUS.get(code or "")


def _cascade_number(row: Mapping[str, Any]) -> str:
    meta = row.get("metadata") or {}
    match = _CASCADE_REFERENCE.match(str(row.get("reference", "")))
    number = _first(meta, "callccm2Id") or (match[1] if match else None)
    if number is None:
        raise RowError("cascade_without_id", f"reference {row.get('reference')!r}")
    return number


def _parse_title(row: Mapping[str, Any], kind: str) -> str:
    meta = row.get("metadata") or {}
    keys = ("callTitle", "title") if kind == "8" else ("title", "callTitle")
    for candidate in (
        *(_first(meta, key) for key in keys),
        row.get("summary"),
        row.get("content"),  # may hold <b> highlights on text searches
        row.get("title"),
    ):
        if candidate and (text := " ".join(remove_tags(str(candidate)).split())):
            return replace_entities(text)
    raise RowError("row_without_title", f"reference {row.get('reference')!r}")


def _parse_url(kind: str, meta: Mapping[str, Any], identifier: str, number: str) -> str:
    # Never the row's own url: legacy rows point at a topicDetails .json file.
    call_identifier = _first(meta, "callIdentifier")
    if kind == "8":
        return f"{PORTAL}/competitive-calls-cs/{number}"
    if kind == "2" and call_identifier:
        return f"{PORTAL}/prospect-details/{call_identifier}PROSPECTSEN"
    return f"{PORTAL}/topic-details/{identifier}"


def _source_id(row: Mapping[str, Any]) -> tuple[str, str, str]:
    """(source_id, identifier, cascade number or "") of a row."""
    meta = row.get("metadata") or {}
    identifier = (_first(meta, "identifier") or "").strip()
    if not identifier:
        raise RowError("row_without_identifier", f"reference {row.get('reference')!r}")
    if _first(meta, "type") != "8":
        return identifier, identifier, ""
    # Cascade calls share their parent topic's identifier; keep them apart.
    number = _cascade_number(row)
    return f"{identifier}/cascade-{number}", identifier, number
