"""`grants members` end to end on a temporary, migrated SQLite file: CSV import,
preferences, removal, GDPR export and erasure, revoking links."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import FIXTURES
from tests.digests import factories as f
from tracker.cli import cli
from tracker.config import get_settings
from tracker.db import get_engine, session_factory
from tracker.members import get_member_by_email
from tracker.models import (
    Base,
    DigestDelivery,
    Member,
    MemberFeedback,
    ReminderDelivery,
)
from tracker.vocab import (
    ApplicantType,
    DeliveryStatus,
    FeedbackKind,
    Frequency,
    Language,
)

CSV = FIXTURES / "members"
Grants = Callable[..., Result]


@pytest.fixture
def grants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Grants]:
    """Run `grants ...` against a fresh database; settings come from the env."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'grants.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    assert invoke("db", "upgrade").exit_code == 0
    yield invoke
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def member(email: str) -> Member:
    with session_factory().begin() as session:
        found = get_member_by_email(session, email)
        assert found is not None, email
        return found


def count(model: type[Base]) -> int:
    with session_factory().begin() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def add_anna(grants: Grants, *options: str) -> Result:
    return grants(
        "members", "add", "--email", "anna@example.org", "--name", "Anna Nowak",
        "--interests", "health,biotech", *options,
    )  # fmt: skip


def test_add_and_list_with_preferences_and_flags(grants: Grants) -> None:
    added = add_anna(grants, "--applicant-type", "MŚP", "--reminders", "3,14")
    grants(
        "members", "add", "--email", "john@example.org", "--name", "John Smith",
        "--lang", "en", "--interests", "pharma", "--organisation", "Smith & Co",
        "--region", "mazowieckie", "--frequency", "off",
    )  # fmt: skip
    with session_factory().begin() as session:
        john = get_member_by_email(session, "john@example.org")
        john.flagged_at, john.flag_reason = f.NOW, "550 5.1.1 no such user"

    listed = grants("members", "list")

    assert added.output == (
        "anna@example.org: added (pl; health, biotech; sme; digest weekly; "
        "reminders 14, 3)\n"
    )
    assert listed.output.splitlines() == [
        "EMAIL             NAME        ORGANISATION  LANG  INTERESTS        "
        "APPLICANT  REGION       DIGEST  REMINDERS  STATE",
        "anna@example.org  Anna Nowak  -             pl    health, biotech  "
        "sme        -            weekly  14, 3      active",
        "john@example.org  John Smith  Smith & Co    en    pharma           "
        "-          mazowieckie  off     14, 3      FLAGGED",
        "flagged john@example.org on 2026-11-23: 550 5.1.1 no such user",
    ]
    flagged = grants("members", "list", "--flagged").output
    assert "anna@example.org" not in flagged
    assert "john@example.org" in flagged


def test_re_adding_reports_the_changes(grants: Grants) -> None:
    add_anna(grants)
    again = add_anna(grants, "--lang", "en")
    same = add_anna(grants)

    assert again.output == "anna@example.org: updated\n  language: pl → en\n"
    assert same.output == "anna@example.org: unchanged\n"


def test_add_rejects_bad_values(grants: Grants) -> None:
    space = add_anna(grants, "--interests", "health,space")
    german = add_anna(grants, "--lang", "de")
    several = add_anna(grants, "--applicant-type", "startup", "--reminders", "0")

    assert space.exit_code == german.exit_code == several.exit_code == 2
    assert "unknown interest(s): space" in space.output
    assert "'de' is not one of 'pl', 'en'" in german.output
    assert "applicant type must be one of" in several.output
    assert "reminders must be at most 5 days between 1 and 90" in several.output
    assert count(Member) == 0


