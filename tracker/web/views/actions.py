"""A coordinator's actions on a call, each through `tracker.review` (logged, undoable).

Every handler reads a CSRF-checked form (see `auth.action`) and answers with a
redirect back to the page the form was on.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from digests.i18n import N_
from tracker import review
from tracker.models import ReviewLog, User, utcnow
from tracker.vocab import ReviewState
from tracker.web.auth import action
from tracker.web.pages import flash, redirect, safe_next, translations_of
from tracker.web.views.common import load_call

NOTE_LIMIT = 5000


def _back(form: FormData, call_id: int) -> Response:
    return redirect(safe_next(form.get("next"), f"/calls/{call_id}"))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _done(request: Request, form: FormData, call_id: int, message: str) -> Response:
    flash(request, translations_of(request).gettext(message))
    return _back(form, call_id)


@action
def decide_call(
    request: Request, session: Session, user: User, form: FormData
) -> Response:
    call = load_call(session, request.path_params["call_id"])
    decision = _text(form, "decision")
    if decision not in ("approve", "reject"):
        raise HTTPException(400, "Unknown decision.")
    if decision == "approve":
        review.decide(session, call, ReviewState.APPROVED, user, utcnow())
        return _done(request, form, call.id, N_("Approved."))
    review.decide(session, call, ReviewState.REJECTED, user, utcnow())
    return _done(request, form, call.id, N_("Marked as not relevant."))


@action
def add_tag(request: Request, session: Session, user: User, form: FormData) -> Response:
    call = load_call(session, request.path_params["call_id"])
    review.add_tag(session, call, _text(form, "tag"), user, utcnow())
    return _done(request, form, call.id, N_("Tag added."))


@action
def remove_tag(
    request: Request, session: Session, user: User, form: FormData
) -> Response:
    call = load_call(session, request.path_params["call_id"])
    review.remove_tag(session, call, _text(form, "tag"), user, utcnow())
    return _done(request, form, call.id, N_("Tag removed."))


@action
def set_note(
    request: Request, session: Session, user: User, form: FormData
) -> Response:
    call = load_call(session, request.path_params["call_id"])
    review.set_note(session, call, _text(form, "note")[:NOTE_LIMIT], user, utcnow())
    return _done(request, form, call.id, N_("Note saved."))


@action
def set_internal_deadline(
    request: Request, session: Session, user: User, form: FormData
) -> Response:
    call = load_call(session, request.path_params["call_id"])
    value = _text(form, "internal_deadline").strip()
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        gettext = translations_of(request).gettext
        flash(request, gettext("Give the date as YYYY-MM-DD."), "error")
        return _back(form, call.id)
    review.set_internal_deadline(session, call, day, user, utcnow())
    return _done(request, form, call.id, N_("Internal deadline saved."))


@action
def set_pick(
    request: Request, session: Session, user: User, form: FormData
) -> Response:
    call = load_call(session, request.path_params["call_id"])
    pick = _text(form, "pick") == "1"
    review.set_pick(session, call, pick, user, utcnow())
    message = N_("Marked as coordinator's pick.") if pick else N_("Pick mark removed.")
    return _done(request, form, call.id, message)


@action
def confirm_withdrawn(
    request: Request, session: Session, user: User, form: FormData
) -> Response:
    call = load_call(session, request.path_params["call_id"])
    review.confirm_withdrawn(session, call, user, utcnow())
    return _done(request, form, call.id, N_("Withdrawal confirmed."))


@action
def undo(request: Request, session: Session, user: User, form: FormData) -> Response:
    entry = session.get(ReviewLog, request.path_params["entry_id"])
    if entry is None:
        raise HTTPException(404, "No such action.")
    review.undo(session, entry.id, user, utcnow())
    return _done(request, form, entry.call_id, N_("Action undone."))
