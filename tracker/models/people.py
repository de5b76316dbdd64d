"""Members who read digests, coordinators who review calls, and their records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, utcnow
from tracker.models.calls import Call
from tracker.types import str_enum
from tracker.vocab import (
    ApplicantType,
    DeliveryStatus,
    FeedbackKind,
    Frequency,
    Language,
    ReviewAction,
)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[Language] = mapped_column(str_enum(Language))
    interests: Mapped[list] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    organisation: Mapped[str | None] = mapped_column(String(300))
    # A hard eligibility filter: an SME is not sent calls only universities enter.
    applicant_type: Mapped[ApplicantType | None] = mapped_column(
        str_enum(ApplicantType)
    )
    region: Mapped[str | None] = mapped_column(String(100))
    frequency: Mapped[Frequency] = mapped_column(
        str_enum(Frequency), default=Frequency.WEEKLY, server_default="weekly"
    )
    # Days before a deadline on which a reminder goes out.
    reminder_offsets: Mapped[list] = mapped_column(default=lambda: [14, 3])
    # Part of every signed link (unsubscribe, preferences, feeds): bumping it
    # revokes them all at once.
    token_version: Mapped[int] = mapped_column(default=1, server_default="1")
    unsubscribed_at: Mapped[datetime | None]
    # A permanent delivery failure (5xx for the address): coordinators check it.
    flagged_at: Mapped[datetime | None]
    flag_reason: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"Member(email={self.email!r})"


class MemberFeedback(Base):
    """A member's "not relevant" on a call, for the coordinators and the tagger."""

    __tablename__ = "member_feedback"
    __table_args__ = (UniqueConstraint("member_id", "call_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FeedbackKind] = mapped_column(str_enum(FeedbackKind))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship()
    call: Mapped[Call] = relationship()


class ReminderDelivery(Base):
    """At most one reminder per member, call, cut-off and offset (days before)."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("member_id", "call_id", "deadline_at", "offset_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    deadline_at: Mapped[datetime]
    offset_days: Mapped[int]
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus))
    message_id: Mapped[str] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship()
    call: Mapped[Call] = relationship()


class DigestDelivery(Base):
    """At most one digest per member and period (an ISO week such as 2026-W48)."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("member_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus))
    message_id: Mapped[str] = mapped_column(String(300))
    call_count: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship()


class User(Base):
    """A coordinator who reviews calls at the desk."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    language: Mapped[Language] = mapped_column(str_enum(Language))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"User(email={self.email!r})"


class ReviewLog(Base):
    """Who did what to which call, and when; `undone_at` when it was reversed."""

    __tablename__ = "review_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[ReviewAction] = mapped_column(str_enum(ReviewAction))
    # What the action changed: {"old": ..., "new": ...} and its subject (a tag).
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    call: Mapped[Call] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