def test_set_changes_only_what_is_given(grants: Grants) -> None:
    add_anna(grants, "--region", "lubelskie")

    result = grants(
        "members", "set", "--email", "ANNA@example.org", "--lang", "en",
        "--interests", "pharma/vaccines", "--applicant-type", "uczelnia",
        "--frequency", "off", "--reminders", "7",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "anna@example.org: updated",
        "  language: pl → en",
        "  interests: health, biotech → pharma/vaccines",
        "  applicant_type: - → university",
        "  frequency: weekly → off",
        "  reminder_offsets: 14, 3 → 7",
    ]
    anna = member("anna@example.org")
    assert (anna.language, anna.applicant_type, anna.region) == (
        Language.EN,
        ApplicantType.UNIVERSITY,
        "lubelskie",
    )
    unknown = grants("members", "set", "--email", "nobody@example.org", "--lang", "en")
    assert unknown.exit_code == 2
    assert "no member with email 'nobody@example.org'" in unknown.output


def test_set_does_not_undo_an_unsubscribe_by_accident(grants: Grants) -> None:
    add_anna(grants)
    with session_factory().begin() as session:
        anna = get_member_by_email(session, "anna@example.org")
        anna.unsubscribed_at, anna.frequency = f.NOW, Frequency.OFF
    weekly = ("members", "set", "--email", "anna@example.org", "--frequency", "weekly")

    refused = grants(*weekly)
    agreed = grants(*weekly, "--resubscribe")

    assert refused.exit_code == 2
    assert "unsubscribed on 2026-11-23; subscribe them again only at their request" in (
        refused.output
    )
    assert agreed.exit_code == 0
    assert member("anna@example.org").unsubscribed_at is None


def _history(email: str) -> None:
    """A sent digest, a reminder and a "not relevant" for the member."""
    with session_factory().begin() as session:
        who = get_member_by_email(session, email)
        call = f.call(session, f"call-{who.id}", title="Szczepionki mRNA")
        session.add_all(
            [
                DigestDelivery(
                    member=who,
                    period="2026-W48",
                    status=DeliveryStatus.SENT,
                    message_id=f"<d{who.id}@grants>",
                    sent_at=f.NOW,
                ),
                ReminderDelivery(
                    member=who,
                    call=call,
                    deadline_at=f.NOW,
                    offset_days=3,
                    status=DeliveryStatus.SENT,
                    message_id=f"<r{who.id}@grants>",
                    sent_at=f.NOW,
                ),
                MemberFeedback(member=who, call=call, kind=FeedbackKind.NOT_RELEVANT),
            ]
        )


HISTORY = (DigestDelivery, ReminderDelivery, MemberFeedback)


@pytest.mark.parametrize("command", ["remove", "deactivate"])
def test_remove_keeps_the_history(grants: Grants, command: str) -> None:
    add_anna(grants)
    _history("anna@example.org")

    result = grants("members", command, "--email", "anna@example.org")

    assert result.output == (
        "anna@example.org: removed; they get nothing more, history kept\n"
    )
    assert not member("anna@example.org").active
    assert [count(model) for model in HISTORY] == [1, 1, 1]
    assert grants("members", "list", "--active-only").output.startswith("no members")


def test_import_a_comma_separated_file(grants: Grants) -> None:
    result = grants("members", "import", CSV / "members.csv")

    assert result.exit_code == 0, result.output
    assert result.output == "added: 2, updated: 0, unchanged: 0, bad rows skipped: 0\n"
    anna, john = member("anna@example.org"), member("john@example.org")
    assert (anna.interests, anna.applicant_type, anna.region) == (
        ["health", "biotech"],
        ApplicantType.SME,
        "lubelskie",
    )
    assert (john.language, john.organisation, john.region) == (
        Language.EN,
        "Smith, Jones & Co",
        None,
    )
    assert john.applicant_type is ApplicantType.LARGE_COMPANY
    assert (john.frequency, john.reminder_offsets) == (Frequency.OFF, [30, 7])


