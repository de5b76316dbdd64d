"""Catalogues: complete in both languages, in step with the templates and code."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import digests
from digests.build import FieldChange
from digests.i18n import LOCALE_DIR, get_translations, po_path
from digests.render import render_digest
from tests.digests.contexts import EUR_12M, SETTINGS, context, deadline, item, items
from tests.digests.factories import NOW
from tracker.vocab import CallStatus, DatePrecision

PACKAGE = Path(digests.__file__).parent
POLISH_PLURALS = (
    "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def msgids(catalog: Catalog) -> set[object]:
    return {m.id for m in catalog if m.id}


def extracted() -> set[object]:
    with (PACKAGE / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(PACKAGE, method_map, options_map)
    return {
        message if isinstance(message, str) else tuple(message)
        for _, _, message, _, _ in found
    }


def test_pot_matches_the_strings_in_templates_and_code() -> None:
    pot = msgids(read(LOCALE_DIR / "messages.pot"))
    assert extracted() == pot, "run the pybabel commands in digests/i18n.py"


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_message_is_translated(language: str) -> None:
    pot = msgids(read(LOCALE_DIR / "messages.pot"))
    catalog = read(po_path(language), language)
    assert msgids(catalog) == pot
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            strings = message.string
            assert len(strings) == catalog.num_plurals, message.id
        else:
            strings = (message.string,)
        assert all(strings), f"untranslated in {language}: {message.id!r}"
        assert not message.fuzzy, message.id
    # Placeholders of msgid and msgstr agree (babel's python-format checker).
    assert [e for _, e in catalog.check() if e] == []


def test_polish_plural_rule() -> None:
    catalog = read(po_path("pl"), "pl")
    assert catalog.plural_forms == POLISH_PLURALS
    ngettext = get_translations("pl").ngettext
    forms = {n: ngettext("%(num)d new call", "%(num)d new calls", n) for n in (1, 2, 5)}
    assert forms == {
        1: "%(num)d nowy nabór",
        2: "%(num)d nowe nabory",
        5: "%(num)d nowych naborów",
    }
    counts = [1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 102, 112]
    nabory = [ngettext("%(num)d new call", "%(num)d new calls", n) for n in counts]
    assert [form.split()[-1] for form in nabory] == [
        "nabór",
        "nabory",
        "nabory",
        "naborów",
        "naborów",
        "naborów",
        "naborów",
        "naborów",
        "nabory",
        "naborów",
        "nabory",
        "naborów",
    ]


def test_no_mo_files_are_committed() -> None:
    assert not list(LOCALE_DIR.rglob("*.mo"))


@pytest.mark.parametrize(
    ("singular", "plural", "forms"),
    [
        (
            "%(num)d recommended call",
            "%(num)d recommended calls",
            ("polecany nabór", "polecane nabory", "polecanych naborów"),
        ),
        (
            "…and %(count)s more call.",
            "…and %(count)s more calls.",
            ("nabór.", "nabory.", "naborów."),
        ),
    ],
)
def test_polish_plurals_of_the_counts(singular: str, plural: str, forms) -> None:
    ngettext = get_translations("pl").ngettext
    one, few, many = forms
    expected = {1: one, 2: few, 5: many, 12: many, 22: few, 25: many}
    for n, form in expected.items():
        assert ngettext(singular, plural, n).endswith(form), n


def test_polish_digest_has_no_english_left() -> None:
    """Every English string that differs in Polish must be absent from a Polish mail."""
    day = deadline(NOW + timedelta(days=30), DatePrecision.DAY, "stage 1")
    ctx = context(
        "pl",
        picks=(item(7, deadline=day, deadlines=(day,)),),
        new=(item(1, **EUR_12M),),
        changed=(item(2, changes=(FieldChange("status", "forthcoming", "open"),)),),
        closing_soon=(item(3),),
        forthcoming=(item(4, status=CallStatus.FORTHCOMING),),
        other=items(1, start=5),
        more={"other": 2, "new": 1},
    )
    message = render_digest(ctx, SETTINGS)
    rendered = message["Subject"] + "".join(
        part.get_content() for part in message.walk() if not part.is_multipart()
    )
    assert "BEGIN:VCALENDAR" in rendered  # the attachment is checked too
    polish = read(po_path("pl"), "pl")
    for entry in polish:
        english = entry.id if isinstance(entry.id, str) else entry.id[0]
        fixed_words = re.split(r"%\(\w+\)[sd]", english)
        for words in fixed_words:
            words = words.strip(" ,.:()…")
            if len(words) > 3 and words not in str(entry.string):
                assert words not in rendered, f"English {words!r} in Polish digest"
