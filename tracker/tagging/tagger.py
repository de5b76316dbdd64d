"""Tagging a call: source metadata first, then the taxonomy's terms in its text.

What the source itself says (programme codes, NCBR thematic areas, applicant
types, the instrument) is tagged with origin `source`; words found in the text
with origin `rule`. A rule tag needs enough evidence: a term in the title or
keywords is enough, a single mention deep in a long description is not (the
label guide: "a passing mention does not make a domain; the call's aim does").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from fnmatch import fnmatchcase
from functools import cache

from tracker.tagging import scoring
from tracker.tagging.matching import (
    Hit,
    TermIndex,
    build_index,
    build_sector_index,
    find_hits,
)
from tracker.tagging.model import SOURCE_STRENGTH, CallText, TagMatch
from tracker.tagging.stemming import ENGLISH, LANGUAGES
from tracker.tagging.taxonomy import FACETS, Entry, Taxonomy, default_taxonomy
from tracker.vocab import TagOrigin

FIELDS = ("title", "keywords", "description")
_KIND_ORDER = ("domain", "subtopic", *FACETS)
# The source states these itself; text rules only fill in when it says nothing.
_SOURCE_FACETS = {"applicant", "instrument"}


class Tagger:
    """Tags calls with one taxonomy; term indexes are built once per language."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.entries = taxonomy.by_tag()
        self._rank = {
            tag: (_KIND_ORDER.index(e.kind), n)
            for n, (tag, e) in enumerate(self.entries.items())
        }
        self._indexes: dict[tuple[str, bool], TermIndex] = {}

    def index(self, language: str, sectors: bool = False) -> TermIndex:
        if (language, sectors) not in self._indexes:
            build = build_sector_index if sectors else build_index
            self._indexes[language, sectors] = build(self.taxonomy, language)
        return self._indexes[language, sectors]

    def tag(self, call: CallText) -> list[TagMatch]:
        found = self._from_source(call)
        for tag, match in self._from_text(call, found).items():
            found.setdefault(tag, match)
        self._fallback_origin(call, found)
        return sorted(found.values(), key=lambda m: self._rank[m.tag])

    # --- source metadata --------------------------------------------------------

    def _from_source(self, call: CallText) -> dict[str, TagMatch]:
        found: dict[str, TagMatch] = {}
        for entry in self.entries.values():
            evidence = _source_evidence(entry, call)
            if evidence is None:
                continue
            for tag in (entry.tag, *entry.domains):
                match = TagMatch(tag, TagOrigin.SOURCE, evidence, SOURCE_STRENGTH)
                found.setdefault(tag, match)
        return found

    def _fallback_origin(self, call: CallText, found: dict[str, TagMatch]) -> None:
        if any(self.entries[t].kind == "origin" for t in found):
            return
        for entry in self.taxonomy.of_kind("origin"):
            if _matches(call.source, entry.fallback_sources):
                evidence = f"source: {call.source} (no other origin given)"
                found[entry.tag] = TagMatch(
                    entry.tag, TagOrigin.SOURCE, evidence, SOURCE_STRENGTH
                )

    # --- words in the text ------------------------------------------------------

    def _from_text(
        self, call: CallText, found: dict[str, TagMatch]
    ) -> dict[str, TagMatch]:
        stated = {self.entries[t].kind for t in found} & _SOURCE_FACETS
        evidence: dict[str, list[Hit]] = defaultdict(list)
        for hit in self.hits(call):
            entry = self.entries[hit.term.tag or ""]
            if entry.kind not in stated:
                for tag in (entry.tag, *entry.domains):
                    evidence[tag].append(hit)
        rules = self.taxonomy.scoring
        weight = scoring.weigher(rules, call)
        other_sector = self._names_other_sector(call)
        matches = {}
        for tag, hits in evidence.items():
            facet = self.entries[tag].kind in FACETS
            in_title = any(h.field == "title" for h in hits)
            if other_sector and not facet and not in_title:
                continue  # "wind energy" with "biodiversity" deep in the text
            value = scoring.score(hits, weight, rules)
            if value >= (rules.facet_threshold if facet else rules.threshold):
                matches[tag] = TagMatch(
                    tag, TagOrigin.RULE, _describe(hits), scoring.strength(value)
                )
        # A sub-topic without its domain (dropped above) is dropped too.
        return {
            tag: match
            for tag, match in matches.items()
            if (parent := self.entries[tag].parent) is None
            or parent in matches
            or parent in found
        }

    def _names_other_sector(self, call: CallText) -> bool:
        """Whether the title names another sector ("wind energy", "batteries")."""
        languages = _languages(call.language)
        indexes = {lang: self.index(lang, sectors=True) for lang in languages}
        return bool(find_hits(call.title, "title", indexes, languages))

    def hits(self, call: CallText) -> list[Hit]:
        languages = _languages(call.language)
        indexes = {lang: self.index(lang) for lang in languages}
        texts = [("title", call.title), ("description", call.description)]
        texts += [("keywords", k) for k in call.keywords]
        return [
            hit
            for name, text in texts
            for hit in find_hits(text or "", name, indexes, languages)
        ]


def _languages(language: str | None) -> tuple[str, ...]:
    # English text is never read as Polish (and the Polish table is not loaded);
    # Polish calls often carry English words ("biotech", "Horizon"), so both.
    return (ENGLISH,) if language == ENGLISH else LANGUAGES


def _source_evidence(entry: Entry, call: CallText) -> str | None:
    vetoed = any(_matches(code, entry.not_codes) for code in call.codes)
    for code in () if vetoed else call.codes:
        if _matches(code, entry.codes):
            return f"programme: {code}"
    if call.source and _matches(call.source, entry.sources):
        return f"source: {call.source}"
    for keyword in call.keywords:
        if keyword.strip().casefold() == entry.tag:
            return f"keywords: {keyword.strip()}"
    if entry.kind == "applicant" and entry.id in call.applicant_types:
        return f"applicant_types: {entry.id}"
    if entry.kind == "instrument" and entry.id == call.instrument:
        return f"instrument: {entry.id}"
    return None


def _matches(value: str, patterns: Iterable[str]) -> bool:
    return bool(value) and any(fnmatchcase(value, p) for p in patterns)


def _describe(hits: list[Hit], limit: int = 4) -> str:
    """The words behind a tag by field: `title: 'biotechnologii'; description: ...`."""
    by_field: dict[str, list[str]] = {}
    for hit in hits:
        words = by_field.setdefault(hit.field, [])
        if hit.words not in words and len(words) < limit:
            words.append(hit.words)
    return "; ".join(
        f"{name}: " + ", ".join(repr(w) for w in by_field[name])
        for name in sorted(by_field, key=FIELDS.index)
    )


@cache
def default_tagger() -> Tagger:
    return Tagger(default_taxonomy())
