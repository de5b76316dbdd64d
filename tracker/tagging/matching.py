"""Finding taxonomy terms in a text, as sequences of stems.

A term matches where the text's words have the term's stems in order, so
"obieg zamknięty" matches "gospodarki o obiegu zamkniętym" and "bio-based"
matches "bio based". At each word the longest matching term wins and hides the
words it covers: "plant health" is then not also "health", and an ignored
phrase ("health and safety") hides its words from every shorter term.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tracker.tagging.stemming import EXACT, LANGUAGES, Token, stems_of, tokenize
from tracker.tagging.taxonomy import Taxonomy

SECTOR = "*sector*"  # the tag of a sector word: not a tag, a marker


@dataclass(frozen=True)
class Term:
    """A taxonomy term, stemmed; `tag` is None for an ignored phrase."""

    text: str
    language: str
    stems: tuple[str, ...]
    tag: str | None
    weak: bool = False


@dataclass(frozen=True)
class Hit:
    """A term found in one field of a call, with the words as the call has them."""

    term: Term
    field: str
    words: str
    start: int = 0  # character offset in the field


class TermIndex:
    """The terms of one language, looked up by their first stem."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self._by_first: dict[str, list[Term]] = {}
        for term in terms:
            self._by_first.setdefault(term.stems[0], []).append(term)

    def at(self, tokens: list[Token], i: int, language: str) -> list[Term]:
        """The longest terms that match the words from `i` on."""
        first = tokens[i]
        candidates = sorted(
            [
                *self._by_first.get(first.stems[language], ()),
                *self._by_first.get(EXACT + first.word, ()),
            ],
            key=lambda t: -len(t.stems),
        )
        found: list[Term] = []
        for term in candidates:
            if found and len(term.stems) < len(found[0].stems):
                break
            end = i + len(term.stems)
            if end <= len(tokens) and all(
                _same(tokens[j], stem, language)
                for j, stem in zip(range(i, end), term.stems, strict=True)
            ):
                found.append(term)
        return found


def _same(token: Token, stem: str, language: str) -> bool:
    if stem.startswith(EXACT):
        return stem == EXACT + token.word
    return token.stems[language] == stem


def build_index(taxonomy: Taxonomy, language: str) -> TermIndex:
    """Every term of `language` in the taxonomy, stemmed once."""
    terms = [
        Term(text, language, stems_of(text, language), entry.tag, weak)
        for entry in taxonomy.entries
        for weak in (False, True)
        for text in entry.terms(language, weak)
    ]
    terms += [
        Term(text, language, stems_of(text, language), None)
        for text in taxonomy.ignore.get(language, ())
    ]
    return TermIndex(t for t in terms if t.stems)


def build_sector_index(taxonomy: Taxonomy, language: str) -> TermIndex:
    """The words naming other sectors (see `Taxonomy.sectors`)."""
    terms = [
        Term(text, language, stems_of(text, language), SECTOR)
        for text in taxonomy.sectors.get(language, ())
    ]
    return TermIndex(t for t in terms if t.stems)


def find_hits(
    text: str, field: str, indexes: dict[str, TermIndex], languages: tuple[str, ...]
) -> list[Hit]:
    """The terms in `text`, leftmost-longest, each word used at most once."""
    languages = tuple(lang for lang in LANGUAGES if lang in languages)
    tokens = tokenize(text, languages)
    hits: list[Hit] = []
    i = 0
    while i < len(tokens):
        terms = _longest(tokens, i, indexes, languages)
        if not terms:
            i += 1
            continue
        end = i + len(terms[0].stems)
        words = text[tokens[i].start : tokens[end - 1].end]
        start = tokens[i].start
        hits += [Hit(term, field, words, start) for term in terms if term.tag]
        i = end
    return hits


def _longest(
    tokens: list[Token],
    i: int,
    indexes: dict[str, TermIndex],
    languages: tuple[str, ...],
) -> list[Term]:
    found = [t for lang in languages for t in indexes[lang].at(tokens, i, lang)]
    if not found:
        return []
    longest = max(len(t.stems) for t in found)
    return [t for t in found if len(t.stems) == longest]
