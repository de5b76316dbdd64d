"""A simulated week of `grants schedule`: the scheduler's own jobs, on a set clock.

Monday 05:00 the crawl (every source in its own process, against the demo's
replay server), then a coordinator's review; 07:00 the digest, killed after
the first member's message and run again; every day 08:00 the reminders and
09:00 the health check. The jobs are the functions the scheduler runs
(`tracker.jobs`), each given the time its configured trigger fires; mail goes
to a real SMTP server, data to SQLite and, with TEST_DATABASE_URL, PostgreSQL.

The crawl subprocesses keep the real clock, so what they stamp (calls seen,
runs, alerts) is moved onto Monday 05:00 afterwards: the one thing faked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.smtp import Envelope
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from spiders.items import Deadline, FundingCall
from tests.conftest import database_urls
from tests.scheduling import (
    HoldingMailbox,
    Process,
    environment,
    fresh_database,
    serving,
    settings_env,
    wait_until,
)
from tracker import jobs
from tracker.config import get_settings
from tracker.db import get_engine, session_factory
from tracker.demo.replay import ReplayServer, demo_api_url
from tracker.demo.run import DEMO_SOURCES
from tracker.members import add_member
from tracker.models import (
    Alert,
    Call,
    CallVersion,
    CrawlRun,
    DigestDelivery,
    Member,
    ReminderDelivery,
)
from tracker.review import decide, set_pick
from tracker.schedules import configured_jobs
from tracker.status import compute_status
from tracker.storage import ensure_source, upsert_call
from tracker.vocab import DatePrecision, DeliveryStatus, Language, ReviewState

WARSAW = ZoneInfo("Europe/Warsaw")
COORDINATORS = "koordynatorzy@klaster.example"
ANNA, JOHN, EWA = "anna@example.org", "john@example.org", "ewa@example.org"
MEMBERS = (
    (ANNA, "Anna Kowalska", Language.PL, ["health", "biotech"]),
    (JOHN, "John Smith", Language.EN, ["environment", "agrifood"]),
    (EWA, "Ewa Nowak", Language.PL, ["pharma", "health"]),
)
# The digest job in a process of its own, at the simulated time given as argv[1].
DIGEST_RUN = (
    "import sys; from datetime import datetime; from tracker.jobs import digest; "
    "digest(datetime.fromisoformat(sys.argv[1]))"
)
REMINDED_TITLE = "Biotechnologia w diagnostyce chorób nowotworowych"
# What a crawl stamps with the time it ran.
STAMPED = {
    Call: ("first_seen_at", "last_seen_at", "updated_at"),
    CrawlRun: ("started_at", "finished_at"),
    Alert: ("raised_at", "notified_at", "resolved_at"),
    CallVersion: ("recorded_at",),
}


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str  # the plain-text part, whitespace collapsed (titles may wrap)


def read(envelopes: list[Envelope]) -> list[Mail]:
    mails = []
    for envelope in envelopes:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        for rcpt in envelope.rcpt_tos:
            mails.append(Mail(rcpt, str(message["Subject"]), " ".join(text.split())))
    return mails


class Week:
    """The simulated clock, from Monday (day 0) to Sunday (day 6), in Warsaw."""

    def __init__(self, monday: date) -> None:
        self.monday = monday
        self.triggers = {s.id: s.trigger for s in configured_jobs(get_settings())}

    def at(self, day: int, hhmm: str) -> datetime:
        local = datetime.combine(
            self.monday + timedelta(days=day), time.fromisoformat(hhmm), WARSAW
        )
        return local.astimezone(UTC)

    def fires(self, job_id: str, day: int) -> datetime:
        """When the scheduler runs `job_id` on `day`, from the configured trigger."""
        midnight = self.at(day, "00:00")
        fire = self.triggers[job_id].get_next_fire_time(None, midnight)
        assert fire is not None and fire - midnight < timedelta(days=1), job_id
        return fire.astimezone(UTC)


@pytest.fixture(params=database_urls())
def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Engine, str]]:
    with fresh_database(request.param, tmp_path) as found:
        yield found


@pytest.fixture
def mailbox() -> Iterator[HoldingMailbox]:
    with serving(HoldingMailbox()) as box:
        assert isinstance(box, HoldingMailbox)
        yield box


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture
def env(
    database: tuple[Engine, str],
    mailbox: HoldingMailbox,
    replay: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, str]]:
    """The settings of the week, in this process (the jobs) and its children."""
    _, url = database
    values = settings_env(
        url,
        mailbox.port,
        COORDINATORS_EMAIL=COORDINATORS,
        REPLAY_URL=replay.url,
        EU_FT_API_URL=demo_api_url(replay),
    )
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield environment(url, mailbox.port, **values)
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_a_week_of_jobs(env: dict[str, str], mailbox: HoldingMailbox) -> None:
    week = Week(next_monday(datetime.now(WARSAW).date()))
    sessions = session_factory()
    with sessions.begin() as session:
        for email, name, language, interests in MEMBERS:
            add_member(session, email, name, language, interests)

    # Monday 05:00: the crawl, as the scheduler runs it.
    results = jobs.crawl()
    assert all(results[slug] == 0 for slug in DEMO_SOURCES), results
    move_crawl_to(sessions, week.fires("crawl", 0))
    reminded = store_call_due(sessions, week, deadline_day=6)  # Sunday

    # Monday 06:00: a coordinator reviews three of Anna's calls.
    picked, rejected, approved = review(sessions, week.at(0, "06:00"))

    # Monday 07:00: the digest dies after Anna's message; it runs again at 07:30.
    monday_digest = week.fires("digest", 0)
    first = digest_killed_after_first(env, mailbox, monday_digest)
    assert [m.to for m in first] == [ANNA]
    rerun = jobs.digest(now=monday_digest + timedelta(minutes=30))
    assert (rerun.sent, rerun.already_sent, rerun.failed) == (2, 1, 0)
    digests = {m.to: m for m in read(mailbox.received)}
    assert Counter(m.to for m in read(mailbox.received)) == dict.fromkeys(
        (ANNA, JOHN, EWA), 1
    )
    check_digests(digests, picked, rejected, approved)

    # Every day of the week: reminders at 08:00, the health check at 09:00.
    sent_on = {}
    for day in range(7):
        sent_on[day] = run_day(mailbox, week, day)

    reminders = {day: [m.to for m in mails[0]] for day, mails in sent_on.items()}
    assert reminders == {d: ([ANNA, EWA] if d == 3 else []) for d in range(7)}
    thursday = {m.to: m for m in sent_on[3][0]}
    assert REMINDED_TITLE in thursday[ANNA].text
    assert "3 dni" in thursday[ANNA].subject  # Polish: "za 3 dni"
    alerts = {day: [m.subject for m in mails[1]] for day, mails in sent_on.items()}
    # Failed sources on Monday; on Thursday the others, three days uncrawled.
    assert [day for day, subjects in alerts.items() if subjects] == [0, 3]
    assert all(len(s) == 1 for s in alerts.values() if s)
    failed_sources = set(results) - set(DEMO_SOURCES)
    assert all(slug in alerts[0][0] for slug in failed_sources)
    assert all(slug in alerts[3][0] for slug in DEMO_SOURCES)

    check_records(sessions, reminded)


def next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def move_crawl_to(sessions: sessionmaker[Session], moment: datetime) -> None:
    """Move what the crawl stamped so that it began at `moment`."""
    with sessions.begin() as session:
        began = session.scalar(select(func.min(CrawlRun.started_at)))
        assert began is not None
        shift = moment - began
        for model, columns in STAMPED.items():
            for row in session.scalars(select(model)):
                for column in columns:
                    if (value := getattr(row, column)) is not None:
                        setattr(row, column, value + shift)


def store_call_due(
    sessions: sessionmaker[Session], week: Week, deadline_day: int
) -> int:
    """A call (health, biotech) whose cut-off falls on `deadline_day` at 23:59."""
    now = week.at(0, "05:30")
    cut_off = week.at(deadline_day, "23:59")
    opening = week.at(-30, "00:00")
    item = FundingCall(
        source="week_test",
        source_id="diag-2026",
        title=REMINDED_TITLE,
        url="https://example.org/nabory/diag-2026",
        funder="Urząd Marszałkowski Województwa Lubelskiego",
        language="pl",
        opening_date=opening,
        deadlines=[Deadline(cut_off, precision=DatePrecision.DATETIME)],
        description="Projekty biotechnologiczne w diagnostyce medycznej i ochronie "
        "zdrowia: biomarkery, diagnostyka molekularna.",
        keywords=["biotechnologia", "zdrowie", "diagnostyka"],
        status=compute_status(now, opening, [cut_off]),
    )
    with sessions.begin() as session:
        source = ensure_source(session, "week_test", "Week test", "UMWL", None)
        call = upsert_call(session, source, item, now).call
        assert {"health", "biotech"} <= {t.tag for t in call.tags}, call.tags
        assert (call.relevance or 0) >= get_settings().digest_min_relevance
        return call.id


def review(sessions: sessionmaker[Session], now: datetime) -> tuple[str, str, str]:
    """Pick, reject and approve Anna's three crawled calls closing first; titles.

    All three are new this week, so each would be in the "new" section of
    her digest, which lists the calls closing first: the approved one shown
    there proves the rejected one, closing earlier, would be shown too.
    """
    with sessions.begin() as session:
        calls = [
            call
            for call in session.scalars(select(Call).where(Call.relevance >= 0.5))
            if {"health", "biotech"} & {t.tag for t in call.tags}
            and call.source.slug in DEMO_SOURCES
            and call.merged_into_id is None
            and any(d.at > now for d in call.deadlines)
        ]
        calls.sort(key=lambda c: min(d.at for d in c.deadlines if d.at > now))
        pick, reject, approve = calls[:3]
        set_pick(session, pick, True, None, now)
        decide(session, reject, ReviewState.REJECTED, None, now)
        decide(session, approve, ReviewState.APPROVED, None, now)
        return (*(" ".join(c.title.split()) for c in (pick, reject, approve)),)


def digest_killed_after_first(
    env: dict[str, str], mailbox: HoldingMailbox, now: datetime
) -> list[Mail]:
    """Run the digest job in a process, kill it at the second member's RCPT."""
    mailbox.hold = {JOHN}
    process = Process(env, "-c", DIGEST_RUN, now.isoformat())
    try:
        wait_until(mailbox.holding.is_set, "the digest to reach John")
    finally:
        process.kill()
    mailbox.hold = set()
    mailbox.release.set()
    return read(mailbox.received)


