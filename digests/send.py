"""Sending mail that never gets lost and never goes out twice.

The status machine of the delivery rows is in `digests.ledger`, the SMTP side
in `digests.outbox`; here a run's workers tie them together (`Mailer`), and
the weekly digest goes out with them. A 5xx for the recipient also flags the
member (`Member.flagged_at`) for the coordinators.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digests.build import build_digest
from digests.ledger import (
    Claim,
    Ledger,
    LostClaim,
    Outcome,
    SendReport,
    claim,
    flag_member,
    receiving_members,
    triage,
)
from digests.outbox import (
    Deliver,
    HookConnection,
    RateLimiter,
    RetryPolicy,
    SmtpConnection,
    deliver_with_retry,
    is_temporary,
    refused_for_good,
    send_message,
    smtp_options,
)
from digests.period import Period
from digests.render import render_digest
from tracker.config import Settings
from tracker.models import DigestDelivery, Member, utcnow
from tracker.storage import refresh_statuses
from tracker.vocab import DeliveryStatus

log = logging.getLogger(__name__)
_S = DeliveryStatus

# What callers imported from here before the split (alerts, tests, the CLI).
__all__ = [
    "Hooks",
    "Mailer",
    "RateLimiter",
    "RetryPolicy",
    "SendReport",
    "deliver_with_retry",
    "resend_digest",
    "send_message",
    "send_weekly_digests",
    "smtp_options",
]


def _nothing(email: str) -> None:
    return None


@dataclass(frozen=True)
class Hooks:
    """Seams for fault-injection tests, called with the recipient's address."""

    accepted: Callable[[str], None] = _nothing  # the server said 250, not recorded
    recorded: Callable[[str], None] = _nothing  # "sent" is committed


@dataclass(frozen=True)
class Job:
    """One email ready to go, and the delivery rows it stands for."""

    message: EmailMessage
    model: Ledger
    keys: tuple[dict[str, Any], ...]
    what: str  # for the flag reason: "digest 2026-W48"
    sent_values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """A member to consider; `prepare` builds their email or says why there is none.

    `prepare` runs when a worker takes the task, so its status checks are fresh.
    """

    email: str
    member_id: int
    prepare: Callable[[], Job | Outcome]


