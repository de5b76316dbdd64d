"""Faults injected into a real aiosmtpd server, and a sender killed mid-run.

Every test counts the copies each recipient received: the promise is exactly
one per member and week, or, when a crashed run cannot know, at most one and
a row marked `uncertain` for the coordinators.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from digests.period import current_period
from digests.send import Mailer, RetryPolicy, SendReport, resend_digest
from digests.send import send_weekly_digests as send
from tests.conftest import ROOT
from tests.digests import factories as f
from tests.digests.factories import NOW, PERIOD
from tests.digests.smtp import Mailbox, free_port, running_mailbox, smtp_settings
from tracker.cli import cli as grants
from tracker.config import Settings, get_settings
from tracker.db import get_engine, session_factory, upgrade
from tracker.models import DigestDelivery, Member, utcnow
from tracker.vocab import DeliveryStatus

FAST = RetryPolicy(attempts=3, backoff=0)
ONE_AT_A_TIME = {"SMTP_CONCURRENCY": "1"}
S = DeliveryStatus


def run(sessions: sessionmaker[Session], settings: Settings) -> SendReport:
    return send(sessions, settings, PERIOD, NOW, retry=FAST)


def seed(sessions: sessionmaker[Session], count: int) -> list[str]:
    """`count` members, all interested in one new health call; their addresses."""
    emails = [f"member{n:02d}@example.org" for n in range(1, count + 1)]
    with sessions.begin() as session:
        f.call(session, "new-health", first_seen=NOW - timedelta(days=1))
        for email in emails:
            f.member(session, email)
    return emails


def statuses(sessions: sessionmaker[Session]) -> dict[str, DeliveryStatus]:
    with sessions() as session:
        rows = session.execute(
            select(Member.email, DigestDelivery.status).join(DigestDelivery.member)
        )
        return {email: status for email, status in rows}


def flags(sessions: sessionmaker[Session]) -> dict[str, str | None]:
    with sessions() as session:
        rows = session.execute(select(Member.email, Member.flag_reason))
        return {email: reason for email, reason in rows}


def test_recipient_refused_for_good_is_failed_and_flagged(
    sessions: sessionmaker[Session], mailbox: Mailbox
) -> None:
    anna, jan = seed(sessions, 2)
    mailbox.rcpt_refusals[anna] = ["550 5.1.1 No such mailbox"]

    report = run(sessions, smtp_settings(mailbox.port, **ONE_AT_A_TIME))

    assert report.emails("failed") == [anna]
    assert report.emails("sent") == [jan]
    assert mailbox.count() == Counter({jan: 1})
    assert statuses(sessions) == {anna: S.FAILED, jan: S.SENT}
    reason = flags(sessions)[anna]
    assert reason is not None
    assert "550" in reason and "No such mailbox" in reason and "2026-W48" in reason
    assert flags(sessions)[jan] is None
    # The envelope was reset, not the connection: Jan's mail used the same one.
    assert len(set(mailbox.peers)) == 1


def test_recipient_refused_for_now_is_retried_and_sent_once(
    sessions: sessionmaker[Session], mailbox: Mailbox
) -> None:
    (anna,) = seed(sessions, 1)
    mailbox.rcpt_refusals[anna] = ["450 4.2.1 Mailbox busy", "451 4.3.0 Later"]

    report = run(sessions, smtp_settings(mailbox.port))

    assert report.emails("sent") == [anna]
    assert mailbox.count() == Counter({anna: 1})
    assert mailbox.attempts == 1  # DATA only once: RCPT was refused before it
    assert statuses(sessions) == {anna: S.SENT}
    assert flags(sessions)[anna] is None


def test_a_4xx_at_data_then_success(
    sessions: sessionmaker[Session], mailbox: Mailbox
) -> None:
    (anna,) = seed(sessions, 1)
    mailbox.refusals = ["452 4.3.1 Insufficient system storage"]

    report = run(sessions, smtp_settings(mailbox.port))

    assert report.emails("sent") == [anna]
    assert mailbox.attempts == 2
    assert mailbox.count() == Counter({anna: 1})


def test_a_connection_dropped_mid_message_is_retried_never_doubled(
    sessions: sessionmaker[Session], mailbox: Mailbox
) -> None:
    emails = seed(sessions, 3)
    mailbox.drops = 2

    report = run(sessions, smtp_settings(mailbox.port, **ONE_AT_A_TIME))

    assert report.emails("sent") == emails
    assert mailbox.count() == Counter(dict.fromkeys(emails, 1))
    assert mailbox.attempts == 5
    assert set(statuses(sessions).values()) == {S.SENT}


def test_drops_until_the_last_try_fail_then_the_rerun_sends_once(
    sessions: sessionmaker[Session], mailbox: Mailbox
) -> None:
    (anna,) = seed(sessions, 1)
    mailbox.drops = FAST.attempts
    settings = smtp_settings(mailbox.port)

    first = run(sessions, settings)

    assert first.emails("failed") == [anna]
    assert "SMTPServerDisconnected" in first.errors[anna]
    assert statuses(sessions) == {anna: S.FAILED}
    assert flags(sessions)[anna] is None  # the connection, not the address
    assert run(sessions, settings).emails("sent") == [anna]
    assert mailbox.count() == Counter({anna: 1})


def test_connection_refused_until_the_server_comes_up(
    sessions: sessionmaker[Session],
) -> None:
    (anna,) = seed(sessions, 1)
    port = free_port()
    with ExitStack() as later:
        boxes: list[Mailbox] = []

        async def start_server(_seconds: float) -> None:
            # Called between the tries: the first one met a closed port.
            boxes.append(later.enter_context(running_mailbox(port)))

        retry = RetryPolicy(attempts=2, backoff=1, sleep=start_server)
        report = send(sessions, smtp_settings(port), PERIOD, NOW, retry=retry)

        assert report.emails("sent") == [anna]
        assert len(boxes) == 1
        assert boxes[0].count() == Counter({anna: 1})


# A sender in its own process, killed by a hook at a chosen moment. Sessions
# and SMTP are the real ones; only the process dies, with SIGKILL: no cleanup,
# no "finally", exactly like a power cut or the OOM killer.
SENDER = """
import os, signal, sys
from digests.send import Hooks, Mailer, RetryPolicy, send_weekly_digests
from tests.digests.factories import NOW, PERIOD
from tests.digests.smtp import smtp_settings
from tracker.db import make_engine, session_factory