def check_digests(
    digests: dict[str, Mail], picked: str, rejected: str, approved: str
) -> None:
    anna, john, ewa = digests[ANNA], digests[JOHN], digests[EWA]
    assert anna.subject.startswith("Nabory, tydzień")  # Polish
    assert "1 polecany nabór" in anna.subject
    assert john.subject.startswith("Funding calls, week")  # English
    picks, news = anna.text.index("Wybór koordynatorów (1)"), anna.text.index("Nowe")
    assert picks < anna.text.index(picked) < news
    assert news < anna.text.index(approved)
    assert rejected not in anna.text
    assert REMINDED_TITLE in anna.text and REMINDED_TITLE in ewa.text
    assert REMINDED_TITLE not in john.text


def run_day(
    mailbox: HoldingMailbox, week: Week, day: int
) -> tuple[list[Mail], list[Mail]]:
    """The day's reminders (08:00) and health check (09:00): the mail each sent."""
    before = len(mailbox.received)
    report = jobs.reminders(now=week.fires("reminders", day))
    assert (report.failed, report.uncertain) == (0, 0)
    reminders = read(mailbox.received[before:])
    before = len(mailbox.received)
    jobs.health(now=week.fires("health", day))
    alerts = read(mailbox.received[before:])
    assert all(m.to == COORDINATORS for m in alerts)
    return reminders, alerts


def check_records(sessions: sessionmaker[Session], reminded: int) -> None:
    """The week as the database has it: one row per email, all sent."""
    with sessions.begin() as session:
        digests = session.execute(
            select(Member.email, DigestDelivery.status).join(DigestDelivery.member)
        ).all()
        reminders = session.execute(
            select(Member.email, ReminderDelivery.offset_days, ReminderDelivery.status)
            .join(ReminderDelivery.member)
            .where(ReminderDelivery.call_id == reminded)
        ).all()
    assert sorted(digests) == [(e, DeliveryStatus.SENT) for e in (ANNA, EWA, JOHN)]
    assert sorted(reminders) == [
        (ANNA, 3, DeliveryStatus.SENT),
        (EWA, 3, DeliveryStatus.SENT),
    ]
