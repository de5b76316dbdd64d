"""What every member page shares: the signed link, the member's language, rendering.

Member pages (/m/...) need no login: the signed token in the URL is the
secret (tracker.tokens). They never touch the desk's session cookie, so a
mail provider's one-click POST, which carries no cookie, is served like any
other request. Pages speak the member's language, not the session's.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from digests.build import Selection
from digests.formatting import Formatter
from digests.links import MemberLinks, member_links, unsubscribe_mailto
from tracker.config import Settings
from tracker.models import Member, utcnow
from tracker.tokens import InvalidToken, Purpose, read_token
from tracker.vocab import Language
from tracker.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, environment
from tracker.web.pages import desk_of, security_headers

# A preferences form left open longer than this is refused once, then re-shown.
FORM_MAX_AGE = 12 * 60 * 60
FORM_FIELD = "form_token"
# Where "revoke my links" lands: the page that asked is dead by then.
RENEWED = "/m/links-renewed/{language}"

Endpoint = Callable[[Request], Awaitable[Response]]
MemberHandler = Callable[[Request, Session, Member, FormData | None], Response]


def settings_of(request: Request) -> Settings:
    """The app's settings, with the key the desk really signs with."""
    settings: Settings = request.app.state.settings
    # In development the desk may run on a random key; links must use it too.
    return replace(settings, SECRET_KEY=desk_of(request).secret_key)


def selection_of(request: Request) -> Selection:
    """Which calls members see: the app's DIGEST_MODE, as the digests apply it."""
    settings: Settings = request.app.state.settings
    return Selection(settings.DIGEST_MODE, settings.digest_min_relevance)


def links_of(
    request: Request, member: Member, *, absolute: bool = False
) -> MemberLinks:
    """The member's links: paths between pages, PUBLIC_BASE_URL ones to copy.

    Pages link to each other by path, which is right behind any proxy; the
    feed addresses a member pastes into a calendar need the public base URL.
    """
    settings = settings_of(request)
    if not absolute:
        settings = replace(settings, PUBLIC_BASE_URL="")
    return member_links(settings, member)


def member_headers(nonce: str) -> dict[str, str]:
    headers = security_headers(nonce)
    # The URL holds the member's secret: never send it on to a funder's site,
    # and keep these pages out of search engines.
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Robots-Tag"] = "noindex, nofollow"
    return headers


def render_member(
    request: Request,
    template: str,
    language: Language | str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    """A member page in `language`; no session, no CSRF field, no desk menu."""
    nonce = secrets.token_urlsafe(16)
    fmt = Formatter(language, desk_of(request).timezone, utcnow())
    values: dict[str, Any] = {
        "language": str(language),
        "fmt": fmt,
        "nonce": nonce,
        **(context or {}),
    }
    html = environment(language).get_template(template).render(values)
    return HTMLResponse(html, status, headers=member_headers(nonce))


def preferred_language(request: Request) -> Language:
    """From Accept-Language, for pages that cannot know the member (a dead link)."""
    best, best_q = DEFAULT_LANGUAGE.value, 0.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        if code in LANGUAGES and q > best_q:
            best, best_q = code, q
    return Language(best)


def link_not_found(request: Request) -> HTMLResponse:
    """The friendly answer to a forged, mangled or revoked link: 404, no details."""
    contact = unsubscribe_mailto(request.app.state.settings)
    return render_member(
        request,
        "members/invalid.html",
        preferred_language(request),
        {"contact": contact},
        status=404,
    )


def member_endpoint(purpose: Purpose, handler: MemberHandler) -> Endpoint:
    """A page behind a signed link: the token first (404), then one transaction.

    POST forms are read before the token is checked only because reading is
    async; a bad token still changes nothing.
    """

    def run(request: Request, form: FormData | None) -> Response:
        desk = desk_of(request)
        with desk.sessions.begin() as session:
            token = request.path_params["token"]
            try:
                member = read_token(session, desk.secret_key, token, purpose)
            except InvalidToken:
                return link_not_found(request)
            return handler(request, session, member, form)

    async def endpoint(request: Request) -> Response:
        form = await request.form() if request.method == "POST" else None
        return await run_in_threadpool(run, request, form)

    return endpoint


def _form_serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        desk_of(request).secret_key, salt="grants.member.form"
    )


def form_token(request: Request, member: Member) -> str:
    """The hidden field of a member's form: this member, this link version, recent.

    The desk's CSRF token lives in a session cookie; member pages have none,
    so the form proves it was served for this member's current links, lately.
    """
    return str(_form_serializer(request).dumps([member.id, member.token_version]))


def form_token_ok(request: Request, member: Member, form: FormData) -> bool:
    sent = form.get(FORM_FIELD)
    if not isinstance(sent, str):
        return False
    try:
        value = _form_serializer(request).loads(sent, max_age=FORM_MAX_AGE)
    except BadSignature:
        return False
    return bool(value == [member.id, member.token_version])