url, schema, port, concurrency, moment, victim = sys.argv[1:]
options = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
sessions = session_factory(make_engine(url, **options))
settings = smtp_settings(int(port), SMTP_CONCURRENCY=concurrency)
recorded = []

def accepted(email):
    if moment == "accepted" and email == victim:
        os.kill(os.getpid(), signal.SIGKILL)

def record(email):
    recorded.append(email)
    if moment == "recorded" and len(recorded) == int(victim):
        os.kill(os.getpid(), signal.SIGKILL)

mailer = Mailer(settings, RetryPolicy(backoff=0), hooks=Hooks(accepted, record))
send_weekly_digests(sessions, settings, PERIOD, NOW, mailer=mailer)
"""


def killed_sender(
    engine: Engine, port: int, moment: str, victim: str, concurrency: int = 1
) -> None:
    """Run a sender that SIGKILLs itself at `moment` ("accepted"/"recorded")."""
    schema = ""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.scalar(text("SELECT current_schema()")) or ""
    url = engine.url.render_as_string(hide_password=False)
    args = [url, schema, str(port), str(concurrency), moment, victim]
    done = subprocess.run(
        [sys.executable, "-c", SENDER, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_a_crash_between_sending_and_recording_is_uncertain_never_resent(
    sessions: sessionmaker[Session], mailbox: Mailbox, committing_engine: Engine
) -> None:
    emails = seed(sessions, 4)
    victim = emails[1]

    killed_sender(committing_engine, mailbox.port, "accepted", victim)

    # The server has the victim's digest; the database still says "sending".
    assert mailbox.count() == Counter({emails[0]: 1, victim: 1})
    assert statuses(sessions) == {emails[0]: S.SENT, victim: S.SENDING}

    rerun = run(sessions, smtp_settings(mailbox.port))

    assert rerun.emails("uncertain") == [victim]
    assert rerun.emails("already_sent") == [emails[0]]
    assert rerun.emails("sent") == emails[2:]
    assert not rerun.ok
    assert mailbox.count() == Counter(dict.fromkeys(emails, 1))
    assert statuses(sessions)[victim] is S.UNCERTAIN
    # Asking again changes nothing: uncertain waits for a coordinator.
    again = run(sessions, smtp_settings(mailbox.port))
    assert again.emails("uncertain") == [victim]
    assert mailbox.count()[victim] == 1


def test_a_coordinator_resends_an_uncertain_digest(
    sessions: sessionmaker[Session], mailbox: Mailbox, committing_engine: Engine
) -> None:
    (anna,) = seed(sessions, 1)
    killed_sender(committing_engine, mailbox.port, "accepted", anna)
    settings = smtp_settings(mailbox.port)
    run(sessions, settings)
    assert statuses(sessions) == {anna: S.UNCERTAIN}

    report = resend_digest(
        sessions, settings, anna, PERIOD, NOW, mailer=Mailer(settings)
    )

    assert report.emails("sent") == [anna]
    assert statuses(sessions) == {anna: S.SENT}
    assert mailbox.count() == Counter({anna: 2})  # the coordinator's choice
    with pytest.raises(ValueError, match="sent to"):
        resend_digest(sessions, settings, anna, PERIOD, NOW)
    forced = resend_digest(sessions, settings, anna, PERIOD, NOW, force=True)
    assert forced.emails("sent") == [anna]
    with pytest.raises(ValueError, match="not a member receiving"):
        resend_digest(sessions, settings, "nobody@example.org", PERIOD, NOW)


@pytest.mark.parametrize("k", [1, 3])
def test_killed_after_k_of_n_the_rerun_sends_to_the_others(
    sessions: sessionmaker[Session],
    mailbox: Mailbox,
    committing_engine: Engine,
    k: int,
) -> None:
    emails = seed(sessions, 5)

    killed_sender(committing_engine, mailbox.port, "recorded", str(k))

    assert mailbox.count() == Counter(dict.fromkeys(emails[:k], 1))
    rerun = run(sessions, smtp_settings(mailbox.port))

    assert rerun.emails("sent") == emails[k:]
    assert rerun.emails("already_sent") == emails[:k]
    assert rerun.ok
    assert mailbox.count() == Counter(dict.fromkeys(emails, 1))


def test_killed_with_messages_in_flight_never_doubles(
    sessions: sessionmaker[Session], mailbox: Mailbox, committing_engine: Engine
) -> None:
    """Three workers: the kill catches others mid-way, wherever they are."""
    emails = seed(sessions, 9)
    mailbox.data_delay = 0.05

    killed_sender(committing_engine, mailbox.port, "recorded", "4", concurrency=3)
    rerun = run(sessions, smtp_settings(mailbox.port, SMTP_CONCURRENCY="3"))

    received = mailbox.count()
    final = statuses(sessions)
    assert set(final) == set(emails)
    assert all(received[e] <= 1 for e in emails)
    assert all(received[e] == 1 for e in emails if final[e] is S.SENT)
    assert set(final.values()) <= {S.SENT, S.UNCERTAIN}
    assert sorted(rerun.emails("uncertain")) == sorted(
        e for e in emails if final[e] is S.UNCERTAIN
    )


def test_grants_digest_send_reports_uncertain_and_resend_settles_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mailbox: Mailbox
) -> None:
    """The coordinators' side, through the CLI on a SQLite file."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'grants.db'}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),
        "MAIL_FROM": "Klaster <granty@klaster.example>",
        "SECRET_KEY": "test-secret-key-long-enough-for-member-links",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_engine.cache_clear()
    now = utcnow()
    week = str(current_period(now, "Europe/Warsaw"))
    try:
        upgrade()
        with session_factory().begin() as session:
            f.call(
                session,
                "new",
                first_seen=now - timedelta(hours=1),
                deadlines=(now + timedelta(days=50),),
            )
            anna = f.member(session, "anna@example.org")
            # What a run killed between "sending" and "sent" leaves behind.
            session.add(
                DigestDelivery(
                    member=anna, period=week, status=S.SENDING, message_id="<x@y>"
                )
            )
        cli = CliRunner()

        sent = cli.invoke(grants, ["digest", "send", "--week", week])
        resent = cli.invoke(
            grants, ["digest", "resend", "--member", "anna@example.org", "--week", week]
        )
        again = cli.invoke(
            grants, ["digest", "resend", "--member", "anna@example.org", "--week", week]
        )
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()

    assert sent.exit_code == 1
    assert "uncertain (check, then `grants digest resend`): 1" in sent.output
    assert "anna@example.org: may or may not have received it" in sent.output
    assert resent.exit_code == 0, resent.output
    assert "  sent: 1\n" in resent.output
    assert again.exit_code == 1
    assert "was sent to anna@example.org already" in again.output
    assert mailbox.count() == Counter({"anna@example.org": 1})
