"""Rendering a digest into a `multipart/alternative` email, text part first.

Templates live one folder per email (warehouse-style): `weekly/subject.txt`,
`weekly/body.txt` (written for reading, not stripped HTML) and
`weekly/body.html`, extending `base/` (not `_base/`: pybabel skips folders
whose name starts with "_").
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from digests.build import DigestContext
from digests.formatting import Formatter
from digests.i18n import get_translations
from tracker.config import Settings, get_settings
from tracker.vocab import Language

WEEKLY = "weekly"


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


def render_templates(
    name: str, context: DigestContext, settings: Settings
) -> tuple[str, str, str]:
    """(subject, text, html) of email `name` for the member's language."""
    env = environment(context.language)
    fmt = Formatter(context.language, context.timezone, context.now)
    values: dict[str, Any] = {
        "ctx": context,
        "fmt": fmt,
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
    subject, text, html = render_templates(WEEKLY, context, settings)
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
    # mailto only: there is no web endpoint for RFC 8058 one-click yet.
    sender = parseaddr(settings.MAIL_FROM)[1]
    if sender:
        message["List-Unsubscribe"] = f"<mailto:{sender}?subject=unsubscribe>"
    # Quoted-printable keeps Polish text 7-bit safe for any relay.
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    # After the parts exist: making a multipart moves Content-* headers into them.
    message["Content-Language"] = str(context.language)
    return message
