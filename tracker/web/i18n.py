"""The desk's catalogues and templates per language, and the language of a request.

Like the digests (see `digests.i18n`), the `.po` files are the only source:
they are compiled in memory on first use, so there is no build step and no
binary file in the repository. Polish is the default.

To refresh after changing a template or a marked string::

    .venv/bin/pybabel extract -F tracker/web/babel.cfg \
        -o tracker/web/locale/messages.pot --no-location --omit-header tracker/web
    .venv/bin/pybabel update -i tracker/web/locale/messages.pot \
        -d tracker/web/locale --no-fuzzy-matching --ignore-obsolete --width 88

then translate the new entries in both `.po` files (tests/web/test_i18n.py
lists any missing) and drop the placeholder header lines `update` adds.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import Translations
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from digests.i18n import compile_catalogue
from tracker.vocab import Language

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = Language.PL
LANGUAGES = {lang.value for lang in Language}
SESSION_KEY = "lang"


def po_path(language: Language | str) -> Path:
    return LOCALE_DIR / str(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def get_translations(language: Language | str) -> Translations:
    """The compiled desk catalogue of `language`."""
    language = Language(language)
    return compile_catalogue(po_path(language), str(language), DOMAIN)


@cache
def environment(language: Language | str) -> Environment:
    """The template environment of one language, built once.

    One environment per language (as in `digests.render`): swapping
    translations on a shared one between requests would leak across threads.
    Everything is escaped: titles and descriptions are scraped, untrusted text.
    """
    env = Environment(
        loader=PackageLoader("tracker.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(get_translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def language_of(connection: HTTPConnection) -> Language:
    """The session's language: the coordinator's own from login, or as switched."""
    value = connection.session.get(SESSION_KEY)
    return Language(value) if value in LANGUAGES else DEFAULT_LANGUAGE


def set_language(connection: HTTPConnection, language: Language | str) -> None:
    connection.session[SESSION_KEY] = str(Language(language))


class LanguageSwitch:
    """`?lang=en` (or `pl`) on any page switches the session's language.

    Plain links then switch languages without JavaScript or a form post; the
    choice only changes how pages read, so a GET may make it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            connection = HTTPConnection(scope)
            wanted = connection.query_params.get("lang")
            if wanted in LANGUAGES:
                set_language(connection, wanted)
        await self.app(scope, receive, send)
