"""Field parsers for NCBR: competition-search API rows and schedule entries."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from parsel import Selector

from spiders.items import Deadline
from spiders.parsing import (
    AmountParseError,
    DateParseError,
    FuzzyDate,
    Money,
    is_undetermined,
    parse_amount,
    parse_date,
)
from spiders.sources._gov_pl import node_text
from tracker.vocab import ApplicantType, CallStatus, DatePrecision

STATUS = {
    "ANNOUNCED": CallStatus.FORTHCOMING,
    "APPLICATIONS_IN_PROGRESS": CallStatus.OPEN,
    "APPLICATIONS_IN_EVALUATION": CallStatus.CLOSED,
    "FINISHED": CallStatus.CLOSED,
}
APPLICANTS = {
    "sme": ApplicantType.SME,
    "micro": ApplicantType.SME,
    "large_enterprise": ApplicantType.LARGE_COMPANY,
    "consortium": ApplicantType.CONSORTIUM,
    "research_unit": ApplicantType.RESEARCH_INSTITUTE,
    "university": ApplicantType.UNIVERSITY,
    "ngo": ApplicantType.NGO,
    "public_institution": ApplicantType.PUBLIC_BODY,
    "scientist": ApplicantType.INDIVIDUAL_RESEARCHER,
    "individual": ApplicantType.INDIVIDUAL_RESEARCHER,
}
# Thematic-area codes and the Polish words they stand for (keywords for tagging).
THEMATIC_AREAS = {
    "healthy_society": "zdrowe społeczeństwo",
    "agri_food": "biogospodarka rolno-spożywcza",
    "circular_economy": "gospodarka obiegu zamkniętego",
    "sustainable_energy": "zrównoważona energia",
    "innovative_technologies": "innowacyjne technologie",
    "defence_and_security": "obronność i bezpieczeństwo",
}
FUNDING_SOURCES = {
    "eu_funds": "fundusze europejskie",
    "national_funds": "środki krajowe",
}
# Schedule list labels (lower case) and the fields they give.
SCHEDULE_LABELS = {
    "alokacja": "budget",
    "ogłoszenie konkursu": "announcement",
    "rozpoczęcie naboru wniosków": "start",
    "zakończenie naboru wniosków": "end",
}
# A `dates` entry that closes a round: "Zakończenie naboru – runda 2".
_CLOSING = re.compile(r"zako[nń]czeni|termin sk[łl]adania", re.I)
_ROUND = re.compile(r"\brund\w*\s*(\d+)|\b(\d+)\.?\s*rund", re.I)


class RowError(Exception):
    """A row that cannot become a call; `kind` is counted in the crawl stats."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def json_field(row: Mapping[str, Any], key: str, problems: list[str]) -> list[Any]:
    """A JSON array kept in a string field; a cut string is a problem, not a crash."""
    raw = row.get(key)
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            problems.append(f"{key}_malformed: not valid JSON ({len(raw)} chars)")
            return []
    return raw if isinstance(raw, list) else [raw]


def coded(
    values: list[Any], table: Mapping[str, Any], key: str, problems: list[str]
) -> list[Any]:
    """The table's values for known codes; each unknown code is a problem."""
    found = []
    for code in map(str, values):
        if code in table:
            found.append(table[code])
        else:
            problems.append(f"unknown_code: {key} {code}")
    return list(dict.fromkeys(found))


def coded_field(
    row: Mapping[str, Any], key: str, table: Mapping[str, Any], problems: list[str]
) -> list[Any]:
    """A JSON-in-string list of codes, mapped through `table`."""
    return coded(json_field(row, key, problems), table, key, problems)


def stamp(value: Any, key: str) -> FuzzyDate | None:
    """A naive Warsaw timestamp; midnight is read as a bare day (assumed)."""
    if value is None or value == "":
        return None
    text = str(value)
    if text.endswith("T00:00:00"):
        text = text[:10]
    try:
        return parse_date(text)
    except DateParseError as exc:
        raise RowError("bad_date", f"{key} {value!r}") from exc


def deadlines(
    row: Mapping[str, Any], dates: list[Any], tz: str, problems: list[str]
) -> list[Deadline]:
    """Round closings named in `dates`, else (or also) applicationsEndDate."""
    found: list[Deadline] = []
    for entry in dates:
        name = str(entry.get("name", "")) if isinstance(entry, dict) else ""
        if not _CLOSING.search(name):
            continue
        try:
            when = stamp(entry.get("value"), "dates")
        except RowError as exc:
            problems.append(f"bad_date: {exc}")
            continue
        if when is not None:
            match = _ROUND.search(name)
            label = f"runda {match[1] or match[2]}" if match else None
            found.append(when.to_deadline(tz, label))
    end = stamp(row.get("applicationsEndDate"), "applicationsEndDate")
    if end is not None and end.deadline(tz) not in {d.at for d in found}:
        found.append(end.to_deadline(tz))
    return found


def opening(
    row: Mapping[str, Any], tz: str
) -> tuple[datetime | None, FuzzyDate | None]:
    """applicationsStartDate as an aware opening, with its parsed form."""
    start = stamp(row.get("applicationsStartDate"), "applicationsStartDate")
    return (start.opening(tz) if start else None), start


def budget(text: Any, problems: list[str]) -> Money | None:
    """The budget prose; "100% kosztów kwalifikowanych" is no amount (a problem)."""
    if not text:
        return None
    try:
        return parse_amount(str(text))
    except AmountParseError:
        problems.append(f"budget_unparsed: {text}")
        return None


def status(value: Any, problems: list[str]) -> CallStatus | None:
    """The API's status word as a hint; an unknown word is a problem."""
    if value in (None, ""):
        return None
    if value not in STATUS:
        problems.append(f"unknown_code: status {value}")
    return STATUS.get(str(value))


def schedule_lines(entry: Selector) -> list[tuple[str, str]]:
    """A schedule entry's "Label: value" list items."""
    lines = []
    for item in entry.css("li"):
        label, _, value = node_text(item).partition(":")
        if value.strip():
            lines.append((label.strip(), value.strip()))
    return lines


def schedule_date(text: str | None, today: date, what: str) -> FuzzyDate | None:
    """A schedule date; None when it is "w trakcie ustalania" or absent."""
    if text is None or is_undetermined(text):
        return None
    try:
        return parse_date(text, today=today)
    except DateParseError as exc:
        raise RowError("bad_date", f"{what} {text!r}") from exc


def still_planned(announced: FuzzyDate | None, today: date) -> bool:
    """Not announced yet: no date, only a month or quarter, or a day to come."""
    if announced is None:
        return True
    fuzzy = announced.precision in (DatePrecision.MONTH, DatePrecision.QUARTER)
    return fuzzy or announced.first > today
