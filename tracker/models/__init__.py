"""Typed SQLAlchemy models of the tracker, one module per area."""

from tracker.models.base import NAMING_CONVENTION, Base, utcnow
from tracker.models.calls import Call, CallDeadline, CallTag, CallVersion, Source
from tracker.models.crawls import Alert, CrawlRun
from tracker.models.people import (
    DigestDelivery,
    Member,
    MemberFeedback,
    ReminderDelivery,
    ReviewLog,
    User,
)

__all__ = [
    "NAMING_CONVENTION",
    "Alert",
    "Base",
    "Call",
    "CallDeadline",
    "CallTag",
    "CallVersion",
    "CrawlRun",
    "DigestDelivery",
    "Member",
    "MemberFeedback",
    "ReminderDelivery",
    "ReviewLog",
    "Source",
    "User",
    "utcnow",
]
