"""Rendering in Polish and English: plurals, local dates, escaping, MIME layout."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from digests.build import FieldChange
from digests.formatting import Formatter
from digests.render import render_digest
from tests.digests.contexts import EUR_12M, context, deadline, item, items
from tracker.config import load_settings
from tracker.vocab import CallStatus, DatePrecision

SETTINGS = load_settings({"MAIL_FROM": "Klaster Biotech <granty@klaster.example>"})


def render(ctx) -> EmailMessage:
    return render_digest(ctx, SETTINGS)


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.iter_parts()
    return text.get_content(), html.get_content()


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


def test_subject_without_news_counts_current_calls() -> None:
    ctx = context("pl", other=items(10), other_more=12)
    assert render(ctx)["Subject"] == "Nabory, tydzień 48: 22 aktualne nabory"


def test_preheader_carries_the_counts() -> None:
    _, html = parts(render(context("pl", new=items(2))))
    assert "2 nowe nabory – dla Twoich zainteresowań: zdrowie, biotechnologia." in html


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
    text, _ = parts(render(context("en", other=(coming,))))
    assert "Status: forthcoming, opens 15 January 2027" in text


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
    message = render(context("pl", new=items(1)))
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert parsed["From"] == "Klaster Biotech <granty@klaster.example>"
    assert parsed["To"] == "Anna Nowak <anna@example.org>"
    assert parsed["Message-ID"] == "<digest-2026-W48-7@klaster.example>"
    assert parsed["Content-Language"] == "pl"
    assert parsed["Date"] == "Mon, 23 Nov 2026 09:00:00 +0100"
    assert parsed["List-Unsubscribe"] == (
        "<mailto:granty@klaster.example?subject=unsubscribe>"
    )
    # 7-bit on the wire, whatever the relay supports.
    assert all(b < 128 for b in message.as_bytes())


def test_message_id_is_the_same_for_a_resend() -> None:
    first = render(context("pl", new=items(1)))
    again = render(context("en", other=items(3)))
    assert first["Message-ID"] == again["Message-ID"]


def test_text_part_is_written_for_reading() -> None:
    text, _ = parts(render(context("en", new=(item(1, **EUR_12M),))))
    assert text.startswith("Hello Anna Nowak,\n\n")
    assert "New this week (1)\n=================\n\n* Call 1\n" in text
    assert "  https://example.org/calls/1\n" in text
    assert "<" not in text


def test_text_and_html_carry_the_same_calls() -> None:
    ctx = context("pl", new=items(2), closing_soon=(item(3),), other=items(1))
    text, html = parts(render(ctx))
    for title in ("Call 1", "Call 2", "Call 3"):
        assert title in text
        assert title in html


def test_more_calls_note_uses_plurals() -> None:
    text, html = parts(render(context("pl", other=items(10), other_more=5)))
    assert "…i jeszcze 5 otwartych naborów." in text
    assert "…i jeszcze 5 otwartych naborów." in html


@pytest.mark.parametrize("more", [0, 4])
def test_text_part_spacing(more: int) -> None:
    ctx = context("en", new=items(2), other=items(1), other_more=more)
    text, _ = parts(render(ctx))
    assert "\n\n\n" not in text
    assert "\n\n-- \nWeekly digest of funding calls, week 48 (2026-W48).\n" in text
    assert text.endswith("reply to this message.\nKlaster Biotech\n")


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
        ("pl", "Phase A", "Phase A"),  # a source's own wording stays as it is
    ],
)
def test_cut_off_labels_are_in_the_readers_language(language, label, expected) -> None:
    fmt = Formatter(language, "Europe/Warsaw", datetime(2026, 11, 26, tzinfo=UTC))
    assert fmt.deadline_label(label) == expected
