"""Deadline reminders through a real SMTP server, on a calendar walked day by day."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digests import reminders
from digests.i18n import LOCALE_DIR, REMINDERS, get_translations, po_path
from digests.reminders import send_reminders
from digests.send import Hooks, Mailer, RetryPolicy, SendReport
from tests.digests import factories as f
from tests.digests.smtp import Mailbox
from tracker.config import Settings
from tracker.models import Call, Member, MemberFeedback, ReminderDelivery
from tracker.vocab import (
    ApplicantType,
    DatePrecision,
    DeliveryStatus,
    FeedbackKind,
    Frequency,
    Language,
)

WARSAW = ZoneInfo("Europe/Warsaw")
FAST = RetryPolicy(attempts=2, backoff=0)


def warsaw(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """A wall-clock moment in Warsaw, as the aware UTC time the code is given."""
    return datetime.combine(day, time(hour, minute), WARSAW).astimezone(UTC)


def days(first: date, last: date) -> Iterable[date]:
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)


def remind(
    sessions: sessionmaker[Session], settings: Settings, now: datetime, **hooks: object
) -> SendReport:
    mailer = Mailer(settings, FAST, hooks=Hooks(**hooks))  # type: ignore[arg-type]
    return send_reminders(sessions, settings, now, mailer=mailer)


def parse(mailbox: Mailbox, index: int) -> EmailMessage:
    raw = mailbox.received[index].original_content
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def member(
    session: Session,
    email: str,
    offsets: Sequence[int] = (14, 3),
    language: Language = Language.PL,
    **fields: object,
) -> Member:
    row = f.member(session, email, language=language)
    row.reminder_offsets = list(offsets)
    for name, value in fields.items():
        setattr(row, name, value)
    return row


def walk(
    sessions: sessionmaker[Session],
    settings: Settings,
    mailbox: Mailbox,
    first: date,
    last: date,
    skip: Sequence[date] = (),
) -> dict[date, list[tuple[str, str]]]:
    """Run the job every morning (twice: a rerun must add nothing); what came when."""
    seen: dict[date, list[tuple[str, str]]] = {}
    for day in days(first, last):
        if day in skip:
            continue
        before = len(mailbox.received)
        remind(sessions, settings, warsaw(day))
        rerun = remind(sessions, settings, warsaw(day, 15))
        assert rerun.sent == 0, f"a second run on {day} sent again"
        for n in range(before, len(mailbox.received)):
            message = parse(mailbox, n)
            seen.setdefault(day, []).append(
                (mailbox.received[n].rcpt_tos[0], message["Subject"])
            )
    return seen


def test_reminders_on_exactly_the_right_days_in_each_language(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    # 17:00 on 10 December in Warsaw; the month walked runs up to the day after.
    deadline = warsaw(date(2026, 12, 10), 17)
    with sessions.begin() as session:
        f.call(session, "vaccines", deadlines=(deadline,), title="Szczepionki")
        member(session, "anna@example.org")  # 14 and 3 days, Polish
        member(session, "jan@example.org", (21, 7, 1))
        member(session, "kate@example.org", (14, 1), Language.EN)
        member(session, "none@example.org", ())

    seen = walk(sessions, settings, mailbox, date(2026, 11, 11), date(2026, 12, 11))

    assert seen == {
        date(2026, 11, 19): [
            ("jan@example.org", "Za 21 dni: termin naboru Szczepionki")
        ],
        date(2026, 11, 26): [
            ("anna@example.org", "Za 14 dni: termin naboru Szczepionki"),
            ("kate@example.org", "In 14 days: deadline of Szczepionki"),
        ],
        date(2026, 12, 3): [("jan@example.org", "Za 7 dni: termin naboru Szczepionki")],
        date(2026, 12, 7): [
            ("anna@example.org", "Za 3 dni: termin naboru Szczepionki")
        ],
        date(2026, 12, 9): [
            ("jan@example.org", "Za 1 dzień: termin naboru Szczepionki"),
            ("kate@example.org", "In 1 day: deadline of Szczepionki"),
        ],
    }
    with sessions() as session:
        rows = session.scalars(select(ReminderDelivery)).all()
    assert len(rows) == 7
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert {r.deadline_at for r in rows} == {deadline}


def test_the_day_is_counted_in_warsaw_not_in_utc(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    """00:30 on 2 April in Warsaw is still 1 April in UTC, and DST began on 29 March."""
    deadline = warsaw(date(2027, 4, 2), 0, 30)
    assert deadline.date() == date(2027, 4, 1)
    with sessions.begin() as session:
        f.call(session, "night", deadlines=(deadline,), title="Nocny")
        member(session, "anna@example.org", (3,))

    seen = walk(sessions, settings, mailbox, date(2027, 3, 25), date(2027, 4, 1))

    assert seen == {
        date(2027, 3, 30): [("anna@example.org", "Za 3 dni: termin naboru Nocny")]
    }


def test_a_missed_day_is_not_caught_up(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    with sessions.begin() as session:
        f.call(session, "x", deadlines=(warsaw(date(2026, 12, 10), 17),), title="X")
        member(session, "anna@example.org")

    seen = walk(
        sessions,
        settings,
        mailbox,
        date(2026, 11, 20),
        date(2026, 12, 10),
        skip=[date(2026, 11, 26)],  # the scheduler was down all that day
    )

    assert list(seen) == [date(2026, 12, 7)]  # the 3-day one only


def test_only_cut_offs_known_to_the_day_and_still_ahead(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    today = date(2026, 11, 26)
    with sessions.begin() as session:
        f.call(
            session,
            "month",
            deadlines=(warsaw(today + timedelta(days=3)),),
            precision=DatePrecision.MONTH,
        )
        f.call(
            session,
            "day",
            deadlines=(warsaw(today + timedelta(days=3), 0),),
            precision=DatePrecision.DAY,
            title="Dzienny",
        )
        # The same day's 07:00 cut-off has passed by the 08:00 run.
        f.call(session, "past", deadlines=(warsaw(today, 7),), title="Minął")
        member(session, "anna@example.org", (0, 3))

    report = remind(sessions, settings, warsaw(today))

    assert report.emails("sent") == ["anna@example.org"]
    assert parse(mailbox, 0)["Subject"] == "Za 3 dni: termin naboru Dzienny"


def test_reminders_due_together_come_in_one_email(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    today = date(2026, 11, 26)
    with sessions.begin() as session:
        for n, ahead in enumerate((3, 14, 3, 3, 14)):
            cut = warsaw(today + timedelta(days=ahead), 12 + n)
            f.call(session, f"c{n}", deadlines=(cut,), title=f"Nabór {n}")
        member(session, "anna@example.org")
        member(session, "kate@example.org", language=Language.EN)

    report = remind(sessions, settings, warsaw(today))

    assert report.emails("sent") == ["anna@example.org", "kate@example.org"]
    assert mailbox.count() == Counter({"anna@example.org": 1, "kate@example.org": 1})
    subjects = {parse(mailbox, n)["Subject"] for n in range(2)}
    assert subjects == {
        "Przypomnienie o terminach: 5 naborów",
        "Deadline reminders: 5 calls",
    }
    polish = next(
        parse(mailbox, n)
        for n in range(2)
        if mailbox.received[n].rcpt_tos == ["anna@example.org"]
    )
    text = polish.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # Soonest first: the three 3-day cut-offs, then the 14-day ones.
    order = [text.index(f"Nabór {n}") for n in (0, 2, 3, 1, 4)]
    assert order == sorted(order)
    assert text.count(" – za 3 dni") == 3 and text.count(" – za 14 dni") == 2
    with sessions() as session:
        assert session.query(ReminderDelivery).count() == 10  # one row each


@pytest.mark.parametrize(
    ("count", "subject"),
    [
        (2, "Przypomnienie o terminach: 2 nabory"),
        (4, "Przypomnienie o terminach: 4 nabory"),
        (5, "Przypomnienie o terminach: 5 naborów"),
        (12, "Przypomnienie o terminach: 12 naborów"),
        (22, "Przypomnienie o terminach: 22 nabory"),
    ],
)
def test_polish_plural_forms_in_the_subject(
    sessions: sessionmaker[Session],
    mailbox: Mailbox,
    settings: Settings,
    count: int,
    subject: str,
) -> None:
    today = date(2026, 11, 26)
    with sessions.begin() as session:
        for n in range(count):
            f.call(session, f"c{n}", deadlines=(warsaw(today + timedelta(days=3)),))
        member(session, "anna@example.org")

    remind(sessions, settings, warsaw(today))

    assert parse(mailbox, 0)["Subject"] == subject


def test_a_reminder_reads_well_and_unsubscribes_in_one_click(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    today = date(2026, 11, 26)
    with sessions.begin() as session:
        call = f.call(
            session,
            "vaccines",
            deadlines=(warsaw(date(2026, 12, 10), 17),),
            title="Szczepionki",
        )
        member(session, "anna@example.org")
        member(session, "kate@example.org", language=Language.EN)
    call_id = call.id

    remind(sessions, settings, warsaw(today))

    by_rcpt = {mailbox.received[n].rcpt_tos[0]: parse(mailbox, n) for n in range(2)}
    polish, english = by_rcpt["anna@example.org"], by_rcpt["kate@example.org"]
    text = polish.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = polish.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert [p.get_content_type() for p in polish.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert text.startswith("Dzień dobry, Anna Nowak!")
    assert "Termin: 10 grudnia 2026, 17:00 – za 14 dni" in text
    assert "Przypomnienia przychodzą 14 i 3 dni przed każdym terminem." in text
    assert "strefy czasowej: Warszawa" in text
    not_relevant = [line for line in text.splitlines() if "/m/not-relevant/" in line]
    assert len(not_relevant) == 1 and not_relevant[0].endswith(f"/{call_id}")
    assert "Szczepionki" in html and "10 grudnia 2026, 17:00" in html
    assert polish["Content-Language"] == "pl"
    unsubscribe = polish["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://granty.klaster.example/m/unsubscribe/")
    assert unsubscribe.endswith("<mailto:granty@klaster.example?subject=unsubscribe>")
    assert polish["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert polish["Message-ID"].startswith("<reminders-2026-11-26-")
    english_text = english.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Deadline: 10 December 2026, 17:00 – in 14 days" in english_text
    assert "Reminders come 14 and 3 days before each deadline." in english_text
    assert "Termin" not in english_text


def test_who_gets_no_reminders(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    today = date(2026, 11, 26)
    cut = (warsaw(today + timedelta(days=3)),)
    with sessions.begin() as session:
        f.call(session, "open", deadlines=cut)
        only_unis = f.call(
            session, "unis", deadlines=cut, applicant_types=["university"]
        )
        member(session, "anna@example.org")
        member(session, "off@example.org", frequency=Frequency.OFF)
        member(session, "gone@example.org", unsubscribed_at=warsaw(today, 0))
        member(session, "inactive@example.org", active=False)
        member(session, "bio@example.org", interests=["biotech"])
        sme = member(session, "sme@example.org", applicant_type=ApplicantType.SME)
        tired = member(session, "tired@example.org")
        session.flush()
        session.add(
            MemberFeedback(member=tired, call=only_unis, kind=FeedbackKind.NOT_RELEVANT)
        )
        assert sme.applicant_type is ApplicantType.SME

    report = remind(sessions, settings, warsaw(today))

    # Two calls for Anna; the SME only the open one; Tired dismissed one.
    assert mailbox.count() == Counter(
        {"anna@example.org": 1, "sme@example.org": 1, "tired@example.org": 1}
    )
    subjects = {
        mailbox.received[n].rcpt_tos[0]: parse(mailbox, n)["Subject"] for n in range(3)
    }
    assert subjects["anna@example.org"] == "Przypomnienie o terminach: 2 nabory"
    assert subjects["sme@example.org"] == "Za 3 dni: termin naboru Call open"
    assert subjects["tired@example.org"] == "Za 3 dni: termin naboru Call open"
    assert report.emails("skipped_empty") == ["bio@example.org"]


def test_a_call_found_later_the_same_day_gets_its_own_email(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    today = date(2026, 11, 26)
    cut = (warsaw(today + timedelta(days=3)),)
    with sessions.begin() as session:
        f.call(session, "first", deadlines=cut, title="Pierwszy")
        member(session, "anna@example.org")
    remind(sessions, settings, warsaw(today))
    with sessions.begin() as session:
        f.call(session, "second", deadlines=cut, title="Drugi")

    report = remind(sessions, settings, warsaw(today, 14))

    assert report.emails("sent") == ["anna@example.org"]
    first, second = parse(mailbox, 0), parse(mailbox, 1)
    assert second["Subject"] == "Za 3 dni: termin naboru Drugi"
    assert first["Message-ID"] != second["Message-ID"]


def test_a_moved_cut_off_is_reminded_of_again(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    today = date(2026, 11, 26)
    with sessions.begin() as session:
        call = f.call(session, "moved", deadlines=(warsaw(today + timedelta(3)),))
        member(session, "anna@example.org", (3,))
    remind(sessions, settings, warsaw(today))
    with sessions.begin() as session:
        moved = session.get_one(Call, call.id)
        moved.deadlines[0].at = warsaw(today + timedelta(days=10))

    seen = walk(sessions, settings, mailbox, today, today + timedelta(days=10))

    assert list(seen) == [today + timedelta(days=7)]
    assert mailbox.count() == Counter({"anna@example.org": 2})


def test_a_crash_after_the_server_took_it_leaves_it_uncertain(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    today = date(2026, 11, 26)
    with sessions.begin() as session:
        f.call(session, "c", deadlines=(warsaw(today + timedelta(days=3)),))
        member(session, "anna@example.org")
        member(session, "jan@example.org")

    def die(email: str) -> None:
        if email == "anna@example.org":
            raise SystemExit("killed between 250 and the commit")

    with pytest.raises(SystemExit):
        one_worker = replace(settings, SMTP_CONCURRENCY="1")  # Anna goes first
        remind(sessions, one_worker, warsaw(today), accepted=die)
    rerun = remind(sessions, settings, warsaw(today, 12))

    assert rerun.emails("uncertain") == ["anna@example.org"]
    assert rerun.emails("sent") == ["jan@example.org"]
    assert mailbox.count() == Counter({"anna@example.org": 1, "jan@example.org": 1})
    with sessions() as session:
        statuses = session.scalars(
            select(ReminderDelivery.status).order_by(ReminderDelivery.member_id)
        ).all()
    assert statuses == [DeliveryStatus.UNCERTAIN, DeliveryStatus.SENT]


def test_an_address_refused_for_good_is_flagged(
    sessions: sessionmaker[Session], mailbox: Mailbox, settings: Settings
) -> None:
    today = date(2026, 11, 26)
    with sessions.begin() as session:
        f.call(session, "c", deadlines=(warsaw(today + timedelta(days=3)),))
        member(session, "anna@example.org")
    mailbox.rcpt_refusals["anna@example.org"] = ["550 5.1.1 User unknown"]

    report = remind(sessions, settings, warsaw(today))

    assert report.emails("failed") == ["anna@example.org"]
    with sessions() as session:
        anna = session.scalars(select(Member)).one()
    assert anna.flagged_at is not None
    assert anna.flag_reason and "User unknown" in anna.flag_reason
    assert "reminders 2026-11-26" in anna.flag_reason
    assert mailbox.received == []


def extract(keywords: dict[str, object] | None) -> set[object]:
    """The msgids of digests/reminders.py under `keywords` (None: babel's default)."""
    path = Path(reminders.__file__)
    found = extract_from_file(
        "python", str(path), **({"keywords": keywords} if keywords is not None else {})
    )
    return {m if isinstance(m, str) else tuple(m) for _, m, _, _ in found}


def test_the_reminders_catalogue_matches_the_code() -> None:
    with (LOCALE_DIR / "reminders.pot").open("rb") as pot:
        ids = {m.id for m in read_po(pot) if m.id}
    assert extract({"R_": None, "RN_": (1, 2)}) == ids, "see digests/i18n.py"
    # Babel's default keywords find nothing: the digest's catalogue stays apart.
    assert extract(None) == set()


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_reminder_string_is_translated(language: str) -> None:
    with (LOCALE_DIR / "reminders.pot").open("rb") as pot:
        ids = {m.id for m in read_po(pot) if m.id}
    with po_path(language, REMINDERS).open("rb") as po:
        catalog = read_po(po, locale=language)
    assert {m.id for m in catalog if m.id} == ids
    for message in catalog:
        if message.id:
            strings = message.string if message.pluralizable else (message.string,)
            assert all(strings) and len(strings) in (1, catalog.num_plurals)
    assert [e for _, e in catalog.check() if e] == []


def test_polish_countdown_plurals() -> None:
    ngettext = get_translations("pl", REMINDERS).ngettext
    said = {
        n: ngettext(*reminders.COUNTDOWN, n) % {"num": n} for n in (1, 2, 5, 14, 22, 25)
    }
    assert said == {
        1: "za 1 dzień",
        2: "za 2 dni",
        5: "za 5 dni",
        14: "za 14 dni",
        22: "za 22 dni",
        25: "za 25 dni",
    }
