"""The members' pages in a real browser (Debian's headless Chromium, via Playwright).

The same server and browser fixtures as tests/web/test_browser.py: the real
app under uvicorn on a temporary SQLite file. A member arrives from an email,
with no cookie and no password, only the signed link.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from digests.links import MemberLinks, member_links
from tests.web.conftest import SECRET, wipe
from tests.web.test_browser import (  # noqa: F401 (pytest fixtures)
    CHROMIUM,
    Served,
    browser,
    open_page,
    served,
)
from tracker.config import Settings
from tracker.members import add_member
from tracker.models import Member
from tracker.vocab import ApplicantType, Language

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium); CI installs it",
)


@pytest.fixture
def ewa(served: Served) -> Iterator[int]:  # noqa: F811
    with served.sessions.begin() as session:
        member = add_member(
            session, "ewa@example.org", "Ewa Kowalska", "pl", "health,biotech"
        )
        member_id = member.id
    yield member_id
    wipe(served.sessions.kw["bind"])


def paths(served: Served, member_id: int) -> MemberLinks:  # noqa: F811
    settings = Settings(SECRET_KEY=SECRET, PUBLIC_BASE_URL="")
    with served.sessions.begin() as session:
        member = session.get(Member, member_id)
        assert member is not None
        return member_links(settings, member)


def stored(served: Served, member_id: int) -> Member:  # noqa: F811
    with served.sessions.begin() as session:
        member = session.get(Member, member_id)
        assert member is not None
        return member


@pytest.fixture
def page(browser: Browser, served: Served, ewa: int) -> Iterator[Page]:  # noqa: F811
    yield from open_page(browser, served)


@pytest.fixture
def page_without_js(
    browser: Browser,  # noqa: F811
    served: Served,  # noqa: F811
    ewa: int,
) -> Iterator[Page]:
    yield from open_page(browser, served, javascript=False)


def test_unsubscribe_link_asks_then_confirms(
    page: Page,
    served: Served,  # noqa: F811
    ewa: int,
) -> None:
    page.goto(paths(served, ewa).unsubscribe)
    expect(
        page.get_by_role("heading", name="Wypisać się z naszych wiadomości?")
    ).to_be_visible()
    # Opening the link (as a mail scanner does) changed nothing.
    assert stored(served, ewa).unsubscribed_at is None

    page.get_by_role("button", name="Wypisz się").click()
    expect(page.get_by_role("heading", name="Wypisano Cię")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("ewa@example.org")
    assert stored(served, ewa).unsubscribed_at is not None
    assert page.context.cookies() == []

    page.get_by_role("link", name="Twoje ustawienia").click()
    expect(
        page.get_by_label("Zapisz mnie ponownie na cotygodniowe zestawienie")
    ).not_to_be_checked()


def test_preferences_without_javascript(
    page_without_js: Page,
    served: Served,  # noqa: F811
    ewa: int,
) -> None:
    page = page_without_js
    page.goto(paths(served, ewa).preferences)
    expect(page.get_by_role("heading", name="Twoje ustawienia")).to_be_visible()
    expect(page.get_by_label("zdrowie", exact=True)).to_be_checked()
    expect(page.get_by_label("14 dni przed")).to_be_checked()

    # Nothing chosen: refused, and said so in place.
    page.get_by_label("zdrowie", exact=True).uncheck()
    page.get_by_label("biotechnologia", exact=True).uncheck()
    page.get_by_role("button", name="Zapisz ustawienia").click()
    expect(page.get_by_role("alert")).to_have_text("Popraw zaznaczone wybory.")
    expect(page.get_by_text("Wybierz co najmniej jedną dziedzinę.")).to_be_visible()
    assert stored(served, ewa).interests == ["health", "biotech"]

    page.get_by_label("farmacja", exact=True).check()
    page.get_by_label("Moja organizacja składa wnioski jako").select_option("sme")
    page.get_by_label("3 dni przed").uncheck()
    page.get_by_label("30 dni przed").check()
    page.get_by_label("English").check()
    page.get_by_role("button", name="Zapisz ustawienia").click()

    expect(page.get_by_role("status")).to_have_text("Your preferences are saved.")
    expect(page.get_by_role("heading", name="Your preferences")).to_be_visible()
    member = stored(served, ewa)
    assert member.interests == ["pharma"]
    assert member.applicant_type is ApplicantType.SME
    assert member.reminder_offsets == [30, 14]
    assert member.language is Language.EN
    expect(page.get_by_label("30 days before")).to_be_checked()
