"""One settings object, read from the environment once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

SMTP_TLS_MODES = ("none", "starttls", "tls")
DIGEST_MODES = ("approved", "threshold")


def _setting(default: str, help: str) -> Any:
    # The help text lives beside the default; `.env.example` is tested against both.
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Every tunable of the application. Field names are the env variable names."""

    DATABASE_URL: str = _setting(
        "sqlite:///var/grants.db",
        "SQLAlchemy URL; SQLite by default, postgresql+psycopg://... in production",
    )
    TIMEZONE: str = _setting("Europe/Warsaw", "Time zone for digests and schedules")
    EU_FT_API_URL: str = _setting(
        "https://api.tech.ec.europa.eu/search-api/prod/rest/search?apiKey=SEDIA&text=***",
        "EU Funding & Tenders Portal search API endpoint",
    )
    CRAWL_USER_AGENT: str = _setting(
        "grants-tracker/0.1 (+mailto:biuro@example.org)",
        "User-Agent sent by the spiders; put a real contact address in it",
    )
    SMTP_HOST: str = _setting("localhost", "SMTP relay host")
    SMTP_PORT: str = _setting("1025", "SMTP relay port (587 for STARTTLS, 465 for TLS)")
    SMTP_USER: str = _setting("", "SMTP user name; empty for no authentication")
    SMTP_PASSWORD: str = _setting("", "SMTP password; never commit it")
    SMTP_TLS: str = _setting("none", "none | starttls | tls (implicit TLS)")
    SMTP_TIMEOUT: str = _setting("30", "Seconds before an SMTP operation times out")
    MAIL_FROM: str = _setting(
        "Klaster Biotech Lublin <granty@example.org>", "From: header of digests"
    )
    COORDINATORS_EMAIL: str = _setting(
        "", "Where crawl-health alerts are emailed (comma-separated); empty: not sent"
    )
    REPLAY_URL: str = _setting(
        "", "Demo and tests only: replay every crawl from this local server"
    )
    SECRET_KEY: str = _setting(
        "", "Signs desk sessions and members' links; long and random, never committed"
    )
    WEB_SECURE_COOKIES: str = _setting(
        "false", "true when the desk is served over https (cookies marked Secure)"
    )
    DIGEST_MODE: str = _setting(
        "threshold",
        "approved: digests carry approved calls only; threshold: every call at or "
        "above DIGEST_MIN_RELEVANCE unless a coordinator rejected it",
    )
    DIGEST_MIN_RELEVANCE: str = _setting(
        "0.3", "Relevance (0..1) a call needs to reach digests in threshold mode"
    )
    SMTP_CONCURRENCY: str = _setting(
        "4", "Messages handed to the SMTP relay at the same time"
    )
    SMTP_RATE_PER_MINUTE: str = _setting(
        "120", "At most this many messages a minute (the relay's sending limit)"
    )
    UNSUBSCRIBE_MAILTO: str = _setting(
        "", "Address for mailto unsubscribe requests; empty: the MAIL_FROM address"
    )
    SCHEDULE_CRAWL: str = _setting(
        "05:00", "Daily crawl of every source (HH:MM, TIMEZONE)"
    )
    SCHEDULE_DIGEST: str = _setting("mon 07:00", "Weekly digest (day HH:MM, TIMEZONE)")
    SCHEDULE_REMINDERS: str = _setting(
        "08:00", "Daily deadline reminders (HH:MM, TIMEZONE)"
    )
    SCHEDULE_HEALTH: str = _setting(
        "09:00", "Daily crawl-health check and alert mail (HH:MM, TIMEZONE)"
    )
    PUBLIC_BASE_URL: str = _setting(
        "http://localhost:8000", "Base URL used in links inside emails"
    )

    @property
    def smtp_port(self) -> int:
        return int(self.SMTP_PORT)

    @property
    def smtp_timeout(self) -> float:
        return float(self.SMTP_TIMEOUT)

    @property
    def smtp_concurrency(self) -> int:
        return int(self.SMTP_CONCURRENCY)

    @property
    def smtp_rate_per_minute(self) -> int:
        return int(self.SMTP_RATE_PER_MINUTE)

    @property
    def digest_min_relevance(self) -> float:
        return float(self.DIGEST_MIN_RELEVANCE)

    def __post_init__(self) -> None:
        if self.SMTP_TLS not in SMTP_TLS_MODES:
            raise ValueError(
                f"SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}, "
                f"not {self.SMTP_TLS!r}"
            )
        if self.DIGEST_MODE not in DIGEST_MODES:
            raise ValueError(
                f"DIGEST_MODE must be one of {', '.join(DIGEST_MODES)}, "
                f"not {self.DIGEST_MODE!r}"
            )
        if not self.SMTP_PORT.isdigit():
            raise ValueError(f"SMTP_PORT must be a number, not {self.SMTP_PORT!r}")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from `environ` (default: the process environment)."""
    env = os.environ if environ is None else environ
    values = {f.name: env[f.name] for f in fields(Settings) if f.name in env}
    return Settings(**values)


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
