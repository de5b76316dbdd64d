"""Delivery rows and their status machine: what makes a message go out once.

Every email stands for delivery rows (one `DigestDelivery` per member and
week, one `ReminderDelivery` per member, call, cut-off and offset), unique in
the schema, moving through `tracker.vocab.DeliveryStatus`:

    pending --(RCPT accepted, just before DATA)--> sending --(250)--> sent
    pending <--(4xx or dropped connection: retried in the run)-- sending
    pending/sending --(5xx, or 4xx after the last try)--> failed
    failed --(the next run claims it again)--> pending

Each step is its own committed transaction guarded by the row's attempt count
(a compare-and-set), so two runners can never both push a row through DATA.
A run that dies between "sending" and "sent" cannot know whether the message
left: the next run marks the row `uncertain` and leaves it to a coordinator
(`grants digest resend`) rather than risk a second copy. Everything before
"sending" is safe to repeat: the server has not been given the message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tracker.models import DigestDelivery, Member, ReminderDelivery, utcnow
from tracker.vocab import DeliveryStatus, Frequency

log = logging.getLogger(__name__)

Outcome = Literal["sent", "skipped_empty", "already_sent", "failed", "uncertain"]
Ledger = type[DigestDelivery] | type[ReminderDelivery]
_S = DeliveryStatus
RESENDABLE = (_S.PENDING, _S.FAILED)


@dataclass
class SendReport:
    """How many members got each outcome; `outcomes` and `errors` say who."""

    sent: int = 0
    skipped_empty: int = 0
    already_sent: int = 0
    failed: int = 0
    # The message may or may not have left in a run that died: a coordinator decides.
    uncertain: int = 0
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # email -> outcome
    errors: dict[str, str] = field(default_factory=dict)  # email -> last error

    @property
    def ok(self) -> bool:
        return not (self.failed or self.uncertain)

    def record(self, email: str, outcome: Outcome, error: str | None = None) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.outcomes[email] = outcome
        if error:
            self.errors[email] = error

    def emails(self, outcome: Outcome) -> list[str]:
        """Addresses with `outcome`, in the order members were taken."""
        return [email for email, done in self.outcomes.items() if done == outcome]


class LostClaim(Exception):
    """Another runner took the row over, or it is no longer ours to send."""


@dataclass(frozen=True)
class Claim:
    """Delivery rows this run holds: (row id, attempt count) of each."""

    model: Ledger
    held: tuple[tuple[int, int], ...]

    def move(
        self,
        sessions: sessionmaker[Session],
        status: DeliveryStatus,
        only_from: Sequence[DeliveryStatus] = (),
        **values: Any,
    ) -> bool:
        """Set every held row to `status`, or none of them if one is not ours."""
        model = self.model
        try:
            with sessions.begin() as session:
                for row_id, attempts in self.held:
                    query = update(model).where(
                        model.id == row_id, model.attempts == attempts
                    )
                    if only_from:
                        query = query.where(model.status.in_(only_from))
                    done = session.execute(query.values(status=status, **values))
                    if done.rowcount != 1:  # type: ignore[attr-defined]
                        raise LostClaim
        except LostClaim:
            return False
        return True


def claim(
    sessions: sessionmaker[Session],
    model: Ledger,
    keys: Sequence[dict[str, Any]],
    message_id: str,
) -> Claim | None:
    """Insert or take back (pending, one more attempt) the rows of `keys`, all or none.

    Only one runner can win a row: inserts race on the unique key, takeovers
    compare-and-set the attempt count.
    """
    held = []
    try:
        with sessions.begin() as session:
            for key in keys:
                where = [getattr(model, name) == value for name, value in key.items()]
                row = session.scalar(select(model).where(*where))
                if row is None:
                    row = model(**key, status=_S.PENDING, message_id=message_id)
                    row.attempts = 1
                    session.add(row)
                    session.flush()
                    held.append((row.id, 1))
                    continue
                seen = row.attempts
                taken = session.execute(
                    update(model)
                    .where(model.id == row.id, model.attempts == seen)
                    .where(model.status.in_(RESENDABLE))
                    .values(attempts=seen + 1, status=_S.PENDING)
                    .values(message_id=message_id)
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    raise LostClaim
                held.append((row.id, seen + 1))
    except (LostClaim, IntegrityError):
        return None
    return Claim(model, tuple(held))


def triage(session: Session, model: Ledger, key: dict[str, Any]) -> Outcome | None:
    """None when the row may be sent; otherwise why not.

    A row left "sending" belongs to a run that died mid-message: it becomes
    `uncertain` here, once, and is never sent again automatically.
    """
    where = [getattr(model, name) == value for name, value in key.items()]
    status = session.scalar(select(model.status).where(*where))
    if status is None or status in RESENDABLE:
        return None
    if status is _S.SENDING:
        session.execute(
            update(model)
            .where(*where, model.status == _S.SENDING)
            .values(status=_S.UNCERTAIN)
        )
        log.error("%s %s may or may not have been sent: uncertain", model.__name__, key)
    return "already_sent" if status is _S.SENT else "uncertain"


def flag_member(sessions: sessionmaker[Session], member_id: int, reason: str) -> None:
    """Mark the member for the coordinators: their address refuses our mail."""
    with sessions.begin() as session:
        session.execute(
            update(Member)
            .where(Member.id == member_id)
            .values(flagged_at=utcnow(), flag_reason=reason[:2000])
        )


def receiving_members(session: Session) -> list[tuple[int, str]]:
    """(id, email) of members who want mail: active, subscribed, not "off"."""
    rows = session.execute(
        select(Member.id, Member.email)
        .where(
            Member.active,
            Member.unsubscribed_at.is_(None),
            Member.frequency != Frequency.OFF,
        )
        .order_by(Member.id)
    )
    return [(member_id, email) for member_id, email in rows]
