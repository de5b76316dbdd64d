"""Members' signed links: genuine, per purpose, revocable."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tracker.models import Member
from tracker.tokens import InvalidToken, Purpose, make_token, read_token, revoke_links
from tracker.vocab import Language

KEY = "k" * 40


def _member(session: Session) -> Member:
    member = Member(email="ewa@example.org", name="Ewa", language=Language.PL)
    session.add(member)
    session.flush()
    return member


def test_a_token_names_its_member(db_session: Session) -> None:
    member = _member(db_session)
    token = make_token(KEY, member, Purpose.UNSUBSCRIBE)
    assert read_token(db_session, KEY, token, Purpose.UNSUBSCRIBE) is member


def test_a_token_is_good_for_one_purpose_only(db_session: Session) -> None:
    token = make_token(KEY, _member(db_session), Purpose.PREFERENCES)
    with pytest.raises(InvalidToken):
        read_token(db_session, KEY, token, Purpose.FEED)


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-2] + "xy", lambda t: "x" + t, str.upper]
)
def test_forged_tokens_are_refused(db_session: Session, mangle) -> None:
    token = make_token(KEY, _member(db_session), Purpose.FEED)
    with pytest.raises(InvalidToken):
        read_token(db_session, KEY, mangle(token), Purpose.FEED)


def test_another_key_does_not_verify(db_session: Session) -> None:
    token = make_token(KEY, _member(db_session), Purpose.FEED)
    with pytest.raises(InvalidToken):
        read_token(db_session, "z" * 40, token, Purpose.FEED)


def test_revoking_kills_every_earlier_link(db_session: Session) -> None:
    member = _member(db_session)
    old = make_token(KEY, member, Purpose.FEED)
    revoke_links(member)
    db_session.flush()
    with pytest.raises(InvalidToken, match="revoked"):
        read_token(db_session, KEY, old, Purpose.FEED)
    new = make_token(KEY, member, Purpose.FEED)
    assert read_token(db_session, KEY, new, Purpose.FEED) is member


def test_a_short_key_is_refused(db_session: Session) -> None:
    with pytest.raises(ValueError, match="32 characters"):
        make_token("short", _member(db_session), Purpose.FEED)
