"""Coordinator accounts of the desk: argon2 passwords, login checks.

Plain functions taking a `Session`; the CLI and the desk's request handlers own
the transaction.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.members import MemberError, normalize_email, parse_language
from tracker.models import User

# Long enough to resist guessing once argon2 slows every try down; no other
# rules, so that coordinators may use pass-phrases.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything; this bounds the work per try

_hasher = PasswordHasher()


class UserError(ValueError):
    """Invalid account data, with a message fit for the command line."""


def hash_password(password: str) -> str:
    return _hasher.hash(_checked_password(password))


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password must have at most {MAX_PASSWORD_LENGTH}")
    return password


def verify_password(password_hash: str, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False  # never stored, and hashing megabytes would be a free DoS
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    # Verified against when the email is unknown, so that a wrong email costs as
    # much time as a wrong password and timing does not reveal who has an account.
    return _hasher.hash("not the password of anyone")


def _clean_name(name: str) -> str:
    value = " ".join(name.split())
    if not value:
        raise UserError("name must not be empty")
    return value


def add_user(
    session: Session, email: str, name: str, language: str, password: str
) -> User:
    """Add a coordinator, or update (and re-activate) the one with this email."""
    try:
        address = normalize_email(email)
        lang = parse_language(language)
    except MemberError as error:
        raise UserError(str(error)) from None
    values = {
        "name": _clean_name(name),
        "language": lang,
        "password_hash": hash_password(password),
        "active": True,
    }
    user = get_user_by_email(session, address)
    if user is None:
        user = User(email=address, **values)
        session.add(user)
    else:
        for key, value in values.items():
            setattr(user, key, value)
    session.flush()
    return user


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; sessions signed for the old one stop working (see web.auth)."""
    user.password_hash = hash_password(password)
    session.flush()


def deactivate_user(session: Session, email: str) -> User:
    """Lock a coordinator out; the review log keeps their name."""
    user = get_user_by_email(session, email)
    if user is None:
        raise UserError(f"no coordinator with email {email!r}")
    user.active = False
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active coordinator with this email and password, else None.

    Every failure takes the same path through argon2, whether the email is
    unknown, the account inactive or the password wrong.
    """
    user = get_user_by_email(session, email)
    if user is None or not user.active:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        # Parameters were raised since the hash was made; upgrade it now that
        # the plain password is at hand.
        user.password_hash = _hasher.hash(password)
        session.flush()
    return user
