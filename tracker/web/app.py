"""The desk application: routes, sessions, errors; built by `create_app`."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tracker.config import Settings
from tracker.web import auth
from tracker.web.i18n import LanguageSwitch
from tracker.web.pages import Desk, redirect, render
from tracker.web.views import actions, call, members, queue, sources
from tracker.web.views.member_common import link_not_found

log = logging.getLogger(__name__)

SESSION_COOKIE = "grants_session"
MIN_SECRET_LENGTH = 32


class WebConfigError(RuntimeError):
    """Settings the desk refuses to start with."""


async def home(request: Request) -> Response:
    return redirect(auth.HOME_URL)


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404 and request.url.path.startswith("/m/"):
        # A member's mangled link: their page, not the desk's (nor its cookie).
        return link_not_found(request)
    return render(request, "error.html", {"status": status}, status=status)


def _post(path: str, endpoint: Any) -> Route:
    return Route(path, endpoint, methods=["POST"])


CALL = "/calls/{call_id:int}"
ROUTES = [
    Route("/", home, methods=["GET"]),
    Route("/login", auth.login_page, methods=["GET"]),
    _post("/login", auth.login),
    _post("/logout", auth.logout),
    Route("/queue", queue.queue_page, methods=["GET"]),
    _post("/queue/bulk", queue.bulk),
    Route(CALL, call.call_page, methods=["GET"]),
    _post(f"{CALL}/decide", actions.decide_call),
    _post(f"{CALL}/tags/add", actions.add_tag),
    _post(f"{CALL}/tags/remove", actions.remove_tag),
    _post(f"{CALL}/note", actions.set_note),
    _post(f"{CALL}/internal-deadline", actions.set_internal_deadline),
    _post(f"{CALL}/pick", actions.set_pick),
    _post(f"{CALL}/withdrawn", actions.confirm_withdrawn),
    _post("/log/{entry_id:int}/undo", actions.undo),
    Route("/sources", sources.sources_page, methods=["GET"]),
    # Members' pages (/m/...): no login, no session; the signed link is the key.
    members.MOUNT,
]


def secret_key(settings: Settings, dev: bool) -> str:
    """SECRET_KEY, or a random one in development only.

    A random key per process would log users out on every restart and, with
    several workers, on every request that lands on another one.
    """
    value = str(getattr(settings, "SECRET_KEY", "") or "")
    if not value and dev:
        log.warning("SECRET_KEY is empty: using a random key for this process only")
        return secrets.token_urlsafe(32)
    if not value:
        raise WebConfigError(
            "SECRET_KEY is empty: set it to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
            "(or pass --dev on a development machine)"
        )
    if len(value) < MIN_SECRET_LENGTH and not dev:
        raise WebConfigError(
            f"SECRET_KEY is too short: use at least {MIN_SECRET_LENGTH} characters"
        )
    return value


def secure_cookies(settings: Settings) -> bool:
    value = str(getattr(settings, "WEB_SECURE_COOKIES", "false")).strip().lower()
    if value not in ("true", "false"):
        raise WebConfigError(f"WEB_SECURE_COOKIES must be true or false, not {value!r}")
    return value == "true"


def create_app(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    dev: bool = False,
    login_delay: float = 1.0,
) -> Starlette:
    """The desk, bound to a session factory; each request opens its own transaction.

    SECRET_KEY and WEB_SECURE_COOKIES are read with getattr, so that settings
    objects from before those fields existed still load. `dev` allows an
    empty SECRET_KEY (development only); `login_delay` is for tests.
    """
    key = secret_key(settings, dev)
    session_options = {
        "secret_key": key,
        "session_cookie": SESSION_COOKIE,
        "max_age": auth.SESSION_MAX_AGE,
        # Lax: a link from an email to a call page still finds the user logged
        # in, while a cross-site POST arrives without the cookie.
        "same_site": "lax",
        "https_only": secure_cookies(settings),
    }
    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(SessionMiddleware, **session_options),
            Middleware(LanguageSwitch),
        ],
        exception_handlers={HTTPException: http_error},
    )
    # Member pages build links and pick calls as the digests do.
    app.state.settings = settings
    app.state.desk = Desk(
        sessions=sessions,
        timezone=str(getattr(settings, "TIMEZONE", "Europe/Warsaw")),
        secret_key=key,
        login_delay=login_delay,
    )
    return app
