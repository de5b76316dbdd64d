"""Rendering in Polish and English: plurals, local dates, escaping, MIME layout."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer
from playwright.sync_api import sync_playwright

from digests.build import FieldChange
from digests.formatting import Formatter
from digests.render import MissingSecretKey, render_digest, render_templates
from tests.digests.contexts import (
    EUR_12M,
    SECRET_KEY,
    SETTINGS,
    context,
    deadline,
    item,
    items,
    links_of,
)
from tracker.vocab import CallStatus, DatePrecision


def render(ctx, settings=SETTINGS) -> EmailMessage:
    return render_digest(ctx, settings)


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML alternatives."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def wire(message: EmailMessage, how: policy.Policy = policy.SMTP) -> EmailMessage:
    """The message as a relay receives it (aiosmtplib flattens with SMTP)."""
    parsed = message_from_bytes(message.as_bytes(policy=how), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 nowy nabór"),
        (2, "2 nowe nabory"),
        (5, "5 nowych naborów"),
        (12, "12 nowych naborów"),
        (22, "22 nowe nabory"),
        (25, "25 nowych naborów"),
    ],
)
def test_polish_subject_plurals(count: int, expected: str) -> None:
    message = render(context("pl", new=items(count)))
    assert message["Subject"] == f"Nabory, tydzień 48: {expected}"


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 new call"), (2, "2 new calls"), (5, "5 new calls"), (22, "22 new calls")],
)
def test_english_subject_plurals(count: int, expected: str) -> None:
    message = render(context("en", new=items(count)))
    assert message["Subject"] == f"Funding calls, week 48: {expected}"


def test_subject_lists_each_kind_of_news() -> None:
    ctx = context(
        "pl", new=items(1), changed=(item(2),), closing_soon=(item(3), item(4))
    )
    assert render(ctx)["Subject"] == (
        "Nabory, tydzień 48: 1 nowy nabór, 1 zmieniony nabór, "
        "2 nabory z bliskim terminem"
    )


@pytest.mark.parametrize(
    ("picks", "expected"),
    [(1, "1 polecany nabór"), (2, "2 polecane nabory"), (5, "5 polecanych naborów")],
)
def test_subject_counts_picks_first(picks: int, expected: str) -> None:
    ctx = context("pl", picks=items(picks, start=10), new=items(2))
    assert render(ctx)["Subject"] == f"Nabory, tydzień 48: {expected}, 2 nowe nabory"


def test_subject_counts_the_calls_behind_and_n_more() -> None:
    ctx = context("en", new=items(10), more={"new": 12})
    assert render(ctx)["Subject"] == "Funding calls, week 48: 22 new calls"


def test_subject_without_news_counts_current_calls() -> None:
    ctx = context("pl", other=items(10), more={"other": 12})
    assert render(ctx)["Subject"] == "Nabory, tydzień 48: 22 aktualne nabory"


def test_preheader_opens_the_text_and_hides_at_the_top_of_the_html() -> None:
    text, html = parts(render(context("pl", new=items(2))))
    preheader = "2 nowe nabory – dla Twoich zainteresowań: zdrowie, biotechnologia."
    assert text.startswith(preheader + "\n\nDzień dobry, Anna Nowak!\n\n")
    body = html.split("<body", 1)[1]
    hidden = body.split(">", 1)[1].lstrip()
    assert hidden.startswith('<div style="display:none;')
    assert hidden.split(">", 1)[1].startswith(preheader)


@pytest.mark.parametrize(
    ("language", "winter", "summer"),
    [
        ("pl", "1 grudnia 2026, 17:00", "30 czerwca 2027, 17:00"),
        ("en", "1 December 2026, 17:00", "30 June 2027, 17:00"),
    ],
)
def test_deadlines_in_warsaw_time_and_the_members_locale(
    language: str, winter: str, summer: str
) -> None:
    # 16:00 UTC is 17:00 in Warsaw in winter (CET); 15:00 UTC in summer (CEST).
    calls = (
        item(1, deadline=deadline(datetime(2026, 12, 1, 16, tzinfo=UTC))),
        item(2, deadline=deadline(datetime(2027, 6, 30, 15, tzinfo=UTC))),
    )
    text, html = parts(render(context(language, other=calls)))
    for part in (text, html):
        assert winter in part
        assert summer in part


def test_vague_deadlines_keep_their_precision() -> None:
    calls = (
        item(
            1, deadline=deadline(datetime(2027, 3, 1, tzinfo=UTC), DatePrecision.MONTH)
        ),
        item(
            2,
            deadline=deadline(datetime(2027, 4, 1, tzinfo=UTC), DatePrecision.QUARTER),
        ),
        item(3, deadline=None),
    )
    text, _ = parts(render(context("pl", other=calls)))
    assert "Termin: marzec 2027\n" in text
    assert "Termin: II kw. 2027\n" in text
    assert "Termin: nie podano\n" in text


def test_budget_in_the_members_locale() -> None:
    pl_text, _ = parts(render(context("pl", other=(item(1, **EUR_12M),))))
    en_text, _ = parts(render(context("en", other=(item(1, **EUR_12M),))))
    assert "Budżet: 12\xa0000\xa0000\xa0€" in pl_text
    assert "Budget: €12,000,000" in en_text


def test_countdown_for_deadlines_within_two_weeks() -> None:
    soon = item(1, deadline=deadline(datetime(2026, 11, 26, 16, tzinfo=UTC)))
    text, _ = parts(render(context("pl", closing_soon=(soon,))))
    assert "Termin: 26 listopada 2026, 17:00 (za 3 dni)" in text


def test_changes_are_spelled_out() -> None:
    changes = (
        FieldChange(
            "deadlines", ["2026-12-01T16:00:00+00:00"], ["2026-12-15T16:00:00+00:00"]
        ),
        FieldChange("budget", "1000000.00 EUR", "1500000.00 EUR"),
        FieldChange("status", "forthcoming", "open"),
    )
    text, html = parts(render(context("pl", changed=(item(1, changes=changes),))))
    assert "- Termin: 1 grudnia 2026, 17:00 → 15 grudnia 2026, 17:00" in text
    assert "- Budżet: 1\xa0000\xa0000\xa0€ → 1\xa0500\xa0000\xa0€" in text
    assert "- Status: zapowiedziany → otwarty" in text
    assert "<strong>15 grudnia 2026, 17:00</strong>" in html


def test_a_moved_cut_off_is_shown_alone() -> None:
    first, moved, to = (
        "2026-12-01T16:00:00+00:00",
        "2027-03-14T16:00:00+00:00",
        "2027-03-28T16:00:00+00:00",
    )
    changes = (
        FieldChange("deadlines", [first, moved], [first, to]),
        FieldChange("deadlines", [first], [first, to]),
    )
    text, _ = parts(render(context("pl", changed=(item(1, changes=changes),))))
    assert "- Termin: 14 marca 2027, 17:00 → 28 marca 2027, 18:00\n" in text
    # A cut-off only added is clearer in the full lists.
    assert (
        "- Termin: 1 grudnia 2026, 17:00 → 1 grudnia 2026, 17:00, 28 marca 2027, 18:00"
    ) in text


def test_odd_recorded_values_do_not_break_the_digest() -> None:
    changes = (
        FieldChange("title", "health", "Health <b>tools</b>"),
        FieldChange("deadlines", [], ["2026-12-15", "not a date"]),
        FieldChange("opening_date", "2026-12-01T10:00:00+00:00", None),
        FieldChange("applicant_types", ["sme"], ["sme", "university"]),
        FieldChange("mystery", 1, 2),
    )
    text, html = parts(render(context("en", changed=(item(1, changes=changes),))))
    assert "- Title: health → Health <b>tools</b>" in text
    assert "Health &lt;b&gt;tools&lt;/b&gt;" in html
    assert "- Deadline: — → 15 December 2026, not a date" in text
    assert "- Opening date: 1 December 2026, 11:00 → —" in text
    assert "- Who can apply: SMEs → SMEs, universities" in text
    assert "- mystery: 1 → 2" in text


def test_forthcoming_call_shows_its_opening_date() -> None:
    coming = item(
        1,
        status=CallStatus.FORTHCOMING,
        opening_date=datetime(2027, 1, 15, 8, tzinfo=UTC),
    )
    text, _ = parts(render(context("en", forthcoming=(coming,))))
    assert "Forthcoming (1)\n===============\n\n* Call 1\n" in text
    assert "Status: forthcoming, opens 15 January 2027" in text


def test_sections_in_order_each_only_with_content() -> None:
    ctx = context(
        "pl",
        picks=(item(1),),
        new=(item(2),),
        changed=(item(3, changes=(FieldChange("title", "A", "B"),)),),
        closing_soon=(item(4),),
        forthcoming=(item(5, status=CallStatus.FORTHCOMING),),
        other=(item(6),),
    )
    text, html = parts(render(ctx))
    headings = [
        "Wybór koordynatorów (1)",
        "Nowe w tym tygodniu (1)",
        "Zmienione (1)",
        "Wkrótce się kończą (1)",
        "Zapowiedziane (1)",
        "Pozostałe otwarte nabory (1)",
    ]
    for part in (text, html):
        positions = [part.index(heading) for heading in headings]
        assert positions == sorted(positions)
    only_new, _ = parts(render(context("pl", new=(item(2),))))
    assert [h for h in headings if h in only_new] == ["Nowe w tym tygodniu (1)"]


def test_why_a_call_matched_names_its_sub_topics() -> None:
    tags = ("health", "health/diagnostics", "health/vaccines-x", "pharma/vaccines")
    calls = (item(1, matched_tags=tags),)
    pl_text, pl_html = parts(render(context("pl", new=calls)))
    en_text, _ = parts(render(context("en", new=calls)))
    # Sub-topics read after their domain, in the taxonomy's words; one the
    # member follows without its domain stands alone; unknown tags as they are.
    expected = "zdrowie (diagnostyka, health/vaccines-x), szczepionki"
    assert f"Pasuje do: {expected}\n" in pl_text
    assert f">{expected}</td>" in pl_html
    assert "Matches: health (diagnostics, health/vaccines-x), vaccines\n" in en_text


def test_scraped_title_is_text_not_markup() -> None:
    evil = item(1, title="<script>alert(1)</script> & <b>bold</b>")
    text, html = parts(render(context("en", new=(evil,))))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>" not in html
    assert "<b>" not in html
    # Plain text is not interpreted by anything: the title reads as written.
    assert "* <script>alert(1)</script> & <b>bold</b>\n" in text
    assert "&lt;" not in text


def test_only_web_links_become_links() -> None:
    evil = item(1, url="javascript:alert(1)")
    text, html = parts(render(context("en", new=(evil,))))
    assert "javascript:" not in html
    assert "javascript:" not in text


def test_mime_layout_and_headers() -> None:
    message = wire(render(context("pl", new=items(1))))
    assert message.get_content_type() == "multipart/mixed"
    alternative, calendar = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "PUBLISH"
    assert calendar.get_param("charset") == "utf-8"
    assert calendar.get_filename() == "terminy.ics"
    assert calendar.get_content_disposition() == "attachment"
    assert message["From"] == "Klaster Biotech <granty@klaster.example>"
    assert message["To"] == "Anna Nowak <anna@example.org>"
    assert message["Message-ID"] == "<digest-2026-W48-7@klaster.example>"
    assert message["Content-Language"] == "pl"
    assert message["Date"] == "Mon, 23 Nov 2026 09:00:00 +0100"
    # 7-bit on the wire, whatever the relay supports.
    assert all(b < 128 for b in render(context("pl", new=items(1))).as_bytes())


def test_english_attachment_name() -> None:
    message = render(context("en", new=items(1)))
    (calendar,) = message.iter_attachments()
    assert calendar.get_filename() == "deadlines.ics"


def test_no_attachment_without_a_calendar_date() -> None:
    vague = deadline(datetime(2027, 3, 31, tzinfo=UTC), DatePrecision.QUARTER)
    message = render(
        context("en", new=(item(1, deadline=vague), item(2, deadline=None)))
    )
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert "attached" not in text
    assert "attached" not in html


@pytest.mark.parametrize("how", [policy.SMTP, policy.default], ids=["smtp", "default"])
def test_one_click_unsubscribe_headers(how: policy.Policy) -> None:
    ctx = context("pl", new=items(1))
    raw = render(ctx).as_bytes(policy=how)
    message = wire(render(ctx), how)
    https = links_of(ctx).unsubscribe
    assert https.startswith("https://granty.klaster.example/m/unsubscribe/")
    assert message["List-Unsubscribe"] == (
        f"<{https}>, <mailto:granty@klaster.example?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Written as URLs, never folded into RFC 2047 encoded words.
    header = raw.split(b"List-Unsubscribe:", 1)[1].split(b"\nList-Unsubscribe-Post")[0]
    assert b"=?" not in header
    assert f"<{https}>".encode() in header


def test_unsubscribe_mailto_from_its_setting() -> None:
    settings = replace(SETTINGS, UNSUBSCRIBE_MAILTO="wypisz@klaster.example")
    message = render(context("pl", new=items(1)), settings)
    assert str(message["List-Unsubscribe"]).endswith(
        ", <mailto:wypisz@klaster.example?subject=unsubscribe>"
    )


def test_without_a_mailto_address_the_https_link_alone() -> None:
    settings = replace(SETTINGS, MAIL_FROM="Klaster Biotech", UNSUBSCRIBE_MAILTO="")
    ctx = context("pl", new=items(1))
    message = wire(render(ctx, settings))
    assert message["List-Unsubscribe"] == f"<{links_of(ctx).unsubscribe}>"


def test_links_are_signed_for_the_member_and_revocable() -> None:
    ctx = context("en", new=items(1))
    token = links_of(ctx).unsubscribe.rsplit("/", 1)[1]
    signer = URLSafeSerializer(SECRET_KEY, salt="grants.member.unsubscribe")
    assert signer.loads(token) == [7, 1]
    renewed = replace(ctx, token_version=2)
    assert links_of(renewed).unsubscribe != links_of(ctx).unsubscribe
    text, _ = parts(render(renewed))
    assert links_of(renewed).preferences in text
    assert links_of(ctx).preferences not in text


def test_footer_links_in_both_parts() -> None:
    ctx = context("pl", new=items(1))
    text, html = parts(render(ctx))
    links = links_of(ctx)
    assert text.endswith(
        "\n\n"
        "Twoje ustawienia (zainteresowania, język, częstotliwość): "
        f"{links.preferences}\n"
        f"Wszystkie Twoje nabory: {links.calls}\n"
        f"Twój kalendarz terminów (iCalendar): {links.calendar}\n"
        f"Twój kanał nowości (Atom): {links.atom}\n"
        f"Wypisz się: {links.unsubscribe}\n"
        "Klaster Biotech\n"
    )
    for url, label in [
        (links.preferences, "Twoje ustawienia"),
        (links.calls, "Wszystkie Twoje nabory"),
        (links.calendar, "Twój kalendarz terminów (iCalendar)"),
        (links.atom, "Twój kanał nowości (Atom)"),
        (links.unsubscribe, "Wypisz się"),
    ]:
        assert (
            f'<a href="{url}" style="color:#0b5394;text-decoration:underline;">{label}'
            in html
        )


def test_every_call_has_a_not_relevant_link() -> None:
    ctx = context("en", new=items(2), other=(item(3),))
    text, html = parts(render(ctx))
    links = links_of(ctx)
    for n in (1, 2, 3):
        url = links.not_relevant(n)
        assert url.endswith(f"/{n}")
        assert f"  Not relevant for me: {url}\n" in text
        assert f'<a href="{url}"' in html


@pytest.mark.parametrize(
    ("more", "expected"),
    [
        (1, "…i jeszcze 1 nabór."),
        (2, "…i jeszcze 2 nabory."),
        (5, "…i jeszcze 5 naborów."),
        (12, "…i jeszcze 12 naborów."),
        (22, "…i jeszcze 22 nabory."),
        (25, "…i jeszcze 25 naborów."),
    ],
)
def test_and_n_more_links_to_the_full_list(more: int, expected: str) -> None:
    ctx = context("pl", new=items(10), more={"new": more})
    text, html = parts(render(ctx))
    calls = links_of(ctx).calls
    assert f"Nowe w tym tygodniu ({10 + more})" in text
    assert f"{expected}\nPełna lista: {calls}\n" in text
    assert f'{expected} <a href="{calls}"' in html


def test_secret_key_is_required_to_render() -> None:
    for key in ("", "too-short"):
        with pytest.raises(MissingSecretKey, match="SECRET_KEY"):
            render(context("pl", new=items(1)), replace(SETTINGS, SECRET_KEY=key))
        with pytest.raises(MissingSecretKey):
            render_templates("weekly", context("pl"), replace(SETTINGS, SECRET_KEY=key))


def test_message_id_is_the_same_for_a_resend() -> None:
    first = render(context("pl", new=items(1)))
    again = render(context("en", other=items(3)))
    assert first["Message-ID"] == again["Message-ID"]


def test_text_part_is_written_for_reading() -> None:
    text, _ = parts(render(context("en", new=(item(1, **EUR_12M),))))
    assert text.startswith("1 new call, for your interests: health, biotechnology.\n\n")
    assert "\n\nHello Anna Nowak,\n\n" in text
    assert "New this week (1)\n=================\n\n* Call 1\n" in text
    assert "  https://example.org/calls/1\n" in text
    assert "<" not in text


def test_text_and_html_carry_the_same_calls() -> None:
    ctx = context("pl", new=items(2), closing_soon=(item(3),), other=items(1))
    text, html = parts(render(ctx))
    for title in ("Call 1", "Call 2", "Call 3"):
        assert title in text
        assert title in html


@pytest.mark.parametrize("more", [0, 4])
def test_text_part_spacing(more: int) -> None:
    ctx = context("en", new=items(2), other=items(1), more={"other": more})
    text, _ = parts(render(ctx))
    assert "\n\n\n" not in text
    assert "\n\n* Call 2\n" in text
    assert (
        "\n\n-- \nWeekly digest of funding calls, week 48 (2026-W48).\n"
        "Dates and times are Warsaw time.\n"
        "The deadlines are attached as a calendar file (deadlines.ics).\n\n"
    ) in text
    assert text.endswith("\nKlaster Biotech\n")


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("pl", "Daty i godziny według strefy czasowej: Warszawa."),
        ("en", "Dates and times are Warsaw time."),
    ],
)
def test_footer_names_the_time_zone(language: str, line: str) -> None:
    text, html = parts(render(context(language, new=items(1))))
    assert line in text
    assert line in html


@pytest.mark.parametrize(
    ("language", "label", "expected"),
    [
        ("pl", "stage 2", "etap 2"),
        ("pl", "cut-off 3", "runda 3"),
        ("en", "stage 1", "stage 1"),
        ("en", "runda 1", "cut-off 1"),  # as Polish sources write them
        ("en", "Etap 2", "stage 2"),
        ("pl", "Runda 3", "runda 3"),
        ("pl", "Phase A", "Phase A"),  # a source's own wording stays as it is
    ],
)
def test_cut_off_labels_are_in_the_readers_language(language, label, expected) -> None:
    fmt = Formatter(language, "Europe/Warsaw", datetime(2026, 11, 26, tzinfo=UTC))
    assert fmt.deadline_label(label) == expected


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium; CI installs it",
)
@pytest.mark.parametrize("width", [375, 1024], ids=["phone", "desktop"])
def test_html_part_in_a_real_browser(width: int) -> None:
    """What a reader sees: the preview text hidden, every section and link shown,
    nothing wider than the screen (a phone) or than 600 pixels (a desktop)."""
    ctx = context(
        "pl",
        picks=(item(1, title="Wybrany " + "bardzo długi tytuł " * 8),),
        new=items(2, start=2),
        closing_soon=(item(4),),
        more={"new": 3},
    )
    _, html = parts(render(ctx))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page(
            viewport={"width": width, "height": 800}, java_script_enabled=False
        )
        page.set_content(html)
        visible = page.inner_text("body")
        assert "1 polecany nabór, 2 nowe nabory" not in visible  # the preheader
        for text in ("Wybór koordynatorów (1)", "Nowe w tym tygodniu (5)", "Call 4"):
            assert text in visible
        assert (
            page.get_by_role("link", name="Zobacz pełną listę").get_attribute("href")
            == links_of(ctx).calls
        )
        assert page.get_by_role("link", name="Nieistotny dla mnie").count() == 4
        card = page.locator("table table").first.bounding_box()
        scroll = page.evaluate("document.documentElement.scrollWidth")
        browser.close()
    assert card is not None
    assert card["width"] <= min(width, 600)
    assert scroll <= width
