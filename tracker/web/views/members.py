"""The pages members reach from their emails: unsubscribe, "not relevant", their calls.

Every page confirms on GET and acts on POST: mail scanners and link
previewers fetch every link in a message, and must never unsubscribe anyone
or record feedback. Routes live here; preferences and feeds have their own
modules.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from digests.build import matching_calls
from digests.links import (
    ATOM,
    CALENDAR,
    CALLS,
    NOT_RELEVANT,
    PREFERENCES,
    UNSUBSCRIBE,
    unsubscribe_mailto,
)
from tracker.models import Call, Member, MemberFeedback, utcnow
from tracker.tokens import Purpose
from tracker.vocab import FeedbackKind, Language
from tracker.web.views import member_feeds
from tracker.web.views.member_common import (
    RENEWED,
    Endpoint,
    link_not_found,
    links_of,
    member_endpoint,
    render_member,
    selection_of,
    settings_of,
)
from tracker.web.views.member_prefs import preferences


def unsubscribe(
    request: Request, session: Session, member: Member, form: FormData | None
) -> Response:
    """GET asks; POST (our button, or a provider's RFC 8058 one-click) acts.

    Any POST to a genuine link unsubscribes: the button sends the same
    `List-Unsubscribe=One-Click` body a mail provider does, and neither needs a
    cookie. Unsubscribing twice keeps the first date.
    """
    done = form is not None
    if done and member.unsubscribed_at is None:
        member.unsubscribed_at = utcnow()
    context = {"member": member, "links": links_of(request, member), "done": done}
    return render_member(request, "members/unsubscribe.html", member.language, context)


def not_relevant(
    request: Request, session: Session, member: Member, form: FormData | None
) -> Response:
    """A member tells the coordinators a call is not for them; recorded once."""
    call = session.get(Call, request.path_params["call_id"])
    if call is None:
        return link_not_found(request)
    if form is not None:
        _record_not_relevant(session, member, call)
    recorded = _has_feedback(session, member, call)
    context = {
        "member": member,
        "call": call,
        "recorded": recorded,
        "just_recorded": form is not None,
        "links": links_of(request, member),
    }
    return render_member(request, "members/not_relevant.html", member.language, context)


def _has_feedback(session: Session, member: Member, call: Call) -> bool:
    query = select(MemberFeedback.id).where(
        MemberFeedback.member_id == member.id,
        MemberFeedback.call_id == call.id,
        MemberFeedback.kind == FeedbackKind.NOT_RELEVANT,
    )
    return session.scalar(query) is not None


def _record_not_relevant(session: Session, member: Member, call: Call) -> None:
    # INSERT ... ON CONFLICT DO NOTHING: a double click or two tabs posting at
    # once meet the unique constraint without failing the request.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(MemberFeedback).values(
        member_id=member.id,
        call_id=call.id,
        kind=FeedbackKind.NOT_RELEVANT,
        created_at=utcnow(),
    )
    session.execute(statement.on_conflict_do_nothing())


def calls(
    request: Request, session: Session, member: Member, form: FormData | None
) -> Response:
    """The member's full list: what "and N more" in a digest links to."""
    items = matching_calls(session, member, utcnow(), selection_of(request))
    dismissed = set(
        session.scalars(
            select(MemberFeedback.call_id).where(MemberFeedback.member_id == member.id)
        )
    )
    context = {
        "member": member,
        "items": items,
        "dismissed": dismissed,
        "links": links_of(request, member),
    }
    return render_member(request, "members/calls.html", member.language, context)


async def links_renewed(request: Request) -> Response:
    """Where "revoke my links" lands: the old page's own link is dead by now."""
    language = request.path_params["language"]
    if language not in {lang.value for lang in Language}:
        return link_not_found(request)
    contact = unsubscribe_mailto(settings_of(request))
    return render_member(
        request, "members/renewed.html", language, {"contact": contact}
    )


PREFIX = "/m"
Methods = tuple[str, ...]
GET, BOTH = ("GET",), ("GET", "POST")


def _route(path: str, endpoint: Endpoint, methods: Methods = GET) -> Route:
    # digests.links spells the full path; the Mount below adds the prefix back.
    return Route(path.removeprefix(PREFIX), endpoint, methods=list(methods))


# The pages digests link to (digests.links). A Mount of their own: no login,
# no session, no desk CSRF token; the signed link in the path is the key.
MOUNT = Mount(
    PREFIX,
    routes=[
        _route(UNSUBSCRIBE, member_endpoint(Purpose.UNSUBSCRIBE, unsubscribe), BOTH),
        _route(PREFERENCES, member_endpoint(Purpose.PREFERENCES, preferences), BOTH),
        _route(CALLS, member_endpoint(Purpose.PREFERENCES, calls)),
        _route(
            NOT_RELEVANT.replace("{call_id}", "{call_id:int}"),
            member_endpoint(Purpose.FEEDBACK, not_relevant),
            BOTH,
        ),
        _route(CALENDAR, member_endpoint(Purpose.FEED, member_feeds.calendar)),
        _route(ATOM, member_endpoint(Purpose.FEED, member_feeds.atom)),
        _route(RENEWED, links_renewed),
    ],
)
