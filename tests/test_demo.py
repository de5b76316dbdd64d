"""`grants demo` end to end, twice: a real crawl, a real SMTP server, no network.

The demo plays two weeks (tracker/demo/weeks.py), so its Polish and English
digests show every section; a second run finds nothing new and sends nothing.
"""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar

LAST_WEEK = "last week (recorded 7 days back)"
THIS_WEEK = "this week"


def _demo(cwd: Path) -> str:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")
    }
    done = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "demo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _count(label: str, output: str, week: str | None = None) -> int:
    """A number from the summary; `week` picks that crawl's line."""
    if week is not None:
        line = re.search(rf"^{re.escape(week)}: (.*)$", output, re.MULTILINE)
        assert line, output
        output = line.group(1)
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


@pytest.fixture(scope="module")
def digests(demo_runs) -> dict[str, EmailMessage]:
    """The first run's digests by language."""
    _, _, _, outbox = demo_runs
    messages = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox
    ]
    by_recipient = {str(m["To"]): m for m in messages}
    polish = next(m for to, m in by_recipient.items() if "anna.kowalska" in to)
    english = next(m for to, m in by_recipient.items() if "john.smith" in to)
    assert isinstance(polish, EmailMessage) and isinstance(english, EmailMessage)
    return {"pl": polish, "en": english}


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    # Filed as received over SMTP: CRLF line ends.
    return part.get_content().replace("\r\n", "\n")


def test_first_run_plays_two_weeks_and_sends_two_digests(demo_runs) -> None:
    cwd, first, _, outbox = demo_runs
    assert _count("calls found", first, LAST_WEEK) >= 10
    assert _count("new", first, LAST_WEEK) == _count("calls found", first, LAST_WEEK)
    # This week: two more sources, and a second version of one NCBR page.
    assert _count("new", first, THIS_WEEK) > 0
    assert _count("changed", first, THIS_WEEK) == 2
    assert _count("calls found", first, THIS_WEEK) == _count(
        "new", first, THIS_WEEK
    ) + _count("changed", first, THIS_WEEK) + _count("unchanged", first, THIS_WEEK)
    assert _count("digests sent", first) == 2
    assert len(outbox) == 2
    assert (cwd / "var/grants.db").is_file()
    # Without SECRET_KEY the demo signs its links with a key of its own.
    assert len((cwd / "var/demo-secret-key").read_text().strip()) >= 32


def test_demo_crawls_at_least_three_polish_sources(demo_runs) -> None:
    _, first, _, _ = demo_runs
    polish = re.findall(r"^  (pl_\w+): success, found (\d+)", first, re.MULTILINE)
    assert len({slug for slug, found in polish if int(found) > 0}) >= 3, first


def test_second_run_finds_nothing_new_and_sends_nothing(demo_runs) -> None:
    cwd, first, second, outbox = demo_runs
    assert LAST_WEEK not in second
    assert _count("new", second, THIS_WEEK) == 0
    assert _count("changed", second, THIS_WEEK) == 0
    assert _count("unchanged", second, THIS_WEEK) == _count(
        "calls found", first, THIS_WEEK
    )
    assert _count("digests sent", second) == 0
    assert sorted((cwd / "var/outbox").glob("*.eml")) == outbox


def test_digests_are_in_each_members_language(digests) -> None:
    assert digests["pl"]["Content-Language"] == "pl"
    assert digests["en"]["Content-Language"] == "en"
    for language, message in digests.items():
        assert message.get_content_type() == "multipart/mixed"
        alternative, calendar = message.iter_parts()
        assert [p.get_content_type() for p in alternative.iter_parts()] == [
            "text/plain",
            "text/html",
        ]
        assert calendar.get_filename() == (
            "terminy.ics" if language == "pl" else "deadlines.ics"
        )
        events = Calendar.from_ical(calendar.get_content()).walk("VEVENT")
        assert events, language
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert re.fullmatch(
            r"<http://localhost:8000/m/unsubscribe/[\w.-]+>, "
            r"<mailto:[^>]+\?subject=unsubscribe>",
            str(message["List-Unsubscribe"]),
        )


@pytest.mark.parametrize(
    ("language", "headings"),
    [
        (
            "pl",
            [
                "Wybór koordynatorów (1)",
                "Nowe w tym tygodniu",
                "Zmienione (1)",
                "Wkrótce się kończą (1)",
                "Zapowiedziane",
            ],
        ),
        (
            "en",
            [
                "Coordinators' picks (1)",
                "New this week",
                "Changed (1)",
                "Closing soon (1)",
                "Forthcoming",
            ],
        ),
    ],
)
def test_each_digest_shows_every_section(digests, language, headings) -> None:
    text = _text(digests[language])
    positions = [text.find(f"\n{heading}") for heading in headings]
    assert -1 not in positions, text
    assert positions == sorted(positions)


def test_the_sections_say_what_they_promise(digests) -> None:
    polish, english = _text(digests["pl"]), _text(digests["en"])
    pick = "* Gospodarka o obiegu zamkniętym – recykling bioodpadów"
    assert f"Wybór koordynatorów (1)\n{'=' * 23}\n\n{pick}" in polish
    assert f"Coordinators' picks (1)\n{'=' * 23}\n\n{pick}" in english
    # The change spelled out, in each reader's words.
    assert "- Termin: 31 stycznia 2028, 16:00 → 29 lutego 2028, 16:00\n" in polish
    assert "- Deadline: 14 January 2028, 16:00 → 14 February 2028, 16:00\n" in english
    # Closing soon has a countdown; forthcoming says when it opens.
    assert re.search(r"Termin: .+, 16:00 \(za \d+ dni\)", polish)
    assert re.search(r"Deadline: .+, 16:00 \(in \d+ days\)", english)
    assert "Status: forthcoming, opens" in english.split("Forthcoming (")[1]


def test_applicant_type_is_a_hard_filter(digests) -> None:
    polish, english = _text(digests["pl"]), _text(digests["en"])
    # Anna's SME cannot enter OPUS (universities, institutes, consortia),
    # though it matches her interests; John's university no SME-only call.
    assert "OPUS 31" not in polish
    assert "Internacjonalizacja MŚP" in polish
    assert "Internacjonalizacja MŚP" not in english
    assert "Ekoinnowacje w MŚP" not in english
