"""`grants demo`: the main job end to end, offline, on the embedded database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
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
from tracker.members import add_member
from tracker.models import Call, CallTag, CrawlRun
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
DEMO_MEMBERS = (
    (
        "anna.kowalska@example.org",
        "Anna Kowalska",
        Language.PL,
        ["biotech", "health", "pharma"],
    ),
    (
        "john.smith@example.org",
        "John Smith",
        Language.EN,
        ["agrifood", "bioeconomy", "environment"],
    ),
)


def run_demo(
    echo: Callable[[str], None], database_url: str = DEMO_DATABASE_URL
) -> None:
    """Crawl the replayed sources, store and tag, add members, send the digests."""
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    runs = _crawl_all(database_url, sessions)
    with sessions.begin() as session:
        for email, name, lang, interests in DEMO_MEMBERS:
            add_member(session, email, name, lang, interests)
    report = _send(sessions, get_settings())
    with sessions.begin() as session:
        echo(summary(session, runs, report))


def _crawl_all(
    database_url: str, sessions: sessionmaker[Session]
) -> dict[str, CrawlRun]:
    """Each demo source in its own process, as `grants crawl --all` does."""
    with ReplayServer() as server:
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
            for slug in DEMO_SOURCES
        ]
        for crawl in crawls:
            crawl.wait()
    with sessions.begin() as session:
        runs = {slug: latest_run(session, slug) for slug in DEMO_SOURCES}
    return {slug: run for slug, run in runs.items() if run is not None}


def _send(sessions, settings: Settings) -> SendReport:
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


def summary(session: Session, runs: dict[str, CrawlRun], report: SendReport) -> str:
    tags = session.execute(
        select(CallTag.tag, func.count(CallTag.id))
        .join(Call)
        .where(Call.status != CallStatus.CLOSED)
        .group_by(CallTag.tag)
        .order_by(CallTag.tag)
    ).all()
    total = {
        name: sum(getattr(run, f"items_{name}") for run in runs.values())
        for name in ("scraped", "new", "changed", "unchanged", "dropped")
    }
    lines = [
        f"  {slug}: {run.outcome}, found {run.items_scraped}, new {run.items_new}, "
        f"changed {run.items_changed}, unchanged {run.items_unchanged}"
        for slug, run in runs.items()
    ]
    lines = [
        f"calls found {total['scraped']}, new {total['new']}, "
        f"changed {total['changed']}, unchanged {total['unchanged']}, "
        f"dropped {total['dropped']}",
        *lines,
        "open and forthcoming calls per tag: "
        + (", ".join(f"{tag} {n}" for tag, n in tags) or "none"),
        f"digests sent {report.sent}, already sent this week {report.already_sent}, "
        f"nothing to send {report.skipped_empty}, failed {report.failed}",
        f"outbox: {OUTBOX}/ ({len(list(OUTBOX.glob('*.eml')))} messages)",
    ]
    return "\n".join(lines)
