"""Rendering a digest into an email: text and HTML alternatives, and a calendar.

The message is multipart/mixed: a multipart/alternative (the text part first,
written for reading, then the HTML part) and the deadlines as an iCalendar
attachment. Templates live one folder per email (warehouse-style):
`weekly/subject.txt`, `weekly/body.txt` and `weekly/body.html`, extending
`base/` (not `_base/`: pybabel skips folders whose name starts with "_").

Every digest carries the member's signed links (digests.links), so rendering
needs SECRET_KEY; without it there is no digest to send.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, parseaddr
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from digests.build import DigestContext
from digests.formatting import Formatter
from digests.i18n import get_translations
from digests.ics import build_calendar, calendar_domain
from digests.links import MemberLinks, member_links, unsubscribe_mailto
from tracker.config import Settings, get_settings
from tracker.models import Member
from tracker.vocab import Language

WEEKLY = "weekly"
MIN_SECRET_KEY = 32  # tracker.tokens refuses shorter keys


class MissingSecretKey(RuntimeError):
    """SECRET_KEY is unset or too short to sign the links every digest carries."""


@cache
def environment(language: Language | str) -> Environment:
    """The template environment of one language, built once.

    Gettext callables live in the environment's globals, so each language gets
    its own environment instead of swapping translations on a shared one
    between renders (which would leak across threads and imported macros).
    """
    env = Environment(
        loader=PackageLoader("digests", "templates"),
        # Only the HTML part is escaped; the text part shows scraped text as is.
        autoescape=select_autoescape(["html"], default_for_string=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(get_translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def message_id(period: str, member_id: int, mail_from: str) -> str:
    """The same id for every attempt at one member's digest of one week.

    A resend after a crash is then recognisable as a duplicate by mail clients.
    """
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "grants.localhost"
    return f"<digest-{period}-{member_id}@{domain}>"


def links_for(context: DigestContext, settings: Settings) -> MemberLinks:
    """The member's signed links, or a clear error if they cannot be signed."""
    if len(settings.SECRET_KEY) < MIN_SECRET_KEY:
        raise MissingSecretKey(
            "SECRET_KEY is not set (or shorter than 32 characters): every digest "
            "carries the member's signed links (unsubscribe, preferences, feeds). "
            "Set SECRET_KEY to a long random value, the same as the web app's."
        )
    # A transient stand-in: signing needs only the id and the links' version.
    member = Member(id=context.member_id, token_version=context.token_version)
    return member_links(settings, member)


def render_templates(
    name: str,
    context: DigestContext,
    settings: Settings,
    attachment: str | None = None,
) -> tuple[str, str, str]:
    """(subject, text, html) of email `name` for the member's language.

    `attachment` is the calendar's file name when one goes with the email.
    """
    env = environment(context.language)
    fmt = Formatter(context.language, context.timezone, context.now)
    values: dict[str, Any] = {
        "ctx": context,
        "fmt": fmt,
        "links": links_for(context, settings),
        "attachment": attachment,
        "language": str(context.language),
        "recipient_name": context.member_name,
        "sender_name": parseaddr(settings.MAIL_FROM)[0] or settings.MAIL_FROM,
    }
    subject = env.get_template(f"{name}/subject.txt").render(values)
    # A subject is one line whatever the template's whitespace.
    values["subject"] = " ".join(subject.split())
    values["preheader"] = fmt.preheader(context)
    text = env.get_template(f"{name}/body.txt").render(values)
    html = env.get_template(f"{name}/body.html").render(values)
    return values["subject"], text.strip() + "\n", html


def render_digest(
    context: DigestContext, settings: Settings | None = None
) -> EmailMessage:
    """The weekly digest as an email ready to hand to an SMTP server."""
    settings = settings or get_settings()
    gettext = get_translations(context.language).gettext
    calendar = build_calendar(
        context.items,
        name=gettext("Funding call deadlines"),
        now=context.now,
        domain=calendar_domain(settings),
        language=context.language,
        timezone=context.timezone,
    )
    filename = gettext("deadlines.ics") if b"BEGIN:VEVENT" in calendar else None
    subject, text, html = render_templates(WEEKLY, context, settings, filename)
    links = links_for(context, settings)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.MAIL_FROM
    message["To"] = Address(
        display_name=context.member_name, addr_spec=context.member_email
    )
    message["Date"] = format_datetime(
        context.now.astimezone(ZoneInfo(context.timezone))
    )
    message["Message-ID"] = message_id(
        str(context.period), context.member_id, settings.MAIL_FROM
    )
    # RFC 2369 and RFC 8058: the https link unsubscribes with one POST from
    # the mail provider's button; mailto serves clients without it.
    urls = [links.unsubscribe]
    if "@" in (address := unsubscribe_mailto(settings)):
        urls.append(f"mailto:{address}?subject=unsubscribe")
    message["List-Unsubscribe"] = UrlHeader(
        "List-Unsubscribe", ", ".join(f"<{url}>" for url in urls)
    )
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Quoted-printable keeps Polish text 7-bit safe for any relay.
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    if filename:
        message.add_attachment(
            calendar,
            maintype="text",
            subtype="calendar",
            filename=filename,
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
    # After the parts exist: making a multipart moves Content-* headers into them.
    message["Content-Language"] = str(context.language)
    return message


class UrlHeader(str):
    """A header of <URL>s, written out as given, one URL a line.

    The email package folds an unstructured header longer than 78 characters
    into RFC 2047 encoded words, and a signed URL always is: mail providers
    would then find no URL in List-Unsubscribe. An object with `name` and
    `fold` is stored and written as it is by every `email.policy`, including
    the SMTP policy aiosmtplib flattens with. (A line up to 998 characters
    is allowed, RFC 5322 §2.1.1.)
    """

    name: str

    def __new__(cls, name: str, value: str) -> UrlHeader:
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        separator = "," + policy.linesep + " "
        return f"{self.name}: {separator.join(self.split(', '))}{policy.linesep}"