def test_import_what_polish_excel_writes(grants: Grants) -> None:
    """A BOM, semicolons, CRLF, "Applicant type", Polish labels, spaces in cells."""
    result = grants("members", "import", CSV / "excel_pl.csv")

    assert result.exit_code == 0, result.output
    assert "added: 3," in result.output
    anna = member("anna.nowak@umlub.pl")
    assert (anna.name, anna.interests, anna.applicant_type) == (
        "Anna Nowak",
        ["health", "pharma"],
        ApplicantType.UNIVERSITY,
    )
    jan = member("jan.kowalski@biotech-lublin.pl")
    assert (jan.language, jan.interests, jan.applicant_type) == (
        Language.PL,
        ["biotech", "agrifood/plant-health"],
        ApplicantType.SME,
    )
    zofia = member("zofia.wisniewska@ipan.lublin.pl")
    assert (zofia.name, zofia.language, zofia.region) == (
        "Zofia Wiśniewska",
        Language.EN,
        None,
    )
    assert zofia.applicant_type is ApplicantType.RESEARCH_INSTITUTE


CHOOSE = (
    "; choose from agrifood, bioeconomy, biotech, environment, health, pharma "
    "or a sub-topic such as pharma/vaccines (tracker/taxonomy.toml)"
)
BAD_ROWS = [
    "line 3: not an email address: 'anna(at)example.org'",
    "line 4: email is missing",
    "line 5: name is missing; interests are missing",
    f"line 6: unknown interest(s): space{CHOOSE}",
    "line 7: language must be one of pl, en, not 'de'",
    "line 8: applicant type must be one of university, research_institute, sme, "
    "large_company, ngo, public_body, individual_researcher, consortium "
    "(or MŚP, uczelnia, …), not 'startup'",
    "line 9: frequency must be weekly or off, not 'daily'",
    "line 10: reminders must be at most 5 days between 1 and 90, not '0'",
    "line 11: 11 cells but 9 columns; quote a cell that holds the separator, "
    'e.g. "health,biotech"',
    # Line 12 starts a row whose quoted organisation goes on to line 13.
    "line 14: good@example.org is already on line 2",
    f"line 16: language must be one of pl, en, not 'xx'; "
    f"unknown interest(s): nothing{CHOOSE}",
]


def test_import_reports_every_bad_row_and_imports_nothing(grants: Grants) -> None:
    result = grants("members", "import", CSV / "bad.csv")

    assert result.exit_code == 1
    *reported, verdict = result.stderr.splitlines()
    assert reported == [f"{CSV / 'bad.csv'}: {line}" for line in BAD_ROWS]
    assert verdict == (
        "Error: nothing imported: 11 bad row(s); fix them, "
        "or import the good ones with --skip-bad"
    )
    assert count(Member) == 0


def test_import_skip_bad_imports_the_good_rows(grants: Grants) -> None:
    result = grants("members", "import", "--skip-bad", CSV / "bad.csv")

    assert result.exit_code == 0
    assert result.stdout == (
        "added: 2, updated: 0, unchanged: 0, bad rows skipped: 11\n"
    )
    assert len(result.stderr.splitlines()) == 11
    assert member("two.lines@example.org").organisation == "Instytut Agrofizyki"
    assert count(Member) == 2


