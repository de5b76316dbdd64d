"""The cluster's taxonomy: read from TOML, checked strictly, cached.

`tracker/taxonomy.toml` holds the six domains, their sub-topics and the facets
(applicant type, instrument, geography, funding origin), each with Polish and
English labels and terms. `tracker/taxonomy_local.toml`, when present, holds
the rules coordinators accepted (`grants tags suggest`); it is read on top and
may only add terms, codes and sub-topics. A mistake in either file is an error
naming the file and the entry, never a silently ignored rule.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any

from tracker.tagging.stemming import LANGUAGES, words
from tracker.vocab import ApplicantType, Domain, Instrument

MAIN = Path(__file__).resolve().parent.parent / "taxonomy.toml"
LOCAL = MAIN.with_name("taxonomy_local.toml")

# Table name in the file -> the tag prefix of its entries (domains have none).
KINDS = {
    "domain": "",
    "subtopic": "",
    "applicant": "applicant:",
    "instrument": "instrument:",
    "geo": "geo:",
    "origin": "origin:",
}
FACETS = ("applicant", "instrument", "geo", "origin")
# Facet ids are closed vocabularies: a typo must not invent a new tag.
ALLOWED_IDS: dict[str, set[str]] = {
    "domain": {d.value for d in Domain},
    "applicant": {a.value for a in ApplicantType},
    "instrument": {i.value for i in Instrument},
    "geo": {"eu", "pl", "lubelskie"},
    "origin": {"eu", "national", "regional"},
}
_TERM_KEYS = ("en", "pl", "weak_en", "weak_pl")
_LIST_KEYS = (*_TERM_KEYS, "codes", "not_codes", "sources")
_KEYS = {"id", "label_pl", "label_en", *_LIST_KEYS}
_EXTRA_KEYS = {"subtopic": {"parent", "also"}, "origin": {"fallback_sources"}}
_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


class TaxonomyError(ValueError):
    """The taxonomy file is wrong; the message says where."""


@dataclass(frozen=True)
class Scoring:
    """How much each piece of evidence counts; a tag needs `threshold`.

    Kept in the taxonomy file so that tuning is a data change, measured with
    `grants tags evaluate`, not a code change.
    """

    threshold: float = 1.0
    title: float = 1.0
    keywords: float = 1.0
    description: float = 0.5
    short_description: int = 30  # words; a description this short counts as title
    lead: float = 1.0  # the opening sentence of a longer description
    lead_words: int = 30  # ... up to this many words
    weak: float = 0.5  # multiplier of a generic ("weak") term
    weak_cap: float = 0.25  # the most that weak terms add, and only to others
    repeat: float = 0.25  # each further occurrence of a term, of its first weight
    max_repeats: int = 2
    facet_threshold: float = 1.0


@dataclass(frozen=True)
class Entry:
    """One domain, sub-topic or facet value, with what makes a call get it."""

    kind: str
    id: str
    label_pl: str
    label_en: str
    en: tuple[str, ...] = ()
    pl: tuple[str, ...] = ()
    weak_en: tuple[str, ...] = ()
    weak_pl: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # fnmatch patterns on ids and programme codes
    not_codes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # fnmatch patterns on the source slug
    fallback_sources: tuple[str, ...] = ()  # only if no other origin is found
    parent: str | None = None
    also: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        if self.kind == "subtopic":
            return f"{self.parent}/{self.id}"
        return KINDS[self.kind] + self.id

    @property
    def domains(self) -> tuple[str, ...]:
        """The domain tags that evidence for this entry also supports."""
        if self.kind == "domain":
            return (self.id,)
        if self.kind == "subtopic" and self.parent:
            return (self.parent, *self.also)
        return ()

    def terms(self, language: str, weak: bool = False) -> tuple[str, ...]:
        return getattr(self, f"weak_{language}" if weak else language)


@dataclass(frozen=True)
class Taxonomy:
    entries: tuple[Entry, ...]
    scoring: Scoring = field(default_factory=Scoring)
    # Phrases that never count for anything ("health and safety"): they hide
    # the words inside them from the shorter terms.
    ignore: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Other sectors ("wind energy", "batteries"): a title naming one needs a
    # domain's term in the title too; its description alone is not enough.
    sectors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def of_kind(self, kind: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == kind)

    def by_tag(self) -> dict[str, Entry]:
        return {e.tag: e for e in self.entries}


@cache
def default_taxonomy() -> Taxonomy:
    """The repository's taxonomy plus the accepted local rules, loaded once."""
    return load_taxonomy(MAIN, LOCAL if LOCAL.exists() else None)


def load_taxonomy(main: Path, local: Path | None = None) -> Taxonomy:
    taxonomy = parse_taxonomy(_read(main), main.name)
    if local is not None:
        taxonomy = merge(taxonomy, parse_taxonomy(_read(local), local.name, True))
    return taxonomy


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TaxonomyError(f"{path.name}: {exc}") from exc


