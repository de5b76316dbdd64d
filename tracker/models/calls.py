"""Calls as the tracker keeps them: sources, calls, deadlines, versions, tags."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, utcnow
from tracker.types import str_enum
from tracker.vocab import (
    CallStatus,
    DatePrecision,
    Instrument,
    Language,
    ReviewState,
    TagOrigin,
)


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    funder: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    # An aggregator (the national EU-funds portal): its copy of a call yields to
    # the operator's own when the two are merged.
    catch_all: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"Source(slug={self.slug!r})"


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (UniqueConstraint("source_id", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    # The funder's own identifier of the call (topic code, call number, path).
    source_key: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    funder: Mapped[str] = mapped_column(String(200))
    programme: Mapped[str | None] = mapped_column(String(300))
    call_identifier: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000))
    language: Mapped[Language] = mapped_column(str_enum(Language))
    opening_date: Mapped[datetime | None]
    opening_precision: Mapped[DatePrecision] = mapped_column(
        str_enum(DatePrecision), default=DatePrecision.DAY, server_default="day"
    )
    budget_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    description: Mapped[str | None] = mapped_column(Text)
    applicant_types: Mapped[list] = mapped_column(default=list)
    instrument: Mapped[Instrument | None] = mapped_column(str_enum(Instrument))
    status: Mapped[CallStatus] = mapped_column(str_enum(CallStatus), index=True)
    source_status: Mapped[CallStatus | None] = mapped_column(str_enum(CallStatus))
    keywords: Mapped[list] = mapped_column(default=list)
    programme_codes: Mapped[list] = mapped_column(default=list)
    problems: Mapped[list] = mapped_column(default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    listing_hash: Mapped[str | None] = mapped_column(String(64))
    # Set when a still-open call vanished from its source; a coordinator confirms.
    missing_since: Mapped[datetime | None]
    # The same call published by another source: this row is kept, linked and
    # explained, and the canonical row speaks for both.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("calls.id", ondelete="SET NULL"), index=True
    )
    merge_reason: Mapped[str | None] = mapped_column(Text)
    # How much the call matters to the cluster, 0..1, from the tagger.
    relevance: Mapped[float] = mapped_column(default=0.0, server_default="0")
    # The coordinators' desk: decision, queue flag, pick, note, internal deadline.
    review_state: Mapped[ReviewState] = mapped_column(
        str_enum(ReviewState), default=ReviewState.PENDING, server_default="pending"
    )
    # New calls and material changes (re-)enter the review queue.
    needs_review: Mapped[bool] = mapped_column(default=True, server_default=true())
    pick: Mapped[bool] = mapped_column(default=False, server_default=false())
    note: Mapped[str | None] = mapped_column(Text)
    # e.g. the date by which the cluster needs a letter-of-support request
    internal_deadline: Mapped[date | None]
    withdrawn_confirmed_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    source: Mapped[Source] = relationship()
    merged_into: Mapped[Call | None] = relationship(
        remote_side="Call.id", back_populates="duplicates"
    )
    duplicates: Mapped[list[Call]] = relationship(back_populates="merged_into")
    deadlines: Mapped[list[CallDeadline]] = relationship(
        back_populates="call",
        order_by="CallDeadline.at",
        cascade="all, delete-orphan",
    )
    tags: Mapped[list[CallTag]] = relationship(
        back_populates="call", cascade="all, delete-orphan"
    )
    versions: Mapped[list[CallVersion]] = relationship(
        back_populates="call",
        order_by="CallVersion.id",
        cascade="all, delete-orphan",
    )

    @property
    def next_deadline(self) -> datetime | None:
        """The earliest cut-off still ahead, else the last one."""
        now = utcnow()
        ahead = [d.at for d in self.deadlines if d.at >= now]
        if ahead:
            return min(ahead)
        return max((d.at for d in self.deadlines), default=None)

    def __repr__(self) -> str:
        return f"Call(source_key={self.source_key!r}, status={self.status!r})"


class CallDeadline(Base):
    __tablename__ = "call_deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    label: Mapped[str | None] = mapped_column(String(100))
    precision: Mapped[DatePrecision] = mapped_column(str_enum(DatePrecision))

    call: Mapped[Call] = relationship(back_populates="deadlines")


class CallVersion(Base):
    """One material change of a call: `changes` maps field -> {"old": .., "new": ..}."""

    __tablename__ = "call_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    changes: Mapped[dict[str, Any]]

    call: Mapped[Call] = relationship(back_populates="versions")


class CallTag(Base):
    __tablename__ = "call_tags"
    __table_args__ = (UniqueConstraint("call_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    tag: Mapped[str] = mapped_column(String(64), index=True)
    origin: Mapped[TagOrigin] = mapped_column(str_enum(TagOrigin))
    # The words or field that produced the tag, so a coordinator can judge it.
    evidence: Mapped[str | None] = mapped_column(Text)
    # A coordinator removed it: kept, so that rules never put it back.
    suppressed: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    call: Mapped[Call] = relationship(back_populates="tags")
