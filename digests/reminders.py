"""Deadline reminders: a member hears of a cut-off the number of days before it
they asked for (`Member.reminder_offsets`, 14 and 3 by default), once.

The rules:

- Who: members who receive mail at all (active, subscribed, frequency not off).
- What: the calls `digests.build.matching_calls` gives for the member (their
  interests, eligibility as an applicant, the coordinators' selection), minus
  those the member marked "not relevant": reminding of them would be noise.
- Which cut-offs: those known to the day (DAY or DATETIME precision; a month
  or a quarter gives no day to count from), still ahead at `now`.
- When: on the calendar day `cut-off date - offset` in TIMEZONE (Europe/Warsaw),
  at whatever hour the job runs that day. A day the job missed is not caught
  up later: the email would give a count of days that is no longer true, and
  the member gets the next, shorter offset anyway.
- Once: one `ReminderDelivery` row per (member, call, cut-off, offset), with the
  digest's status machine (`digests.send`). A cut-off that moves is a new
  cut-off, so it is reminded of again.
- One email a day: several reminders due the same day for one member go out
  as one email listing them, each still with its own row. A rerun that day
  sends only the rows not sent yet, as a new email with its own Message-ID.

Strings live here, marked `R_`/`RN_` for the "reminders" gettext domain (see
`digests.i18n`); the templates only place them, so they add nothing to the
digest's "messages" catalogue.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.lists import format_list
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digests.build import Deadline, matching_calls
from digests.formatting import Formatter
from digests.i18n import REMINDERS, get_translations
from digests.ledger import Outcome, SendReport, receiving_members, triage
from digests.links import member_links, unsubscribe_mailto
from digests.render import UrlHeader
from digests.send import Job, Mailer, Task
from tracker.config import Settings
from tracker.models import Member, MemberFeedback, ReminderDelivery
from tracker.storage import refresh_statuses
from tracker.vocab import DatePrecision, FeedbackKind, Language

EXACT = (DatePrecision.DAY, DatePrecision.DATETIME)


def R_(message: str) -> str:
    """Mark a string of the "reminders" domain; translated where it is shown."""
    return message


def RN_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair of the "reminders" domain."""
    return singular, plural


SUBJECT_ONE = RN_(
    "In %(num)d day: deadline of %(title)s", "In %(num)d days: deadline of %(title)s"
)
SUBJECT_TODAY = R_("Today: deadline of %(title)s")
SUBJECT_MANY = RN_(
    "Deadline reminder: %(num)d call", "Deadline reminders: %(num)d calls"
)
COUNTDOWN = RN_("in %(num)d day", "in %(num)d days")
# "14 and 3 days": the plural follows the last number said.
OFFSETS = RN_(
    "Reminders come %(days)s day before each deadline.",
    "Reminders come %(days)s days before each deadline.",
)
TODAY = R_("today")
TEXTS = {
    "greeting": R_("Hello %(name)s,"),
    "intro_one": R_("A deadline is coming up for a call matching your interests:"),
    "intro_many": R_("Deadlines are coming up for calls matching your interests:"),
    "deadline": R_("Deadline: %(deadline)s"),
    "not_relevant": R_("Not relevant to me"),
    "timezone": R_("Dates and times are %(city)s time."),
    "preferences": R_("Change your reminders and interests"),
    "unsubscribe": R_("Stop all emails"),
    "what": R_("A reminder of an upcoming funding-call deadline."),
}


@dataclass(frozen=True)
class Reminder:
    """One cut-off of one call, due today at one of the member's offsets."""

    call_id: int
    title: str
    funder: str
    programme: str | None
    url: str
    deadline: Deadline
    offset: int  # days before the cut-off

    def key(self, member_id: int) -> dict[str, Any]:
        """The unique key of its `ReminderDelivery` row."""
        return {
            "member_id": member_id,
            "call_id": self.call_id,
            "deadline_at": self.deadline.at,
            "offset_days": self.offset,
        }


def due_reminders(
    session: Session, member: Member, now: datetime, timezone: str
) -> list[Reminder]:
    """The member's reminders due on `now`'s calendar day, soonest cut-off first."""
    offsets = set(member.reminder_offsets or ())
    if not offsets:
        return []
    zone = ZoneInfo(timezone)
    today = today_in(now, timezone)
    dismissed = set(
        session.scalars(
            select(MemberFeedback.call_id).where(
                MemberFeedback.member_id == member.id,
                MemberFeedback.kind == FeedbackKind.NOT_RELEVANT,
            )
        )
    )
    due = [
        Reminder(
            call.id,
            call.title,
            call.funder,
            call.programme,
            call.url,
            cut,
            (cut.at.astimezone(zone).date() - today).days,
        )
        for call in matching_calls(session, member, now)
        if call.id not in dismissed
        for cut in call.deadlines  # those still ahead at `now`
        if cut.precision in EXACT
        and (cut.at.astimezone(zone).date() - today).days in offsets
    ]
    return sorted(due, key=lambda r: (r.deadline.at, r.title.casefold(), r.call_id))


def send_reminders(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    mailer: Mailer | None = None,
) -> SendReport:
    """Send today's reminders to every member who has some; see the module rules."""
    mailer = mailer or Mailer(settings)
    with sessions.begin() as session:
        refresh_statuses(session, now)  # time alone closes calls
        members = receiving_members(session)
    tasks = [
        Task(email, member_id, _reminder_job(sessions, settings, member_id, now))
        for member_id, email in members
    ]
    return asyncio.run(mailer.run(sessions, tasks))