@dataclass
class Mailer:
    """The sending side of a run: workers, connections, pacing, retries."""

    settings: Settings
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    deliver: Deliver | None = None  # replaces SMTP when given
    hooks: Hooks = field(default_factory=Hooks)
    limiter: RateLimiter | None = None  # default: SMTP_RATE_PER_MINUTE

    async def run(
        self, sessions: sessionmaker[Session], tasks: Sequence[Task]
    ) -> SendReport:
        """Work through `tasks` with SMTP_CONCURRENCY workers; report in task order."""
        limiter = self.limiter or RateLimiter(self.settings.smtp_rate_per_minute)
        results: list[tuple[Outcome, str | None]] = [("failed", None)] * len(tasks)
        queue = iter(enumerate(tasks))  # shared: each worker takes the next task

        async def worker() -> None:
            connection = (
                HookConnection(self.deliver)
                if self.deliver
                else SmtpConnection(self.settings)
            )
            try:
                for index, task in queue:
                    results[index] = await self._one(
                        sessions, task, connection, limiter
                    )
            finally:
                await connection.close()

        workers = max(1, min(self.settings.smtp_concurrency, len(tasks)))
        await asyncio.gather(*(worker() for _ in range(workers)))
        report = SendReport()
        for task, (outcome, error) in zip(tasks, results, strict=True):
            report.record(task.email, outcome, error)
        return report

    async def _one(
        self,
        sessions: sessionmaker[Session],
        task: Task,
        connection: SmtpConnection | HookConnection,
        limiter: RateLimiter,
    ) -> tuple[Outcome, str | None]:
        try:
            job = task.prepare()
        except Exception as error:
            # One member's bad data must not keep the others' mail back.
            log.exception("could not prepare mail for member %s", task.member_id)
            return "failed", _describe(error)
        if isinstance(job, str):
            return job, None
        held = claim(sessions, job.model, job.keys, job.message["Message-ID"])
        if held is None:
            return "already_sent", None  # another runner holds or finished it
        return await self._attempts(sessions, task, job, held, connection, limiter)

    async def _attempts(
        self,
        sessions: sessionmaker[Session],
        task: Task,
        job: Job,
        held: Claim,
        connection: SmtpConnection | HookConnection,
        limiter: RateLimiter,
    ) -> tuple[Outcome, str | None]:
        def before_data() -> None:
            if not held.move(sessions, _S.SENDING, only_from=(_S.PENDING,)):
                raise LostClaim

        for attempt in range(1, self.retry.attempts + 1):
            await limiter.wait()
            try:
                await connection.send(job.message, before_data)
            except LostClaim:
                return "already_sent", None
            except Exception as error:
                text = _describe(error)
                if attempt < self.retry.attempts and is_temporary(error):
                    # Not accepted: back to pending, safe to hand over again.
                    held.move(sessions, _S.PENDING, last_error=text)
                    log.warning("temporary failure for %s (%s)", task.email, text)
                    await self.retry.sleep(self.retry.backoff * 2 ** (attempt - 1))
                    continue
                held.move(sessions, _S.FAILED, last_error=text)
                if refused_for_good(error):
                    flag_member(sessions, task.member_id, f"{text} ({job.what})")
                log.error("%s for %s failed: %s", job.what, task.email, text)
                return "failed", text
            self.hooks.accepted(task.email)
            values = {"sent_at": utcnow(), "last_error": None, **job.sent_values}
            held.move(sessions, _S.SENT, **values)
            self.hooks.recorded(task.email)
            return "sent", None
        raise AssertionError("unreachable: the last attempt returns")


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def send_weekly_digests(
    sessions: sessionmaker[Session],
    settings: Settings,
    period: Period,
    now: datetime,
    *,
    deliver: Deliver | None = None,
    retry: RetryPolicy | None = None,
    mailer: Mailer | None = None,
) -> SendReport:
    """Send `period`'s digest to every member who wants it; see the module docstring.

    `deliver` replaces SMTP and `retry` the retry policy; a `mailer` sets
    every sending seam at once (then those two are not used).
    """
    mailer = mailer or Mailer(settings, retry or RetryPolicy(), deliver)
    with sessions.begin() as session:
        # Time alone closes calls; record it before anyone reads the digest.
        refresh_statuses(session, now)
        members = receiving_members(session)
    tasks = [
        Task(email, member_id, _digest_job(sessions, settings, member_id, period, now))
        for member_id, email in members
    ]
    return asyncio.run(mailer.run(sessions, tasks))


def _digest_job(
    sessions: sessionmaker[Session],
    settings: Settings,
    member_id: int,
    period: Period,
    now: datetime,
) -> Callable[[], Job | Outcome]:
    key = {"member_id": member_id, "period": str(period)}

    def prepare() -> Job | Outcome:
        with sessions.begin() as session:
            if skipped := triage(session, DigestDelivery, key):
                return skipped
            member = session.get_one(Member, member_id)
            context = build_digest(session, member, period, now, settings.TIMEZONE)
            if context.is_empty:
                # No row: a call that appears later this week can still be sent.
                return "skipped_empty"
            message = render_digest(context, settings)
        count = {"call_count": context.call_count}
        return Job(message, DigestDelivery, (key,), f"digest {period}", count)

    return prepare


def resend_digest(
    sessions: sessionmaker[Session],
    settings: Settings,
    email: str,
    period: Period,
    now: datetime,
    *,
    force: bool = False,
    mailer: Mailer | None = None,
) -> SendReport:
    """A coordinator's decision: send `period`'s digest to one member again.

    For an `uncertain` (or failed) row; a row already `sent` needs `force`.
    Raises ValueError when there is no such member or they want no mail.
    """
    mailer = mailer or Mailer(settings)
    with sessions.begin() as session:
        wanted = {address: id_ for id_, address in receiving_members(session)}
        if email not in wanted:
            raise ValueError(f"{email} is not a member receiving digests")
        row = session.scalar(
            select(DigestDelivery).where(
                DigestDelivery.member_id == wanted[email],
                DigestDelivery.period == str(period),
            )
        )
        if row is not None and row.status is _S.SENT and not force:
            raise ValueError(f"the digest {period} was sent to {email} already")
        if row is not None:
            row.status = _S.PENDING  # the attempt count stays: claims still race
    member_id = wanted[email]
    prepare = _digest_job(sessions, settings, member_id, period, now)
    return asyncio.run(mailer.run(sessions, [Task(email, member_id, prepare)]))
