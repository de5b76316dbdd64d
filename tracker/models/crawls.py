"""Crawl runs and the health alerts judged from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, utcnow
from tracker.models.calls import Source
from tracker.types import str_enum
from tracker.vocab import (
    AlertKind,
    CrawlOutcome,
)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[CrawlOutcome] = mapped_column(str_enum(CrawlOutcome))
    items_scraped: Mapped[int] = mapped_column(default=0)
    items_new: Mapped[int] = mapped_column(default=0)
    items_changed: Mapped[int] = mapped_column(default=0)
    items_unchanged: Mapped[int] = mapped_column(default=0)
    items_dropped: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    # Reasons for drops, parse problems and errors, capped, for the health report.
    messages: Mapped[list] = mapped_column(default=list)

    source: Mapped[Source] = relationship()


class Alert(Base):
    """A crawl-health problem of a source, open until the condition clears."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    kind: Mapped[AlertKind] = mapped_column(str_enum(AlertKind))
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]

    source: Mapped[Source] = relationship()