def _reminder_job(
    sessions: sessionmaker[Session], settings: Settings, member_id: int, now: datetime
) -> Callable[[], Job | Outcome]:
    def prepare() -> Job | Outcome:
        with sessions.begin() as session:
            member = session.get_one(Member, member_id)
            due = due_reminders(session, member, now, settings.TIMEZONE)
            if not due:
                return "skipped_empty"
            why_not = {
                r: triage(session, ReminderDelivery, r.key(member_id)) for r in due
            }
            left = [r for r, outcome in why_not.items() if outcome is None]
            if not left:
                return (
                    "uncertain" if "uncertain" in why_not.values() else "already_sent"
                )
            message = render_reminders(member, left, settings, now)
        keys = tuple(r.key(member_id) for r in left)
        day = today_in(now, settings.TIMEZONE)
        return Job(message, ReminderDelivery, keys, f"reminders {day}")

    return prepare


@cache
def environment() -> Environment:
    """Templates that only place strings translated here: no gettext inside."""
    return Environment(
        loader=PackageLoader("digests", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_reminders(
    member: Member, reminders: list[Reminder], settings: Settings, now: datetime
) -> EmailMessage:
    """A multipart email (text first) listing `reminders` in the member's language."""
    language = Language(member.language)
    values = _values(member, reminders, settings, now, language)
    env = environment()
    subject = " ".join(env.get_template("reminder/subject.txt").render(values).split())
    values["subject"] = subject
    text = env.get_template("reminder/body.txt").render(values).strip() + "\n"
    html = env.get_template("reminder/body.html").render(values)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.MAIL_FROM
    message["To"] = Address(display_name=member.name, addr_spec=member.email)
    message["Date"] = format_datetime(now.astimezone(ZoneInfo(settings.TIMEZONE)))
    message["Message-ID"] = _message_id(member.id, reminders, now, settings)
    # RFC 8058 one-click, and mailto for clients that only know that.
    mailto = unsubscribe_mailto(settings)
    message["List-Unsubscribe"] = UrlHeader(
        "List-Unsubscribe",
        f"<{values['links'].unsubscribe}>, <mailto:{mailto}?subject=unsubscribe>",
    )
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    # After the parts exist: making a multipart moves Content-* headers into them.
    message["Content-Language"] = str(language)
    return message


def _values(
    member: Member,
    reminders: list[Reminder],
    settings: Settings,
    now: datetime,
    language: Language,
) -> dict[str, Any]:
    """What the templates show, every word already in the member's language."""
    tr = get_translations(language, REMINDERS)
    fmt = Formatter(language, settings.TIMEZONE, now)
    links = member_links(settings, member)
    texts = {name: tr.gettext(message) for name, message in TEXTS.items()}
    items = [
        {
            "title": r.title,
            "funder": r.funder,
            "programme": r.programme,
            "link": fmt.link(r.url),
            "deadline": texts["deadline"] % {"deadline": fmt.deadline(r.deadline)},
            "countdown": _countdown(tr, r.offset),
            "not_relevant": links.not_relevant(r.call_id),
        }
        for r in reminders
    ]
    offsets = sorted(member.reminder_offsets, reverse=True)
    spoken = format_list([str(n) for n in offsets], locale=fmt.locale)
    return {
        "language": str(language),
        "subject_line": _subject(tr, reminders),
        "preheader": "; ".join(f"{i['title']} ({i['countdown']})" for i in items),
        "greeting": texts["greeting"] % {"name": member.name},
        "intro": texts["intro_one" if len(items) == 1 else "intro_many"],
        "offsets": tr.ngettext(*OFFSETS, offsets[-1]) % {"days": spoken},
        "zone": texts["timezone"] % {"city": fmt.zone_city()},
        "t": texts,
        "items": items,
        "links": links,
        "sender_name": parseaddr(settings.MAIL_FROM)[0] or settings.MAIL_FROM,
    }


def _countdown(tr: Any, days: int) -> str:
    if days == 0:
        return str(tr.gettext(TODAY))
    return str(tr.ngettext(*COUNTDOWN, days) % {"num": days})


def _subject(tr: Any, reminders: list[Reminder]) -> str:
    if len(reminders) > 1:
        return str(tr.ngettext(*SUBJECT_MANY, len(reminders)) % {"num": len(reminders)})
    (only,) = reminders
    if only.offset == 0:
        return str(tr.gettext(SUBJECT_TODAY) % {"title": only.title})
    values = {"num": only.offset, "title": only.title}
    return str(tr.ngettext(*SUBJECT_ONE, only.offset) % values)


def _message_id(
    member_id: int, reminders: list[Reminder], now: datetime, settings: Settings
) -> str:
    """The same id for every attempt at the same set of reminders.

    A later email the same day (a call found since) lists other rows, so it
    gets another id: mail clients must not take it for a duplicate.
    """
    rows = sorted(
        f"{r.call_id}/{r.deadline.at.isoformat()}/{r.offset}" for r in reminders
    )
    digest = hashlib.sha256("|".join(rows).encode()).hexdigest()[:12]
    domain = parseaddr(settings.MAIL_FROM)[1].rpartition("@")[2] or "grants.localhost"
    day = today_in(now, settings.TIMEZONE)
    return f"<reminders-{day}-{member_id}-{digest}@{domain}>"


def today_in(now: datetime, timezone: str) -> date:
    """The calendar day of `now` where the cluster is."""
    return now.astimezone(ZoneInfo(timezone)).date()
