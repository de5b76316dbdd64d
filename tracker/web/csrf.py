"""Cross-site request forgery protection: a per-session token in every form.

Every POST handler reads its form through `checked_form`, which refuses a form
without the session's token with 403 before anything else happens. The token
lives in the signed session cookie, so it needs no server-side storage and
works across workers.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request

SESSION_KEY = "csrf"
FIELD = "csrf_token"


def token(connection: HTTPConnection) -> str:
    """The session's token, created on first use (the login page's included)."""
    value = connection.session.get(SESSION_KEY)
    if not isinstance(value, str) or not value:
        value = new_token(connection)
    return value


def new_token(connection: HTTPConnection) -> str:
    """A fresh token; called at login so a token seen before it is worthless."""
    value = secrets.token_urlsafe(32)
    connection.session[SESSION_KEY] = value
    return value


def is_valid(connection: HTTPConnection, sent: object) -> bool:
    expected = connection.session.get(SESSION_KEY)
    if not isinstance(sent, str) or not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


async def checked_form(request: Request) -> FormData:
    """The request's form, or 403 when its token is missing or wrong."""
    form = await request.form()
    if not is_valid(request, form.get(FIELD)):
        raise HTTPException(403, "The form's security token is missing or invalid.")
    return form
