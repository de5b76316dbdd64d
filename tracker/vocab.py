"""Closed vocabularies shared by spiders, tracker and digests."""

from __future__ import annotations

from enum import StrEnum


class CallStatus(StrEnum):
    """Where a call stands; always computed from its dates (see `tracker.status`)."""

    FORTHCOMING = "forthcoming"
    OPEN = "open"
    CLOSED = "closed"


class Instrument(StrEnum):
    GRANT = "grant"
    CASCADE = "cascade"
    LOAN = "loan"
    VOUCHER = "voucher"
    PRIZE = "prize"
    FELLOWSHIP = "fellowship"
    TENDER = "tender"


class ApplicantType(StrEnum):
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"
    SME = "sme"
    LARGE_COMPANY = "large_company"
    NGO = "ngo"
    PUBLIC_BODY = "public_body"
    INDIVIDUAL_RESEARCHER = "individual_researcher"
    CONSORTIUM = "consortium"


class Domain(StrEnum):
    """The cluster's top-level domain tags."""

    BIOTECH = "biotech"
    HEALTH = "health"
    PHARMA = "pharma"
    BIOECONOMY = "bioeconomy"
    AGRIFOOD = "agrifood"
    ENVIRONMENT = "environment"


class TagOrigin(StrEnum):
    RULE = "rule"
    SOURCE = "source"
    COORDINATOR = "coordinator"


class DatePrecision(StrEnum):
    """How much of a date the source actually gave; never invent the rest."""

    DATETIME = "datetime"
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"


class Language(StrEnum):
    PL = "pl"
    EN = "en"


class CrawlOutcome(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    """A message's way out. `sending` is committed just before the SMTP DATA
    command: a run that dies after it cannot know whether the message left, so
    the row becomes `uncertain` for a coordinator rather than being sent twice."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


class Frequency(StrEnum):
    WEEKLY = "weekly"
    OFF = "off"


class FeedbackKind(StrEnum):
    NOT_RELEVANT = "not_relevant"


class AlertKind(StrEnum):
    """Why a source's crawl health needs a coordinator's eyes."""

    NO_CALLS = "no_calls"  # zero calls from a source that had some
    DROP = "drop"  # less than half of the recent runs' calls
    VALIDATION = "validation"  # more than 10% of the calls failed validation
    STALE = "stale"  # no successful crawl for 3 days
    FAILED = "failed"  # the last crawl failed


class ReviewState(StrEnum):
    """A coordinator's decision on a call; `pending` until someone decides."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReviewAction(StrEnum):
    """What a coordinator did to a call; each is logged and can be undone."""

    APPROVE = "approve"
    REJECT = "reject"
    TAG_ADD = "tag_add"
    TAG_REMOVE = "tag_remove"
    NOTE = "note"
    INTERNAL_DEADLINE = "internal_deadline"
    PICK = "pick"
    UNPICK = "unpick"
    CONFIRM_WITHDRAWN = "confirm_withdrawn"