def test_re_import_says_what_changed(grants: Grants, tmp_path: Path) -> None:
    grants("members", "import", CSV / "members.csv")
    grants("members", "remove", "--email", "john@example.org")
    edited = tmp_path / "members.csv"
    text = (CSV / "members.csv").read_text(encoding="utf-8")
    edited.write_text(
        text.replace("Anna Nowak,UMCS,pl", "Anna Nowak,UMCS,en")
        + "ewa@example.org,Ewa,,,environment,,,,\n",
        encoding="utf-8",
    )

    dry = grants("members", "import", "--dry-run", edited)
    result = grants("members", "import", edited)

    assert dry.output.endswith("dry run: nothing saved\n")
    assert result.output == (
        "added: 1, updated: 1, unchanged: 1, bad rows skipped: 0\n"
        "removed or unsubscribed, so still sent nothing: john@example.org\n"
    )
    assert member("anna@example.org").language is Language.EN
    assert not member("john@example.org").active


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"email,name,interests\n", "the file has a header but no members"),
        (
            b"e-mail,name,interests,phone\n",
            "line 1: unknown column(s): e_mail, phone; missing column(s): email",
        ),
        (
            "email;name;interests\na@example.org;Łukasz;health\n".encode("cp1250"),
            'line 2: not UTF-8; save the file as "CSV UTF-8"',
        ),
    ],
)
def test_import_refuses_an_unusable_file(
    grants: Grants, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(content)

    result = grants("members", "import", path)

    assert result.exit_code == 1
    assert f"Error: {path}: {message}" in result.output
    assert count(Member) == 0


def test_export_everything_about_a_member(grants: Grants, tmp_path: Path) -> None:
    add_anna(grants, "--organisation", "UMCS")
    _history("anna@example.org")
    output = tmp_path / "anna.json"

    printed = json.loads(
        grants("members", "export", "--email", "anna@example.org").output
    )
    saved = grants(
        "members", "export", "--email", "anna@example.org", "--output", output
    )

    assert saved.output == f"anna@example.org: exported to {output}\n"
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["member"] == printed["member"]
    assert data["member"]["organisation"] == "UMCS"
    assert data["member"]["interests"] == ["health", "biotech"]
    assert [
        (d["period"], d["status"], d["sent_at"]) for d in data["digest_deliveries"]
    ] == [("2026-W48", "sent", "2026-11-23T08:00:00+00:00")]
    [reminder] = data["reminder_deliveries"]
    assert (reminder["offset_days"], reminder["call_title"]) == (3, "Szczepionki mRNA")
    assert [(r["kind"], r["call_title"]) for r in data["member_feedback"]] == [
        ("not_relevant", "Szczepionki mRNA")
    ]


def test_delete_needs_yes_then_erases_everything(grants: Grants) -> None:
    add_anna(grants)
    grants(
        "members", "add", "--email", "jan@example.org", "--name", "Jan",
        "--interests", "pharma",
    )  # fmt: skip
    _history("anna@example.org")
    _history("jan@example.org")
    anna_id, jan_id = member("anna@example.org").id, member("jan@example.org").id

    refused = grants("members", "delete", "--email", "anna@example.org")
    assert refused.exit_code == 2
    assert "add --yes" in refused.output
    assert count(Member) == 2
    result = grants("members", "delete", "--email", "anna@example.org", "--yes")

    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        "anna@example.org: deleted (reminder_deliveries 1, member_feedback 1, "
        "digest_deliveries 1, members 1)"
    )
    assert [count(model) for model in (Member, *HISTORY)] == [1, 1, 1, 1]
    with session_factory().begin() as session:
        assert (_rows_of(session, anna_id), _rows_of(session, jan_id)) == (0, 4)


def _rows_of(session: Session, member_id: int) -> int:
    """Rows of every table pointing at the member, found from the schema."""
    total = session.scalar(select(func.count()).where(Member.id == member_id)) or 0
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is Member.__table__:
                query = select(func.count()).select_from(table)
                total += session.scalar(query.where(fk.parent == member_id)) or 0
    return total


def test_revoke_links_bumps_the_version(grants: Grants) -> None:
    add_anna(grants)

    result = grants("members", "revoke-links", "--email", "anna@example.org")

    assert result.output == (
        "anna@example.org: all links and feeds revoked; "
        "the next email carries new ones\n"
    )
    assert member("anna@example.org").token_version == 2


def test_the_excel_fixture_keeps_its_bom_and_crlf() -> None:
    # Editors and git may "fix" them; the Excel test would then prove less.
    data = (CSV / "excel_pl.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfemail;name;")
    assert data.count(b"\r\n") == 4
