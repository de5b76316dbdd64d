"""The preferences page, request by request: shown as stored, saved, refused,
re-subscribing, and revoking every link.

Each test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from digests.links import member_links
from tests.web import test_members as shared
from tests.web.test_members import (
    form_token,
    links,
    make_member,
    matching_call,
    member,
)
from tracker.config import Settings
from tracker.members import add_member
from tracker.vocab import ApplicantType, Frequency, Language

# The shared fixtures: a cookie-less client and a Polish member.
fresh = shared.fresh
ewa = shared.ewa


# --- preferences -----------------------------------------------------------------


def prefs_form(token: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "form_token": token,
        "action": "save",
        "language": "pl",
        "interests": ["health", "biotech"],
        "applicant_type": "",
        "frequency": "weekly",
        "reminders": ["14", "3"],
    }
    data.update(fields)
    return data


def test_preferences_show_what_is_stored(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings
) -> None:
    ewa = make_member(
        sessions, applicant_type="sme", reminder_offsets="21,3", frequency="off"
    )
    page = fresh.get(links(settings, sessions, ewa).preferences)
    assert page.status_code == 200
    html = page.text
    assert "Twoje ustawienia" in html
    checked = re.findall(
        r'<input type="(?:checkbox|radio)" name="(\w+)" value="([\w/]+)" checked>', html
    )
    assert sorted(checked) == sorted(
        [
            ("frequency", "off"),
            ("language", "pl"),
            ("interests", "health"),
            ("interests", "biotech"),
            ("reminders", "21"),  # an offset from an import stays on offer
            ("reminders", "3"),
        ]
    )
    assert '<option value="sme" selected>' in html
    for days in ("30", "14", "7", "1"):
        assert f'name="reminders" value="{days}">' in html
    assert "biotechnologia" in html and "zdrowie" in html  # the digests' labels
    feed = links(settings, sessions, ewa)
    absolute = member_links(settings, member(sessions, ewa))
    assert absolute.calendar in html and absolute.atom in html
    assert f'href="{feed.calls}"' in html


def test_a_sub_topic_from_an_import_is_kept(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as session:
        jan = add_member(
            session, "jan@example.org", "Jan", "pl", "health,pharma/vaccines"
        ).id
    url = links(settings, sessions, jan).preferences
    html = fresh.get(url).text
    assert 'value="pharma/vaccines" checked> szczepionki' in html
    data = prefs_form(form_token(fresh, url), interests=["health", "pharma/vaccines"])
    assert fresh.post(url, data=data).status_code == 303
    assert member(sessions, jan).interests == ["health", "pharma/vaccines"]


def test_preferences_round_trip(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    url = links(settings, sessions, ewa).preferences
    data = prefs_form(
        form_token(fresh, url),
        language="en",
        interests=["pharma", "environment"],
        applicant_type="university",
        frequency="off",
        reminders=["30", "7", "1"],
    )
    response = fresh.post(url, data=data)
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?saved=1"
    saved = member(sessions, ewa)
    assert saved.language is Language.EN
    assert saved.interests == ["pharma", "environment"]
    assert saved.applicant_type is ApplicantType.UNIVERSITY
    assert saved.frequency is Frequency.OFF
    assert saved.reminder_offsets == [30, 7, 1]

    page = fresh.get(response.headers["location"])
    assert "Your preferences are saved." in page.text  # now in English
    assert '<html lang="en">' in page.text

    # Clearing the applicant type means "every call" again; no reminders at all.
    data = prefs_form(form_token(fresh, url), language="en", reminders=[])
    assert fresh.post(url, data=data).status_code == 303
    saved = member(sessions, ewa)
    assert saved.applicant_type is None
    assert saved.reminder_offsets == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"interests": []}, "Wybierz co najmniej jedną dziedzinę."),
        (
            {"interests": ["health", "astrology"]},
            "Wybierz co najmniej jedną dziedzinę.",
        ),
        ({"language": "de"}, "Wybierz język."),
        ({"applicant_type": "pirate"}, "Wybierz jeden z typów z listy."),
        ({"frequency": "daily"}, "Wybierz, jak często chcesz dostawać zestawienie."),
        ({"reminders": ["14", "abc"]}, "Wybierz przypomnienia z listy."),
        ({"reminders": ["0"]}, "Wybierz przypomnienia z listy."),
        (
            {"reminders": ["60", "30", "14", "7", "3", "1"]},
            "Wybierz przypomnienia z listy.",
        ),
    ],
)
def test_invalid_preferences_are_refused_and_shown_again(
    fresh: TestClient,
    sessions: sessionmaker[Session],
    settings: Settings,
    ewa: int,
    fields: dict[str, Any],
    message: str,
) -> None:
    url = links(settings, sessions, ewa).preferences
    before = member(sessions, ewa)
    data = prefs_form(form_token(fresh, url), **{"applicant_type": "ngo", **fields})
    response = fresh.post(url, data=data)
    assert response.status_code == 400
    assert message in response.text
    assert "Popraw zaznaczone wybory." in response.text
    # What was typed stays on the page; nothing was saved.
    assert (
        '<option value="ngo" selected>' in response.text or "applicant_type" in fields
    )
    after = member(sessions, ewa)
    assert (after.interests, after.applicant_type, after.reminder_offsets) == (
        before.interests,
        before.applicant_type,
        before.reminder_offsets,
    )


def test_a_form_without_a_good_token_saves_nothing(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    url = links(settings, sessions, ewa).preferences
    other = make_member(sessions, "jan@example.org")
    others_token = form_token(fresh, links(settings, sessions, other).preferences)
    for token in ("", "forged", others_token):
        data = prefs_form(token, interests=["pharma"])
        response = fresh.post(url, data=data)
        assert response.status_code == 400
        assert "Ten formularz był otwarty zbyt długo." in response.text
        assert 'value="pharma" checked' in response.text  # the choices survive
    assert member(sessions, ewa).interests == ["health", "biotech"]


def test_unsubscribed_member_stays_so_unless_they_tick_the_box(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    urls = links(settings, sessions, ewa)
    fresh.post(urls.unsubscribe, data={"List-Unsubscribe": "One-Click"})
    page = fresh.get(urls.preferences).text
    assert "Wypisano Cię" in page and 'name="resubscribe"' in page
    assert 'name="frequency"' not in page

    data = prefs_form(form_token(fresh, urls.preferences), interests=["pharma"])
    del data["frequency"]
    assert fresh.post(urls.preferences, data=data).status_code == 303
    kept = member(sessions, ewa)
    assert kept.unsubscribed_at is not None
    assert kept.interests == ["pharma"]

    data = prefs_form(form_token(fresh, urls.preferences), resubscribe="yes")
    del data["frequency"]
    assert fresh.post(urls.preferences, data=data).status_code == 303
    back = member(sessions, ewa)
    assert back.unsubscribed_at is None
    assert back.frequency is Frequency.WEEKLY


def test_revoking_links_kills_every_old_url(
    fresh: TestClient, sessions: sessionmaker[Session], settings: Settings, ewa: int
) -> None:
    matching_call(sessions)
    old = links(settings, sessions, ewa)
    assert fresh.get(old.atom).status_code == 200
    assert fresh.get(old.calendar).status_code == 200
    token = form_token(fresh, old.preferences)
    response = fresh.post(
        old.preferences, data={"form_token": token, "action": "revoke"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/m/links-renewed/pl"
    renewed = fresh.get(response.headers["location"])
    assert renewed.status_code == 200
    assert "Nowe linki przyjdą z następną wiadomością" in renewed.text
    for url in (old.preferences, old.unsubscribe, old.calls, old.atom, old.calendar):
        assert fresh.get(url).status_code == 404, url
    assert fresh.get(old.not_relevant(1)).status_code == 404
    assert member(sessions, ewa).token_version == 2
    assert fresh.get(links(settings, sessions, ewa).atom).status_code == 200
    assert fresh.get("/m/links-renewed/xx").status_code == 404
