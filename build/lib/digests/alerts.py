"""Crawl-health alerts mailed to the coordinators' address, each alert once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from digests.send import RetryPolicy, deliver_with_retry, send_message
from tracker.config import Settings
from tracker.models import Alert


def pending_alerts(session: Session) -> list[Alert]:
    """Open alerts the coordinators have not been told about."""
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.resolved_at.is_(None), Alert.notified_at.is_(None))
            .options(selectinload(Alert.source))
            .order_by(Alert.raised_at, Alert.id)
        )
    )


def render_alerts(
    alerts: list[Alert], settings: Settings, now: datetime
) -> EmailMessage:
    """A plain-text message listing `alerts` (coordinators read it at the office)."""
    slugs = sorted({a.source.slug for a in alerts})
    noun = "alert" if len(alerts) == 1 else "alerts"
    message = EmailMessage()
    message["Subject"] = f"[grants] {len(alerts)} crawl {noun}: {', '.join(slugs)}"
    message["From"] = settings.MAIL_FROM
    message["To"] = settings.COORDINATORS_EMAIL
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("grants-alerts")
    lines = ["Crawl health needs a look (alerty crawlera):", ""]
    for alert in alerts:
        raised = alert.raised_at.strftime("%Y-%m-%d %H:%M UTC")
        lines += [
            f"* {alert.source.slug} ({alert.source.name}), {alert.kind}, {raised}"
        ]
        lines += [f"  {alert.message}", ""]
    lines += ["`grants sources` shows every source with its last success and errors."]
    message.set_content("\n".join(lines))
    return message


def notify_alerts(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    retry: RetryPolicy | None = None,
) -> int:
    """Mail pending alerts to COORDINATORS_EMAIL; how many were sent (0: none)."""
    if not settings.COORDINATORS_EMAIL:
        return 0
    with sessions.begin() as session:
        alerts = pending_alerts(session)
        if not alerts:
            return 0
        message = render_alerts(alerts, settings, now)
        ids = [a.id for a in alerts]

    async def deliver(msg: EmailMessage) -> None:
        await send_message(msg, settings)

    asyncio.run(deliver_with_retry(message, deliver, retry or RetryPolicy()))
    with sessions.begin() as session:
        for alert in session.scalars(select(Alert).where(Alert.id.in_(ids))):
            alert.notified_at = now
    return len(ids)
