"""The one item every spider yields: a funding call as its source describes it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal

from tracker.vocab import ApplicantType, CallStatus, DatePrecision, Instrument


@dataclass(frozen=True)
class Deadline:
    """One submission cut-off; `at` is time-zone aware."""

    at: datetime
    label: str | None = None
    precision: DatePrecision = DatePrecision.DATETIME


@dataclass
class FundingCall:
    """A call as scraped. `source` + `source_id` is its natural key."""

    source: str
    source_id: str
    title: str
    url: str
    funder: str
    language: str
    programme: str | None = None
    # The official call number ("FENG.01.01-IP.01-001/23", "ABM/2022/1"), used to
    # recognise one call published by several sources.
    call_identifier: str | None = None
    opening_date: datetime | None = None
    opening_precision: DatePrecision = DatePrecision.DAY
    deadlines: list[Deadline] = field(default_factory=list)
    budget_amount: Decimal | None = None
    budget_currency: str | None = None
    description: str | None = None
    applicant_types: list[ApplicantType] = field(default_factory=list)
    instrument: Instrument | None = None
    # What the source claims; a hint only. `status` is computed from the dates.
    source_status: CallStatus | None = None
    status: CallStatus | None = None
    # Free keywords and programme codes/labels the source attaches; used for tagging.
    keywords: list[str] = field(default_factory=list)
    programme_codes: list[str] = field(default_factory=list)
    # Non-fatal parse problems (a cut JSON string, an unknown code): recorded, counted.
    problems: list[str] = field(default_factory=list)
    # A digest of the call's listing entry; an unchanged entry needs no detail fetch.
    listing_hash: str | None = None


@dataclass(frozen=True)
class CallSeen:
    """A call still listed, unchanged since last time, so its detail was not fetched."""

    source: str
    source_id: str


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Deadline):
        return {
            "at": value.at.isoformat(),
            "label": value.label,
            "precision": str(value.precision),
        }
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def call_to_json(call: FundingCall) -> dict[str, object]:
    """The call as JSON-ready data: field names as in the data model, ISO dates."""
    return {f.name: _json_value(getattr(call, f.name)) for f in fields(call)}
