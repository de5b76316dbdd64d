"""The desk end to end in a real browser: Debian's headless Chromium, via Playwright.

The real app runs under uvicorn on 127.0.0.1 (a free port, in a thread) with a
temporary SQLite database, seeded afresh for each test with a coordinator and
a few calls stored the way a crawl stores them.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import make_test_engine
from tests.web.conftest import PASSWORD, SECRET, add_call, make_user, wipe
from tracker import review
from tracker.config import Settings
from tracker.db import session_factory
from tracker.models import Call, utcnow
from tracker.vocab import ReviewState
from tracker.web import create_app
from tracker.web.app import SESSION_COOKIE

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = "<script>alert(1)</script>"
# The domains as a Polish coordinator reads them, least likely first.
POLISH = {
    "environment": "środowisko",
    "agrifood": "rolnictwo i żywność",
    "bioeconomy": "biogospodarka",
    "pharma": "farmacja",
    "health": "zdrowie",
    "biotech": "biotechnologia",
}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium); CI installs it",
)


@dataclass(frozen=True)
class Served:
    url: str
    sessions: sessionmaker[Session]


@dataclass(frozen=True)
class Seed:
    bio: int
    polish: int
    xss: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The real app under uvicorn, in a thread, on a temporary SQLite file."""
    engine = make_test_engine(f"sqlite:///{tmp_path_factory.mktemp('desk') / 'db'}")
    sessions = session_factory(engine)
    app = create_app(sessions, Settings(SECRET_KEY=SECRET), login_delay=0)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", sessions)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture
def seed(served: Served) -> Iterator[Seed]:
    sessions = served.sessions
    make_user(sessions)
    bio = add_call(sessions, source_id="BIO")
    polish = add_call(
        sessions, source="pl_test", source_id="PL", title="Bony na innowacje dla MŚP"
    )
    xss = add_call(sessions, source_id="XSS", title=XSS)
    with sessions.begin() as session:
        for call_id, relevance in ((bio, 0.9), (polish, 0.5), (xss, 0.3)):
            call = session.get(Call, call_id)
            assert call is not None
            call.relevance = relevance
            # A known starting tag, whatever the rules found.
            review.add_tag(session, call, "health", None, utcnow())
    yield Seed(bio, polish, xss)
    wipe(sessions.kw["bind"])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        yield chromium
        chromium.close()


def open_page(
    browser: Browser, served: Served, javascript: bool = True
) -> Iterator[Page]:
    """A page in a fresh context, closed afterwards; any dialog fails the test."""
    context = browser.new_context(base_url=served.url, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(10_000)
    dialogs: list[str] = []

    def no_dialogs(dialog: Dialog) -> None:
        # Scraped text must never run: an alert() means it did.
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", no_dialogs)
    yield page
    context.close()
    assert dialogs == [], f"a dialog opened: {dialogs}"


@pytest.fixture
def page(browser: Browser, served: Served, seed: Seed) -> Iterator[Page]:
    yield from open_page(browser, served)


@pytest.fixture
def page_without_js(browser: Browser, served: Served, seed: Seed) -> Iterator[Page]:
    yield from open_page(browser, served, javascript=False)


def log_in(page: Page) -> None:
    page.goto("/queue")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("E-mail").fill("anna@example.org")
    page.get_by_label("Hasło").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_role("heading", name="Kolejka przeglądu")).to_be_visible()


def queue_rows(page: Page) -> list[int]:
    ids = page.locator("tr[data-call]").evaluate_all(
        "rows => rows.map(r => r.dataset.call)"
    )
    return [int(i) for i in ids]


def addable_tag(served: Served, call_id: int) -> str:
    """A domain the call lacks: the rules' tags depend on the taxonomy of the day."""
    with served.sessions.begin() as session:
        call = session.get(Call, call_id)
        assert call is not None
        live = {t.tag for t in call.tags if not t.suppressed}
    return next(tag for tag in POLISH if tag not in live)


def state_of(served: Served, call_id: int) -> ReviewState:
    with served.sessions.begin() as session:
        call = session.get(Call, call_id)
        assert call is not None
        return call.review_state


