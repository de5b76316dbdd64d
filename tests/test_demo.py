"""`grants demo` end to end, twice: a real crawl, a real SMTP server, no network."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest


def _demo(cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "demo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _count(label: str, output: str) -> int:
    match = re.search(rf"{label} (\d+)", output)
    assert match, output
    return int(match.group(1))


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, list]:
    cwd = tmp_path_factory.mktemp("demo")
    first = _demo(cwd)
    outbox_after_first = sorted((cwd / "var/outbox").glob("*.eml"))
    second = _demo(cwd)
    return cwd, first, second, outbox_after_first


def test_first_run_stores_calls_and_sends_two_digests(demo_runs) -> None:
    cwd, first, _, outbox = demo_runs
    assert _count("calls found", first) >= 10
    assert _count("new", first) == _count("calls found", first)
    assert _count("digests sent", first) == 2
    assert len(outbox) == 2
    assert (cwd / "var/grants.db").is_file()


def test_demo_crawls_at_least_three_polish_sources(demo_runs) -> None:
    _, first, _, _ = demo_runs
    polish = re.findall(r"^  (pl_\w+): success, found (\d+)", first, re.MULTILINE)
    assert len([slug for slug, found in polish if int(found) > 0]) >= 3, first


def test_second_run_finds_nothing_new_and_sends_nothing(demo_runs) -> None:
    cwd, first, second, outbox = demo_runs
    assert _count("new", second) == 0
    assert _count("unchanged", second) == _count("calls found", first)
    assert _count("digests sent", second) == 0
    assert sorted((cwd / "var/outbox").glob("*.eml")) == outbox


def test_digests_are_in_each_members_language(demo_runs) -> None:
    _, _, _, outbox = demo_runs
    messages = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox
    ]
    by_recipient = {str(m["To"]): m for m in messages}
    polish = next(m for to, m in by_recipient.items() if "anna.kowalska" in to)
    english = next(m for to, m in by_recipient.items() if "john.smith" in to)
    assert polish["Content-Language"] == "pl"
    assert english["Content-Language"] == "en"
    for message in (polish, english):
        assert message.get_content_type() == "multipart/alternative"
        text, html = message.iter_parts()
        assert text.get_content_type() == "text/plain"
        assert html.get_content_type() == "text/html"
