"""Every link a member gets: one place for the URLs the desk's member pages serve.

All of them carry a signed token (tracker.tokens), so they work without a
password and die together when the member's links are revoked.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.config import Settings
from tracker.models import Member
from tracker.tokens import Purpose, make_token

# Paths under PUBLIC_BASE_URL, served by tracker/web (member pages, no login).
UNSUBSCRIBE = "/m/unsubscribe/{token}"
PREFERENCES = "/m/preferences/{token}"
CALLS = "/m/calls/{token}"
NOT_RELEVANT = "/m/not-relevant/{token}/{call_id}"
CALENDAR = "/m/feed/{token}/calendar.ics"
ATOM = "/m/feed/{token}/atom.xml"


@dataclass(frozen=True)
class MemberLinks:
    unsubscribe: str
    preferences: str
    calls: str  # the member's full list of matching calls
    calendar: str  # private ICS feed
    atom: str  # private Atom feed
    feedback_token: str

    def not_relevant(self, call_id: int) -> str:
        """The per-call "not relevant" link (GET confirms, POST records)."""
        base = self.unsubscribe.split("/m/", 1)[0]
        return base + NOT_RELEVANT.format(token=self.feedback_token, call_id=call_id)


def member_links(settings: Settings, member: Member) -> MemberLinks:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    key = settings.SECRET_KEY

    def url(path: str, purpose: Purpose) -> str:
        return base + path.format(token=make_token(key, member, purpose))

    return MemberLinks(
        unsubscribe=url(UNSUBSCRIBE, Purpose.UNSUBSCRIBE),
        preferences=url(PREFERENCES, Purpose.PREFERENCES),
        calls=url(CALLS, Purpose.PREFERENCES),
        calendar=url(CALENDAR, Purpose.FEED),
        atom=url(ATOM, Purpose.FEED),
        feedback_token=make_token(key, member, Purpose.FEEDBACK),
    )


def unsubscribe_mailto(settings: Settings) -> str:
    """The mailto: address of the List-Unsubscribe header."""
    from email.utils import parseaddr

    return settings.UNSUBSCRIBE_MAILTO or parseaddr(settings.MAIL_FROM)[1]
