"""Each source's crawl health, as `grants sources` reports it."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from tracker.health import overview
from tracker.models import User, utcnow
from tracker.web.auth import page
from tracker.web.pages import render


@page
def sources_page(request: Request, session: Session, user: User) -> Response:
    # overview() re-evaluates alerts as of now (raising or resolving them), the
    # same as the CLI does; the page's transaction commits that.
    report = overview(session, utcnow())
    return render(request, "sources.html", {"report": report}, user=user)
