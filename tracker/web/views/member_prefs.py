"""A member's preferences page, reached from every digest without a password.

GET shows the form as stored; POST validates and saves through
`tracker.members.update_member` (the same rules as the command line), then
redirects, so a reload never posts twice. A second button revokes every
link the member holds, this page's own included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digests.i18n import N_
from tracker.members import (
    MAX_REMINDER_DAYS,
    MAX_REMINDERS,
    Preferences,
    known_interests,
    update_member,
)
from tracker.models import Member
from tracker.tokens import revoke_links
from tracker.vocab import ApplicantType, Domain, Frequency, Language
from tracker.web.i18n import get_translations
from tracker.web.pages import redirect
from tracker.web.views.member_common import (
    FORM_FIELD,
    RENEWED,
    form_token,
    form_token_ok,
    links_of,
    render_member,
)

OFFSET_CHOICES = (30, 14, 7, 3, 1)
# Singular, as in "I apply as…": the digests' labels are plurals ("SMEs").
APPLICANT_LABELS = {
    ApplicantType.UNIVERSITY: N_("a university"),
    ApplicantType.RESEARCH_INSTITUTE: N_("a research institute"),
    ApplicantType.SME: N_("a small or medium-sized enterprise (SME)"),
    ApplicantType.LARGE_COMPANY: N_("a large company"),
    ApplicantType.NGO: N_("a non-governmental organisation"),
    ApplicantType.PUBLIC_BODY: N_("a public body"),
    ApplicantType.INDIVIDUAL_RESEARCHER: N_("an individual researcher"),
    ApplicantType.CONSORTIUM: N_("a consortium"),
}


@dataclass(frozen=True)
class Choices:
    """The form's values: as stored, or as submitted (then possibly invalid)."""

    language: str
    interests: tuple[str, ...]
    applicant_type: str  # "" for "any call"
    frequency: str
    offsets: tuple[str, ...]
    resubscribe: bool = False


def stored(member: Member) -> Choices:
    return Choices(
        language=str(member.language),
        interests=tuple(member.interests),
        applicant_type=str(member.applicant_type or ""),
        frequency=str(member.frequency),
        offsets=tuple(str(d) for d in member.reminder_offsets),
    )


def submitted(form: FormData) -> Choices:
    def one(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    def many(name: str) -> tuple[str, ...]:
        return tuple(v for v in form.getlist(name) if isinstance(v, str))

    return Choices(
        language=one("language"),
        interests=many("interests"),
        applicant_type=one("applicant_type"),
        frequency=one("frequency"),
        offsets=many("reminders"),
        resubscribe=one("resubscribe") == "yes",
    )


def validate(
    choices: Choices, member: Member, gettext: Callable[[str], str]
) -> tuple[Preferences, dict[str, str]]:
    """The preferences to save, and an error message per invalid field."""
    errors: dict[str, str] = {}
    if choices.language not in {lang.value for lang in Language}:
        errors["language"] = gettext("Choose a language.")
    interests = list(dict.fromkeys(choices.interests))
    if not interests or not set(interests) <= known_interests():
        errors["interests"] = gettext("Choose at least one interest.")
    applicant = choices.applicant_type
    if applicant and applicant not in {a.value for a in ApplicantType}:
        errors["applicant_type"] = gettext("Choose one of the listed types.")
    offsets = _offsets(choices.offsets)
    if offsets is None:
        errors["reminders"] = gettext("Choose reminders from the list.")
    frequency: Frequency | None = None
    try:
        frequency = _frequency(choices, member)
    except ValueError:
        errors["frequency"] = gettext("Choose how often to get the digest.")
    if errors:
        return Preferences(), errors
    return Preferences(
        language=Language(choices.language),
        interests=interests,
        applicant_type=ApplicantType(applicant) if applicant else None,
        frequency=frequency,
        reminder_offsets=offsets,
    ), errors


def _frequency(choices: Choices, member: Member) -> Frequency | None:
    """The frequency to save (None keeps the stored one); ValueError if invalid.

    An unsubscribed member sees no frequency choice, only a box to subscribe
    again: they stay unsubscribed unless they tick it.
    """
    if member.unsubscribed_at is not None:
        return Frequency.WEEKLY if choices.resubscribe else None
    return Frequency(choices.frequency)


def _offsets(values: tuple[str, ...]) -> list[int] | None:
    try:
        days = sorted({int(v) for v in values}, reverse=True)
    except ValueError:
        return None
    if len(days) > MAX_REMINDERS or any(not 1 <= d <= MAX_REMINDER_DAYS for d in days):
        return None
    return days


def preferences(
    request: Request, session: Session, member: Member, form: FormData | None
) -> Response:
    if form is None:
        saved = request.query_params.get("saved") == "1"
        return _page(request, member, stored(member), {}, saved=saved)
    gettext = get_translations(member.language).gettext
    choices = submitted(form)
    if not form_token_ok(request, member, form):
        error = gettext(
            "This form was open too long. Check your choices and save again."
        )
        return _page(request, member, choices, {"form": error}, status=400)
    if form.get("action") == "revoke":
        revoke_links(member)
        return redirect(RENEWED.format(language=member.language))
    prefs, errors = validate(choices, member, gettext)
    if errors:
        return _page(request, member, choices, errors, status=400)
    # Only the member can undo their own unsubscribe, and only with the box.
    resubscribe = choices.resubscribe and member.unsubscribed_at is not None
    # update_member reads None as "keep"; here "any type" means clear it.
    member.applicant_type = prefs.applicant_type
    update_member(session, member.email, prefs, resubscribe=resubscribe)
    return redirect(f"{request.url.path}?saved=1")


def _page(
    request: Request,
    member: Member,
    choices: Choices,
    errors: dict[str, str],
    *,
    saved: bool = False,
    status: int = 200,
) -> Response:
    language = Language(member.language)
    gettext = get_translations(language).gettext
    context: dict[str, Any] = {
        "member": member,
        "choices": choices,
        "errors": errors,
        "saved": saved,
        "links": links_of(request, member),
        "feeds": links_of(request, member, absolute=True),
        "form_field": FORM_FIELD,
        "form_token": form_token(request, member),
        "interest_options": interest_options(member, choices),
        "applicant_options": [
            (a.value, gettext(label)) for a, label in APPLICANT_LABELS.items()
        ],
        "offset_options": offset_options(member, choices),
    }
    return render_member(
        request, "members/preferences.html", language, context, status=status
    )


def interest_options(member: Member, choices: Choices) -> list[str]:
    """The six domains, then any sub-topic the member has (from a coordinator's
    import), so that saving the form never drops one silently."""
    domains = [d.value for d in Domain]
    known = known_interests()
    extra = [
        tag
        for tag in dict.fromkeys([*member.interests, *choices.interests])
        if tag not in domains and tag in known
    ]
    return domains + extra


def offset_options(member: Member, choices: Choices) -> list[int]:
    """30, 14, 7, 3 and 1 days, and any other offset the member already has."""
    days = set(OFFSET_CHOICES) | set(member.reminder_offsets)
    days |= {int(v) for v in choices.offsets if v.isdigit() and int(v) > 0}
    return sorted((d for d in days if d <= MAX_REMINDER_DAYS), reverse=True)
