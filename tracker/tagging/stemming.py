"""Words to stems, done the same way for taxonomy terms and for call text.

Polish is inflected ("biotechnologia", "biotechnologii"), so both sides are
reduced with a real stemmer instead of hand-written suffix lists: pystempel's
Polimorf table for Polish, Snowball for English. Loading the Polish table takes
a few seconds, so it is loaded once per process, and only when Polish is asked.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import snowballstemmer

EXACT = "="  # marks an unstemmed word in a term's stems
ENGLISH = "en"
POLISH = "pl"
LANGUAGES = (ENGLISH, POLISH)

# Letters and digits; hyphens, slashes and apostrophes split words, so
# "bio-based" is the two stems of "bio based", whichever way it is written.
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Token:
    """One word of a text: where it is, and its stem in each language asked."""

    start: int
    end: int
    stems: dict[str, str]
    word: str = ""  # lower case, unstemmed: for terms that must match exactly


@cache
def _english() -> Callable[[str], str]:
    return snowballstemmer.stemmer("english").stemWord


@cache
def _polish() -> Callable[[str], str | None]:
    # Imported late: only Polish text pays for it.
    from pystempel import Stemmer, streams

    streams.DISABLE_TQDM = True  # no progress bar on the CLI's stderr
    table = importlib.resources.files("pystempel.data.polimorf")
    with importlib.resources.as_file(table / "stemmer_polimorf.tbl.gz") as path:
        return Stemmer.from_file(path)


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """The stem of one word as written; the lower-case word when there is none."""
    lower = word.lower()
    if language == ENGLISH:
        return _english()(lower)
    if language != POLISH:
        raise ValueError(f"no stemmer for language {language!r}")
    # The Polish table guesses wildly on short words and acronyms ("gen" ->
    # "generał", "DNA" -> "dno", "MŚP" -> "mśpuniętro"): keep those as written.
    if len(word) <= 3 or (word.isupper() and len(word) <= 6):
        return lower
    return _polish()(lower) or lower


def tokenize(text: str, languages: Iterable[str]) -> list[Token]:
    """The words of `text` with their stems in each of `languages`."""
    languages = tuple(languages)
    return [
        Token(
            match.start(),
            match.end(),
            {lang: stem(match.group(), lang) for lang in languages},
            match.group().lower(),
        )
        for match in _WORD.finditer(text)
    ]


def words(text: str) -> list[str]:
    """The words of `text`, unstemmed (for checks that need no stemmer)."""
    return _WORD.findall(text)


def stems_of(phrase: str, language: str) -> tuple[str, ...]:
    """A taxonomy term as the sequence of stems a text must contain.

    A term written "=word" matches that exact word form only: "=medicines"
    (drugs) must not match "medicine" (the discipline), which stems alike.
    """
    if phrase.startswith("="):
        return tuple(EXACT + w.lower() for w in words(phrase))
    return tuple(t.stems[language] for t in tokenize(phrase, (language,)))
