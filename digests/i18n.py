"""Gettext catalogues compiled in memory, and the locales digests are written in.

The `.po` files are the only source: they are compiled to `.mo` bytes on first
use and cached, so there is no build step and no binary file in the repository.

To refresh after changing a template or a marked string::

    .venv/bin/pybabel extract -F digests/babel.cfg -o digests/locale/messages.pot \
        --no-location --omit-header digests
    .venv/bin/pybabel update -i digests/locale/messages.pot -d digests/locale \
        --no-fuzzy-matching --ignore-obsolete --width 88

then translate the new entries in both `.po` files (the tests list any missing)
and drop the placeholder header lines `update` adds.

Deadline reminders have a domain of their own, "reminders", whose strings live
in `digests/reminders.py` only, marked with `R_`/`RN_` (keywords the command
above does not know, so the two catalogues never mix)::

    .venv/bin/pybabel extract --no-default-keywords -k R_ -k RN_:1,2 \
        -o digests/locale/reminders.pot --no-location --omit-header \
        digests/reminders.py
    .venv/bin/pybabel update -D reminders -i digests/locale/reminders.pot \
        -d digests/locale --no-fuzzy-matching --ignore-obsolete --width 88
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from tracker.vocab import Language

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
REMINDERS = "reminders"

# Babel locales for formatting. British English: day-month-year and a 24-hour
# clock read naturally to Polish members writing in English.
BABEL_LOCALES = {Language.PL: "pl_PL", Language.EN: "en_GB"}


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


def po_path(language: Language | str, domain: str = DOMAIN) -> Path:
    return LOCALE_DIR / str(language) / "LC_MESSAGES" / f"{domain}.po"


def compile_catalogue(path: Path, locale: str, domain: str) -> Translations:
    """A `.po` file compiled in memory: the `.po` is the only source, no `.mo`."""
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=domain)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=domain)


@cache
def get_translations(language: Language | str, domain: str = DOMAIN) -> Translations:
    """The compiled catalogue of `language` (a `Language` or its value) in `domain`."""
    language = Language(language)
    return compile_catalogue(po_path(language, domain), str(language), domain)


@cache
def babel_locale(language: Language | str) -> Locale:
    return Locale.parse(BABEL_LOCALES[Language(language)])
