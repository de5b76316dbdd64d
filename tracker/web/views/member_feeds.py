"""A member's private feeds: the deadlines as iCalendar, the calls as Atom.

Both list what the member's full list shows (digests.build.matching_calls)
and both die with the member's links (token_version). Calendar apps and
feed readers poll: a short private max-age and an ETag keep that cheap,
and no shared cache may keep a member's list.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digests.build import matching_calls
from digests.feeds import build_atom
from digests.formatting import Formatter
from digests.ics import build_calendar, calendar_domain
from tracker.models import Call, Member, utcnow
from tracker.web.i18n import get_translations
from tracker.web.pages import desk_of
from tracker.web.views.member_common import links_of, selection_of, settings_of

# Ten minutes: a renewed list shows soon, a poll every minute costs little.
CACHE_CONTROL = "private, max-age=600"


def calendar(
    request: Request, session: Session, member: Member, form: FormData | None
) -> Response:
    now = utcnow()
    items = matching_calls(session, member, now, selection_of(request))
    body = build_calendar(
        items,
        now=now,
        domain=calendar_domain(settings_of(request)),
        language=member.language,
        timezone=desk_of(request).timezone,
    )
    return _feed(request, body, "text/calendar; charset=utf-8")


def atom(
    request: Request, session: Session, member: Member, form: FormData | None
) -> Response:
    now = utcnow()
    items = matching_calls(session, member, now, selection_of(request))
    ids = [item.id for item in items]
    updated = dict(
        session.execute(select(Call.id, Call.updated_at).where(Call.id.in_(ids))).all()
    )
    links = links_of(request, member, absolute=True)
    gettext = get_translations(member.language).gettext
    body = build_atom(
        items,
        member_name=member.name,
        feed_url=links.atom,
        now=now,
        fmt=Formatter(member.language, desk_of(request).timezone, now),
        updated=updated,
        title=gettext("Funding calls for you"),
        alternate=links.calls,
    )
    return _feed(request, body, "application/atom+xml; charset=utf-8")


def _feed(request: Request, body: bytes, media_type: str) -> Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "X-Robots-Tag": "noindex, nofollow",
        "Referrer-Policy": "no-referrer",
    }
    sent = request.headers.get("if-none-match", "")
    if etag in {tag.strip() for tag in sent.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
