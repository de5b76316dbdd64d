"""`grants demo`: the main job end to end, offline, on the embedded database.

The demo plays two weeks (tracker/demo/weeks.py): last week's crawl, then
this week's, a coordinator's pick, and this week's digests, one in Polish
and one in English, with every section.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from digests.period import current_period
from digests.send import SendReport, send_weekly_digests
from tracker.config import Settings, get_settings
from tracker.crawls import latest_run
from tracker.db import make_engine, session_factory, upgrade
from tracker.demo.outbox import Outbox
from tracker.demo.replay import ReplayServer, demo_api_url
from tracker.demo.weeks import (
    LAST_WEEK_SOURCES,
    move_back_a_week,
    replayed_sites,
    this_monday,
)
from tracker.members import add_member
from tracker.models import Call, CallTag, CrawlRun
from tracker.review import set_pick
from tracker.vocab import CallStatus, Language

DEMO_DATABASE_URL = "sqlite:///var/grants.db"
CRAWL = (sys.executable, "-m", "tracker.cli", "crawl")
# The sources whose responses the demo replays (tracker/demo/data/).
DEMO_SOURCES = (
    "eu_ft_portal",
    "pl_ncbr",
    "pl_nfosigw",
    "pl_parp",
    "pl_ncn",
    "pl_fe_lubelskie",
)
OUTBOX = Path("var/outbox")
# Signs the links in the demo's digests when SECRET_KEY is not set; the web
# app follows them when started with SECRET_KEY=$(cat var/demo-secret-key).
DEMO_SECRET_KEY = Path("var/demo-secret-key")
# Two members of different kinds: an SME is never sent a call only
# universities may enter, and the other way round.
DEMO_MEMBERS = (
    {
        "email": "anna.kowalska@example.org",
        "name": "Anna Kowalska",
        "language": Language.PL,
        "interests": ["biotech", "health", "bioeconomy"],
        "organisation": "BioMed Lublin sp. z o.o.",
        "applicant_type": "sme",
    },
    {
        "email": "john.smith@example.org",
        "name": "John Smith",
        "language": Language.EN,
        "interests": ["agrifood", "bioeconomy", "environment"],
        "organisation": "University of Life Sciences in Lublin",
        "applicant_type": "university",
    },
)
# The coordinators' pick of the week: a call both members may enter.
DEMO_PICK = "Gospodarka o obiegu zamkniętym – recykling bioodpadów"

Runs = dict[str, CrawlRun]


def run_demo(
    echo: Callable[[str], None], database_url: str = DEMO_DATABASE_URL
) -> None:
    """Crawl last week and this week, pick a call, add members, send digests."""
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    settings = _demo_settings(get_settings())
    monday = this_monday(datetime.now(UTC), settings.TIMEZONE)
    weeks: list[tuple[str, Runs]] = []
    with sessions.begin() as session:
        first_run = not session.scalar(select(func.count(Call.id)))
    if first_run:
        last = _crawl(
            database_url, sessions, LAST_WEEK_SOURCES, monday, this_week=False
        )
        with sessions.begin() as session:
            move_back_a_week(session)
        weeks.append(("last week (recorded 7 days back)", last))
    weeks.append(("this week", _crawl(database_url, sessions, DEMO_SOURCES, monday)))
    with sessions.begin() as session:
        for member in DEMO_MEMBERS:
            add_member(session, **member)
        pick = _pick(session)
    report = _send(sessions, settings)
    with sessions.begin() as session:
        echo(summary(session, weeks, report, pick))


def _demo_settings(settings: Settings) -> Settings:
    if settings.SECRET_KEY:
        return settings
    if not DEMO_SECRET_KEY.is_file():
        DEMO_SECRET_KEY.parent.mkdir(parents=True, exist_ok=True)
        DEMO_SECRET_KEY.write_text(secrets.token_urlsafe(32))
    return replace(settings, SECRET_KEY=DEMO_SECRET_KEY.read_text().strip())


def _crawl(
    database_url: str,
    sessions: sessionmaker[Session],
    sources: Sequence[str],
    monday: date,
    this_week: bool = True,
) -> Runs:
    """Each source in its own process, as `grants crawl --all` does."""
    with (
        replayed_sites(monday, this_week) as sites,
        ReplayServer(sites_dir=sites) as server,
    ):
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "EU_FT_API_URL": demo_api_url(server),
            "REPLAY_URL": server.url,
        }
        # One process per source, as in production, but side by side: the
        # replay answers at once, so the demo waits only for start-up.
        # A failing source is reported in the summary; the others go on.
        crawls = [
            subprocess.Popen(
                [*CRAWL, slug, "--log-level", "ERROR", "--no-notify"],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            for slug in sources
        ]
        for crawl in crawls:
            crawl.wait()
    with sessions.begin() as session:
        runs = {slug: latest_run(session, slug) for slug in sources}
    return {slug: run for slug, run in runs.items() if run is not None}


def _pick(session: Session) -> str | None:
    """The coordinators feature one call (logged as a coordinator's pick)."""
    call = session.scalar(
        select(Call).where(Call.title.startswith(DEMO_PICK)).order_by(Call.id)
    )
    if call is None:
        return None
    if not call.pick:
        set_pick(session, call, True, None, datetime.now(UTC))
    return call.title


def _send(sessions: sessionmaker[Session], settings: Settings) -> SendReport:
    with Outbox(OUTBOX) as outbox:
        local = replace(
            settings,
            SMTP_HOST=outbox.host,
            SMTP_PORT=str(outbox.port),
            SMTP_TLS="none",
            SMTP_USER="",
            SMTP_PASSWORD="",
        )
        now = datetime.now(UTC)
        return send_weekly_digests(sessions, local, current_period(now, local), now)


def summary(
    session: Session,
    weeks: list[tuple[str, Runs]],
    report: SendReport,
    pick: str | None = None,
) -> str:
    tags = session.execute(
        select(CallTag.tag, func.count(CallTag.id))
        .join(Call)
        .where(Call.status != CallStatus.CLOSED)
        .group_by(CallTag.tag)
        .order_by(CallTag.tag)
    ).all()
    lines = [line for week, runs in weeks for line in _crawl_lines(week, runs)]
    lines += [
        f"coordinators' pick: {pick or 'none'}",
        "open and forthcoming calls per tag: "
        + (", ".join(f"{tag} {n}" for tag, n in tags) or "none"),
        f"digests sent {report.sent}, already sent this week {report.already_sent}, "
        f"nothing to send {report.skipped_empty}, failed {report.failed}",
        f"outbox: {OUTBOX}/ ({len(list(OUTBOX.glob('*.eml')))} messages)",
    ]
    return "\n".join(lines)


def _crawl_lines(week: str, runs: Runs) -> list[str]:
    total = {
        name: sum(getattr(run, f"items_{name}") for run in runs.values())
        for name in ("scraped", "new", "changed", "unchanged", "dropped")
    }
    return [
        f"{week}: calls found {total['scraped']}, new {total['new']}, "
        f"changed {total['changed']}, unchanged {total['unchanged']}, "
        f"dropped {total['dropped']}",
        *(
            f"  {slug}: {run.outcome}, found {run.items_scraped}, new "
            f"{run.items_new}, changed {run.items_changed}, unchanged "
            f"{run.items_unchanged}"
            for slug, run in runs.items()
        ),
    ]
