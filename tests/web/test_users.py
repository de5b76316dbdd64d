"""Coordinator accounts: validation, argon2 hashes, login checks, `grants users`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

import tracker.users as users
from tests.web.conftest import PASSWORD
from tracker.cli.users import users as users_cli
from tracker.config import get_settings
from tracker.db import get_engine, session_factory, upgrade
from tracker.users import (
    UserError,
    add_user,
    authenticate,
    deactivate_user,
    get_user_by_email,
    list_users,
    set_password,
)
from tracker.vocab import Language


def test_add_user_hashes_the_password_with_argon2(db_session: Session) -> None:
    user = add_user(db_session, " Anna@Example.ORG ", " Anna  Nowak ", "PL", PASSWORD)

    assert (user.email, user.name, user.language) == (
        "anna@example.org",
        "Anna Nowak",
        Language.PL,
    )
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_re_adding_updates_and_reactivates(db_session: Session) -> None:
    first = add_user(db_session, "anna@example.org", "Anna", "pl", PASSWORD)
    deactivate_user(db_session, "anna@example.org")

    again = add_user(db_session, "ANNA@example.org", "Anna N.", "en", "another secret")

    assert again.id == first.id
    assert (again.name, again.language, again.active) == ("Anna N.", Language.EN, True)
    assert authenticate(db_session, "anna@example.org", "another secret") is again
    assert authenticate(db_session, "anna@example.org", PASSWORD) is None
    assert len(list_users(db_session)) == 1


@pytest.mark.parametrize(
    ("email", "name", "language", "password", "message"),
    [
        ("not-an-email", "Anna", "pl", PASSWORD, "not an email"),
        ("anna@example.org", "  ", "pl", PASSWORD, "name"),
        ("anna@example.org", "Anna", "de", PASSWORD, "language"),
        ("anna@example.org", "Anna", "pl", "short", "at least 10"),
        ("anna@example.org", "Anna", "pl", "x" * 2000, "at most"),
    ],
)
def test_add_user_validates(
    db_session: Session,
    email: str,
    name: str,
    language: str,
    password: str,
    message: str,
) -> None:
    with pytest.raises(UserError, match=message):
        add_user(db_session, email, name, language, password)


def test_authenticate(db_session: Session) -> None:
    user = add_user(db_session, "anna@example.org", "Anna", "pl", PASSWORD)

    assert authenticate(db_session, "ANNA@example.org ", PASSWORD) is user
    assert authenticate(db_session, "anna@example.org", PASSWORD + "!") is None
    assert authenticate(db_session, "anna@example.org", "x" * 5000) is None
    deactivate_user(db_session, "anna@example.org")
    assert authenticate(db_session, "anna@example.org", PASSWORD) is None


def test_unknown_email_still_runs_argon2(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same work whether or not the account exists: timing tells nothing."""
    add_user(db_session, "anna@example.org", "Anna", "pl", PASSWORD)
    checked: list[str] = []
    real = users.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(users, "verify_password", counting)

    assert authenticate(db_session, "nobody@example.org", PASSWORD) is None
    assert authenticate(db_session, "not even an email", PASSWORD) is None
    assert len(checked) == 2
    assert all(h.startswith("$argon2id$") for h in checked)


def test_set_password_and_rehash(db_session: Session) -> None:
    user = add_user(db_session, "anna@example.org", "Anna", "pl", PASSWORD)
    set_password(db_session, user, "a brand new pass")
    assert authenticate(db_session, "anna@example.org", "a brand new pass") is user

    weak = users.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    user.password_hash = weak.hash("a brand new pass")
    assert authenticate(db_session, "anna@example.org", "a brand new pass") is user
    assert not users._hasher.check_needs_rehash(user.password_hash)


# --- grants users ----------------------------------------------------------


@pytest.fixture
def grants_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'grants.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade(get_engine())
    yield CliRunner()
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def run(runner: CliRunner, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(users_cli, list(args), input=stdin, catch_exceptions=False)


def test_users_add_with_password_on_stdin(grants_users: CliRunner) -> None:
    result = run(
        grants_users,
        *("add", "--email", "Anna@Example.org", "--name", "Anna Nowak"),
        *("--lang", "pl", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    assert result.output == "anna@example.org: Anna Nowak (pl)\n"
    with session_factory().begin() as session:
        assert authenticate(session, "anna@example.org", PASSWORD) is not None


def test_users_add_prompts_twice_without_echo(grants_users: CliRunner) -> None:
    args = ("add", "--email", "jan@example.org", "--name", "Jan", "--lang", "en")
    mismatch = run(grants_users, *args, stdin=f"{PASSWORD}\nsomething else\n")
    assert mismatch.exit_code != 0
    assert PASSWORD not in mismatch.output  # hidden input is not echoed

    result = run(grants_users, *args, stdin=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    with session_factory().begin() as session:
        user = get_user_by_email(session, "jan@example.org")
        assert user is not None
        assert user.language is Language.EN


def test_users_add_rejects_a_short_password(grants_users: CliRunner) -> None:
    result = run(
        grants_users,
        *("add", "--email", "a@example.org", "--name", "A", "--lang", "pl"),
        "--password-stdin",
        stdin="short\n",
    )

    assert result.exit_code == 2
    assert "at least 10 characters" in result.output


def test_users_list(grants_users: CliRunner) -> None:
    assert run(grants_users, "list").output.startswith("no coordinators yet")
    for email in ("zofia@example.org", "anna@example.org"):
        run(
            grants_users,
            *("add", "--email", email, "--name", email[:4].title(), "--lang", "pl"),
            "--password-stdin",
            stdin=PASSWORD,
        )
    run(grants_users, "deactivate", "--email", "zofia@example.org")

    listed = run(grants_users, "list").output

    assert listed == (
        "anna@example.org\tpl\tAnna\nzofia@example.org\tpl\tZofi  [inactive]\n"
    )
