"""Signed, unguessable links for members: no password, revocable at once.

A token carries the member's id and their `token_version`, signed with
SECRET_KEY and a salt per purpose, so a preferences link cannot be replayed as a
feed link. Bumping `Member.token_version` revokes every link of that member.
Tokens do not expire: an unsubscribe link in a year-old email must still work.
"""

from __future__ import annotations

from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from tracker.models import Member


class Purpose(StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"
    FEEDBACK = "feedback"
    FEED = "feed"


class InvalidToken(ValueError):
    """Forged, mangled, for another purpose, or revoked."""


def _serializer(secret_key: str, purpose: Purpose) -> URLSafeSerializer:
    if len(secret_key) < 32:
        raise ValueError("SECRET_KEY must be at least 32 characters to sign links")
    return URLSafeSerializer(secret_key, salt=f"grants.member.{purpose}")


def make_token(secret_key: str, member: Member, purpose: Purpose) -> str:
    return str(
        _serializer(secret_key, purpose).dumps([member.id, member.token_version])
    )


def read_token(
    session: Session, secret_key: str, token: str, purpose: Purpose
) -> Member:
    """The member a token names, if it is genuine and not revoked."""
    try:
        member_id, version = _serializer(secret_key, purpose).loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise InvalidToken("this link is not valid") from exc
    member = session.get(Member, member_id)
    if member is None or member.token_version != version:
        raise InvalidToken("this link has been revoked")
    return member


def revoke_links(member: Member) -> None:
    """Every link the member was sent stops working; new ones are issued later."""
    member.token_version += 1