def test_log_in_filter_retag_approve_and_undo(
    page: Page, served: Served, seed: Seed
) -> None:
    log_in(page)
    assert queue_rows(page) == [seed.bio, seed.polish, seed.xss]

    page.get_by_label("Źródło").select_option("pl_test")
    page.get_by_role("button", name="Filtruj").click()
    expect(page.locator("tr[data-call]")).to_have_count(1)
    assert queue_rows(page) == [seed.polish]
    page.get_by_role("link", name="Wyczyść").click()
    expect(page.locator("tr[data-call]")).to_have_count(3)

    page.get_by_role(
        "link", name="Biotechnology tools for personalised medicine"
    ).click()
    expect(page).to_have_url(f"{served.url}/calls/{seed.bio}")

    new_tag = addable_tag(served, seed.bio)
    page.get_by_label("Dodaj tag").select_option(new_tag)
    page.get_by_role("button", name="Dodaj", exact=True).click()
    expect(page.get_by_text("Dodano tag.")).to_be_visible()
    expect(page.locator(f'tr[data-tag="{new_tag}"] .tag')).to_have_text(POLISH[new_tag])

    page.get_by_role("button", name="Usuń tag zdrowie").click()
    expect(page.get_by_text("Usunięto tag.")).to_be_visible()
    expect(page.locator('tr[data-tag="health"] del')).to_have_text("zdrowie")

    page.get_by_role("button", name="Zatwierdź").click()
    expect(page.get_by_text("Zatwierdzono.")).to_be_visible()
    expect(page.locator("h1 + p .state")).to_have_text("zatwierdzony")
    assert state_of(served, seed.bio) is ReviewState.APPROVED

    page.get_by_role("link", name="Kolejka przeglądu").first.click()
    expect(page.locator("tr[data-call]")).to_have_count(2)
    assert seed.bio not in queue_rows(page)
    page.get_by_label("Tylko do przejrzenia").uncheck()
    page.get_by_label("Stan przeglądu").select_option("approved")
    page.get_by_role("button", name="Filtruj").click()
    expect(page.locator("tr[data-call]")).to_have_count(1)
    expect(page.locator(f'tr[data-call="{seed.bio}"] .state')).to_have_text(
        "zatwierdzony"
    )
    tags = page.locator(f'tr[data-call="{seed.bio}"] .tag')
    expect(tags.filter(has_text=POLISH[new_tag])).to_have_count(1)
    expect(tags.filter(has_text="zdrowie")).to_have_count(0)

    page.goto(f"/calls/{seed.bio}")
    page.locator("table.log tbody tr").first.get_by_role(
        "button", name="Cofnij"
    ).click()
    expect(page.get_by_text("Cofnięto działanie.")).to_be_visible()
    expect(page.locator("h1 + p .state")).to_have_text("do przejrzenia")
    page.goto("/queue")
    assert queue_rows(page) == [seed.bio, seed.polish, seed.xss]


def test_a_post_without_the_csrf_token_is_refused(
    page: Page, served: Served, seed: Seed
) -> None:
    log_in(page)

    # The browser's own cookies, a form without the token: what a forged
    # cross-site form would send if SameSite did not stop it.
    response = page.request.post(
        f"/calls/{seed.bio}/decide", form={"decision": "approve"}
    )
    assert response.status == 403

    page.goto(f"/calls/{seed.bio}")
    page.evaluate(
        """() => {
            const form = document.querySelector('form[action$="/decide"]');
            form.querySelector('input[name="csrf_token"]').remove();
        }"""
    )
    page.get_by_role("button", name="Zatwierdź").click()
    expect(page.get_by_text("Ten formularz wygasł")).to_be_visible()
    assert state_of(served, seed.bio) is ReviewState.PENDING


def test_core_actions_without_javascript(
    page_without_js: Page, served: Served, seed: Seed
) -> None:
    page = page_without_js
    log_in(page)
    expect(page.locator("#select-all")).to_be_hidden()  # the JS nicety stays away

    page.locator(f'input[name="ids"][value="{seed.polish}"]').check()
    page.locator(f'input[name="ids"][value="{seed.xss}"]').check()
    page.get_by_role("button", name="Nieistotny").click()
    expect(page.get_by_text("2 nabory oznaczono jako nieistotne.")).to_be_visible()
    assert queue_rows(page) == [seed.bio]

    page.get_by_role(
        "link", name="Biotechnology tools for personalised medicine"
    ).click()
    new_tag = addable_tag(served, seed.bio)
    page.get_by_label("Dodaj tag").select_option(new_tag)
    page.get_by_role("button", name="Dodaj", exact=True).click()
    expect(page.locator(f'tr[data-tag="{new_tag}"] .tag')).to_have_text(POLISH[new_tag])
    page.get_by_role("button", name="Wybór koordynatora").click()
    expect(page.get_by_text("Oznaczono jako wybór koordynatora.")).to_be_visible()
    page.get_by_label("Notatka dla koordynatorów").fill("Konsorcjum z UMCS")
    page.get_by_role("button", name="Zapisz notatkę").click()
    expect(page.get_by_label("Notatka dla koordynatorów")).to_have_value(
        "Konsorcjum z UMCS"
    )
    page.get_by_role("button", name="Zatwierdź").click()
    expect(page.locator("h1 + p .state")).to_have_text("zatwierdzony")
    page.locator("table.log tbody tr").first.get_by_role(
        "button", name="Cofnij"
    ).click()
    expect(page.locator("h1 + p .state")).to_have_text("do przejrzenia")

    assert state_of(served, seed.polish) is ReviewState.REJECTED
    assert state_of(served, seed.bio) is ReviewState.PENDING


def test_select_all_with_javascript(page: Page, seed: Seed) -> None:
    log_in(page)

    page.get_by_label("Zaznacz wszystkie").check()

    boxes = page.locator('input[name="ids"]')
    expect(boxes).to_have_count(3)
    for index in range(3):
        expect(boxes.nth(index)).to_be_checked()


def test_a_script_title_shows_as_text(page: Page, seed: Seed) -> None:
    log_in(page)

    expect(page.get_by_role("link", name=XSS)).to_be_visible()
    page.get_by_role("link", name=XSS).click()
    expect(page.get_by_role("heading", name=XSS)).to_be_visible()
    assert XSS in page.title()
    assert page.locator("main script").count() == 0


def test_the_session_cookie_is_httponly_and_samesite(page: Page, seed: Seed) -> None:
    log_in(page)

    (cookie,) = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]

    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] in ("Lax", "Strict")
    assert SESSION_COOKIE not in page.evaluate("document.cookie")