def parse_taxonomy(
    data: Mapping[str, Any], where: str, local: bool = False
) -> Taxonomy:
    """A checked taxonomy from parsed TOML; `local` files only add to the main one."""
    allowed = {*KINDS, "ignore"} | (set() if local else {"scoring", "sectors"})
    _no_unknown(data, allowed, where)
    entries = [
        _entry(kind, raw, f"{where}: {kind} #{n + 1}", local)
        for kind in KINDS
        for n, raw in enumerate(_tables(data.get(kind, []), f"{where}: {kind}"))
    ]
    _check_ids(entries, where, local)
    scoring = _scoring(data.get("scoring", {}), where)
    return Taxonomy(
        tuple(entries),
        scoring,
        _phrases(data.get("ignore", {}), f"{where}: ignore"),
        _phrases(data.get("sectors", {}), f"{where}: sectors"),
    )


def _tables(value: Any, where: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise TaxonomyError(f"{where}: must be an array of tables ([[...]])")
    return value


def _no_unknown(data: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise TaxonomyError(
            f"{where}: unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def _entry(kind: str, raw: Mapping[str, Any], where: str, local: bool) -> Entry:
    if isinstance(raw.get("id"), str):
        where = f"{where.rsplit(' #', 1)[0]} {raw['id']!r}"
    _no_unknown(raw, _KEYS | _EXTRA_KEYS.get(kind, set()), where)
    ident = raw.get("id")
    if not isinstance(ident, str) or not _ID.match(ident):
        raise TaxonomyError(f"{where}: id must be lower-case letters, digits, - or _")
    values: dict[str, Any] = {"kind": kind, "id": ident}
    for key in ("label_pl", "label_en"):
        # A local rule adding terms to a known entry need not repeat its labels.
        required = not local or key in raw
        values[key] = _text(raw.get(key, ""), f"{where}: {key}", required)
    for key in (*_LIST_KEYS, "also", "fallback_sources"):
        if key in raw:
            values[key] = tuple(_strings(raw[key], f"{where}: {key}"))
    for key in _TERM_KEYS:
        for term in values.get(key, ()):
            if not words(term):
                raise TaxonomyError(f"{where}: {key} term {term!r} has no words")
    # A local rule adding terms to a known sub-topic need not repeat its parent.
    if kind == "subtopic" and (not local or "parent" in raw):
        values["parent"] = _text(raw.get("parent", ""), f"{where}: parent", True)
    return Entry(**values)


def _text(value: Any, where: str, required: bool = False) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise TaxonomyError(f"{where}: a non-empty string is required")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise TaxonomyError(f"{where}: must be a list of strings")
    return [_text(v, where, required=True) for v in value]


def _check_ids(entries: list[Entry], where: str, local: bool) -> None:
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        key = (entry.kind, entry.id)
        if key in seen:
            raise TaxonomyError(f"{where}: duplicate {entry.kind} id {entry.id!r}")
        seen.add(key)
        allowed = ALLOWED_IDS.get(entry.kind)
        if allowed is not None and entry.id not in allowed:
            raise TaxonomyError(
                f"{where}: unknown {entry.kind} id {entry.id!r} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
    domains = {e.id for e in entries if e.kind == "domain"}
    if not local and domains != ALLOWED_IDS["domain"]:
        missing = ", ".join(sorted(ALLOWED_IDS["domain"] - domains))
        raise TaxonomyError(f"{where}: domains missing: {missing}")
    known = ALLOWED_IDS["domain"]
    for entry in entries:
        if entry.kind == "subtopic" and (entry.parent or not local):
            for parent in (entry.parent, *entry.also):
                if parent not in known:
                    raise TaxonomyError(
                        f"{where}: sub-topic {entry.id!r} has no parent domain "
                        f"{parent!r} (domains: {', '.join(sorted(known))})"
                    )


def _scoring(raw: Mapping[str, Any], where: str) -> Scoring:
    names = {f.name for f in fields(Scoring)}
    _no_unknown(raw, names, f"{where}: scoring")
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise TaxonomyError(f"{where}: scoring {key} must be a number >= 0")
    return Scoring(**raw)


def _phrases(raw: Mapping[str, Any], where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise TaxonomyError(f"{where}: must be a table of en and pl lists")
    _no_unknown(raw, LANGUAGES, where)
    return {lang: tuple(_strings(v, f"{where} {lang}")) for lang, v in raw.items()}


def merge(main: Taxonomy, local: Taxonomy) -> Taxonomy:
    """`main` with `local`'s terms, codes and sub-topics added."""
    entries = {(e.kind, e.id): e for e in main.entries}
    for extra in local.entries:
        key = (extra.kind, extra.id)
        if key not in entries:
            if extra.kind != "subtopic":
                raise TaxonomyError(f"local rules: no {extra.kind} {extra.id!r}")
            if not (extra.label_pl and extra.label_en and extra.parent):
                raise TaxonomyError(
                    f"local rules: new sub-topic {extra.id!r} needs labels and a parent"
                )
            entries[key] = extra
            continue
        base = entries[key]
        added = {k: _union(getattr(base, k), getattr(extra, k)) for k in _LIST_KEYS}
        entries[key] = replace(base, **added)
    ignore = {
        lang: _union(main.ignore.get(lang, ()), local.ignore.get(lang, ()))
        for lang in LANGUAGES
    }
    return Taxonomy(tuple(entries.values()), main.scoring, ignore, main.sectors)


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))
