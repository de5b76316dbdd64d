"""Who is at the desk: login, logout, the session, and the login-only guard.

The session is a signed cookie (Starlette's SessionMiddleware): HttpOnly,
SameSite=Lax, Secure behind https. It holds the user's id and a stamp derived
from the password hash, so changing a password (`grants users add` again)
ends every session opened with the old one, on every worker.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from tracker.models import User
from tracker.review import ReviewError
from tracker.users import authenticate
from tracker.web import csrf
from tracker.web.i18n import language_of, set_language
from tracker.web.pages import (
    desk_of,
    flash,
    redirect,
    render,
    safe_next,
    translations_of,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

USER_KEY, STAMP_KEY = "uid", "stamp"
LOGIN_URL, HOME_URL = "/login", "/queue"
SESSION_MAX_AGE = 12 * 60 * 60  # a working day; then log in again

Endpoint = Callable[[Request], Awaitable[Response]]
PageHandler = Callable[[Request, "Session", User], Response]
ActionHandler = Callable[[Request, "Session", User, FormData], Response]


def session_stamp(secret_key: str, user: User) -> str:
    message = f"{user.id}:{user.password_hash}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def current_user(connection: HTTPConnection, session: Session) -> User | None:
    """The logged-in, still active coordinator of this request, else None."""
    user_id = connection.session.get(USER_KEY)
    if not isinstance(user_id, int):
        return None
    user = session.get(User, user_id)
    stamp = connection.session.get(STAMP_KEY)
    secret = desk_of(connection).secret_key
    if (
        user is None
        or not user.active
        or not isinstance(stamp, str)
        or not hmac.compare_digest(stamp, session_stamp(secret, user))
    ):
        # Deactivated, or the password changed: this session is over.
        connection.session.pop(USER_KEY, None)
        connection.session.pop(STAMP_KEY, None)
        return None
    return user


def _login_url(request: Request) -> str:
    if request.method != "GET":
        return LOGIN_URL
    path = request.url.path
    query = request.url.query
    target = f"{path}?{query}" if query else path
    if path == HOME_URL:
        return LOGIN_URL
    return f"{LOGIN_URL}?{urlencode({'next': target})}"


def page(handler: PageHandler) -> Endpoint:
    """A login-only page: the handler runs in one transaction, off the event loop."""

    def run(request: Request) -> Response:
        with desk_of(request).sessions.begin() as session:
            user = current_user(request, session)
            if user is None:
                return redirect(_login_url(request))
            return handler(request, session, user)

    async def endpoint(request: Request) -> Response:
        return await run_in_threadpool(run, request)

    return endpoint


def action(handler: ActionHandler) -> Endpoint:
    """A login-only POST: CSRF token first (403), then one transaction.

    A `ReviewError` (a tag already removed, an action already undone, often a
    second browser tab) rolls the transaction back and says so on the page.
    """

    def run(request: Request, form: FormData) -> Response:
        try:
            with desk_of(request).sessions.begin() as session:
                user = current_user(request, session)
                if user is None:
                    return redirect(LOGIN_URL)
                return handler(request, session, user, form)
        except ReviewError:
            gettext = translations_of(request).gettext
            flash(
                request,
                gettext("That could not be done; the page shows the current state."),
                "error",
            )
            return redirect(safe_next(form.get("next"), HOME_URL))

    async def endpoint(request: Request) -> Response:
        form = await csrf.checked_form(request)
        return await run_in_threadpool(run, request, form)

    return endpoint


async def login_page(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"), HOME_URL)
    return render(
        request, "login.html", {"email": "", "failed": False, "next": next_url}
    )


def _check_password(
    request: Request, email: str, password: str
) -> tuple[int, str, str] | None:
    desk = desk_of(request)
    with desk.sessions.begin() as session:
        user = authenticate(session, email, password)
        if user is None:
            return None
        return user.id, session_stamp(desk.secret_key, user), str(user.language)


async def login(request: Request) -> Response:
    form = await csrf.checked_form(request)
    email, password = form.get("email"), form.get("password")
    email = email[:320] if isinstance(email, str) else ""
    password = password if isinstance(password, str) else ""
    next_url = safe_next(form.get("next"), HOME_URL)
    found = await run_in_threadpool(_check_password, request, email, password)
    if found is None:
        # The same answer, after the same pause, whether or not the email exists.
        await asyncio.sleep(desk_of(request).login_delay)
        context = {"email": email, "failed": True, "next": next_url}
        return render(request, "login.html", context, status=400)
    user_id, stamp, language = found
    # A new session: nothing from before the login (a planted token) survives.
    request.session.clear()
    request.session.update({USER_KEY: user_id, STAMP_KEY: stamp})
    set_language(request, language)
    csrf.new_token(request)
    return redirect(next_url)


async def logout(request: Request) -> Response:
    await csrf.checked_form(request)
    language = language_of(request)
    request.session.clear()
    set_language(request, language)
    flash(request, translations_of(request).gettext("You have been logged out."))
    return redirect(LOGIN_URL)
