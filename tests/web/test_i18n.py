"""The desk's catalogues: complete in both languages, in step with the templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import tracker.web
from tracker.web.i18n import LOCALE_DIR, get_translations, po_path

PACKAGE = Path(tracker.web.__file__).parent


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
    assert extracted() == pot, "run the pybabel commands in tracker/web/i18n.py"


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_message_is_translated(language: str) -> None:
    pot = msgids(read(LOCALE_DIR / "messages.pot"))
    catalog = read(po_path(language), language)
    assert msgids(catalog) == pot
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if message.pluralizable else (message.string,)
        if message.pluralizable:
            assert len(strings) == catalog.num_plurals, message.id
        assert all(strings), f"untranslated in {language}: {message.id!r}"
        assert not message.fuzzy, message.id
    assert [e for _, e in catalog.check() if e] == []


def test_polish_plurals() -> None:
    ngettext = get_translations("pl").ngettext
    approved = [
        ngettext("%(num)d call approved.", "%(num)d calls approved.", n) % {"num": n}
        for n in (1, 3, 5, 22)
    ]
    assert approved == [
        "Zatwierdzono 1 nabór.",
        "Zatwierdzono 3 nabory.",
        "Zatwierdzono 5 naborów.",
        "Zatwierdzono 22 nabory.",
    ]


def test_no_mo_files_are_committed() -> None:
    assert not list(LOCALE_DIR.rglob("*.mo"))
