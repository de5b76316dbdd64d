"""Rendering pages, one-time messages and redirects, shared by every view."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import format_decimal
from babel.support import Translations
from markupsafe import Markup
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse

from digests.formatting import Formatter
from tracker.models import User, utcnow
from tracker.web import csrf
from tracker.web.i18n import LANGUAGES, environment, get_translations, language_of
from tracker.web.labels import Labels

FLASH_KEY = "flash"


@dataclass(frozen=True)
class Desk:
    """What every request handler needs, kept on `app.state.desk`."""

    sessions: sessionmaker[Session]
    timezone: str
    secret_key: str
    # Seconds a failed login waits before answering: slows guessing a little.
    login_delay: float


def desk_of(connection: HTTPConnection) -> Desk:
    return connection.app.state.desk


def translations_of(connection: HTTPConnection) -> Translations:
    return get_translations(language_of(connection))


def flash(connection: HTTPConnection, text: str, kind: str = "ok") -> None:
    """A message shown once, on the page the redirect leads to (already translated)."""
    messages = list(connection.session.get(FLASH_KEY, []))
    connection.session[FLASH_KEY] = [*messages, [kind, text]]


def _pop_flashes(connection: HTTPConnection) -> list[list[str]]:
    if FLASH_KEY not in connection.session:
        return []
    return list(connection.session.pop(FLASH_KEY))


def security_headers(nonce: str) -> dict[str, str]:
    # Defence in depth behind autoescaping: no script or style runs unless it
    # carries this response's nonce, so injected markup could do nothing.
    policy = (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        # Pages show who decided what; no shared cache may keep them.
        "Cache-Control": "no-store",
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status: int = 200,
) -> HTMLResponse:
    desk = desk_of(request)
    language = language_of(request)
    nonce = secrets.token_urlsafe(16)
    fmt = Formatter(language, desk.timezone, utcnow())
    values: dict[str, Any] = {
        "request": request,
        "user": user,
        "language": str(language),
        "csrf_input": csrf_input(request),
        "here": here(request),
        "language_links": _language_links(request),
        "fmt": fmt,
        "decimal": lambda value: format_decimal(value, "0.00", locale=fmt.locale),
        "lbl": Labels(get_translations(language).gettext),
        "flashes": _pop_flashes(request),
        "nonce": nonce,
        **(context or {}),
    }
    html = environment(language).get_template(template).render(values)
    return HTMLResponse(html, status, headers=security_headers(nonce))


def csrf_input(request: Request) -> Markup:
    """The hidden field every POST form carries."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (
        csrf.FIELD,
        csrf.token(request),
    )


def _language_links(request: Request) -> list[tuple[str, str]]:
    # The current page in each language: plain links, no JavaScript needed.
    links = []
    for code in sorted(LANGUAGES, reverse=True):  # pl first: the default
        url = request.url.include_query_params(lang=code)
        links.append((code, f"{url.path}?{url.query}"))
    return links


def redirect(url: str) -> RedirectResponse:
    # 303: the browser follows with a GET, so a reload never re-posts a form.
    return RedirectResponse(url, status_code=303)


def safe_next(value: object, default: str) -> str:
    """`value` if it is a path on this site, else `default` (no open redirects)."""
    if not isinstance(value, str) or not value.startswith("/"):
        return default
    parts = urlsplit(value)
    if value.startswith("//") or "\\" in value or parts.scheme or parts.netloc:
        return default
    if any(ord(c) < 32 for c in value):
        return default
    return value


def here(request: Request) -> str:
    """The current path and query, to come back to after a POST."""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path
