"""Rules learnt from coordinators' decisions, for them to accept (or not).

Where a coordinator added a tag the rules missed, the words that the call's
title and keywords share with other calls given that tag are candidate terms.
Where a coordinator removed a tag, the words around the term that produced it
are candidate phrases to ignore ("health passport" hiding "health"). A
candidate is proposed only if it is supported by several calls and rarely
contradicted by the others; nothing is applied until a coordinator accepts it
into tracker/taxonomy_local.toml (and `grants tags evaluate` shows it helps).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.models import Call
from tracker.tagging.local_rules import LocalRules
from tracker.tagging.model import CallText, call_text
from tracker.tagging.stemming import ENGLISH, POLISH, Token, tokenize
from tracker.tagging.tagger import Tagger
from tracker.vocab import TagOrigin

# Short words ("of", "dla", "i") never start or end a proposed phrase.
_MIN_EDGE_LETTERS = 4
_MAX_WORDS = 3


@dataclass(frozen=True)
class Decision:
    """A stored call and what coordinators did to its tags."""

    key: str
    call: CallText
    added: frozenset[str]  # coordinator tags
    removed: frozenset[str]  # suppressed tags
    kept: frozenset[str]  # automatic tags nobody removed


@dataclass(frozen=True)
class Suggestion:
    tag: str
    action: str  # "add" a term to the tag's entry, or "ignore" a phrase
    phrase: str
    language: str
    support: int  # calls where the coordinators' decision agrees
    against: int  # calls with the phrase where it would be wrong
    examples: tuple[str, ...]

    @property
    def precision(self) -> float:
        return self.support / (self.support + self.against)


def suggest(
    tagger: Tagger,
    decisions: list[Decision],
    min_support: int = 2,
    min_precision: float = 0.7,
    per_tag: int = 5,
) -> list[Suggestion]:
    """Terms for tags the rules missed, phrases to ignore for tags removed."""
    found = [*_additions(tagger, decisions), *_ignores(tagger, decisions)]
    good = [
        s for s in found if s.support >= min_support and s.precision >= min_precision
    ]
    good.sort(key=lambda s: (s.tag, s.action, -s.support, -s.precision, s.phrase))
    kept: dict[tuple[str, str], int] = Counter()
    result = []
    for item in good:
        kept[item.tag, item.action] += 1
        if kept[item.tag, item.action] <= per_tag:
            result.append(item)
    return result


def _additions(tagger: Tagger, decisions: list[Decision]) -> Iterator[Suggestion]:
    known = set(tagger.entries)
    has = {d.key: d.added | d.kept for d in decisions}
    for tag in sorted({t for d in decisions for t in d.added} & known):
        missed = [d for d in decisions if tag in d.added and not _auto(tagger, d, tag)]
        phrases: dict[tuple[str, tuple[str, ...]], list[Decision]] = defaultdict(list)
        surface: dict[tuple[str, tuple[str, ...]], Counter[str]] = defaultdict(Counter)
        for decision in missed:
            for lang, stems, words in _phrases(decision.call):
                if decision not in phrases[lang, stems]:
                    phrases[lang, stems].append(decision)
                surface[lang, stems][words.lower()] += 1
        for (lang, stems), support in phrases.items():
            against = sum(
                tag not in has[d.key] and _contains(d.call, lang, stems)
                for d in decisions
            )
            phrase = surface[lang, stems].most_common(1)[0][0]
            examples = tuple(d.key for d in support[:3])
            yield Suggestion(tag, "add", phrase, lang, len(support), against, examples)


def _ignores(tagger: Tagger, decisions: list[Decision]) -> Iterator[Suggestion]:
    for tag in sorted({t for d in decisions for t in d.removed} & set(tagger.entries)):
        contexts: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
        surface: dict[tuple[str, tuple[str, ...]], str] = {}
        for decision in (d for d in decisions if tag in d.removed):
            for lang, stems, words in _contexts(tagger, decision.call, tag):
                contexts[lang, stems].append(decision.key)
                surface.setdefault((lang, stems), words.lower())
        for (lang, stems), keys in contexts.items():
            support = sorted(set(keys))
            against = sum(
                tag in (d.added | d.kept) and _contains(d.call, lang, stems)
                for d in decisions
            )
            yield Suggestion(
                tag, "ignore", surface[lang, stems], lang, len(support), against,
                tuple(support[:3]),
            )  # fmt: skip


def _auto(tagger: Tagger, decision: Decision, tag: str) -> bool:
    return tag in {str(m.tag) for m in tagger.tag(decision.call)}


def _language(call: CallText) -> str:
    return POLISH if call.language == POLISH else ENGLISH


def _phrases(call: CallText) -> Iterator[tuple[str, tuple[str, ...], str]]:
    """Word sequences of the title and keywords, as (language, stems, words)."""
    lang = _language(call)
    for text in (call.title, *call.keywords):
        tokens = tokenize(text, (lang,))
        for i in range(len(tokens)):
            for n in range(1, _MAX_WORDS + 1):
                span = tokens[i : i + n]
                if len(span) < n or not _edges_ok(text, span[0], span[-1]):
                    continue
                words = text[span[0].start : span[-1].end]
                yield lang, tuple(t.stems[lang] for t in span), words


def _edges_ok(text: str, first: Token, last: Token) -> bool:
    for token in (first, last):
        word = text[token.start : token.end]
        if len(word) < _MIN_EDGE_LETTERS or word.isdigit():
            return False
    return True


def _contexts(
    tagger: Tagger, call: CallText, tag: str
) -> Iterator[tuple[str, tuple[str, ...], str]]:
    """The words before and after each term that gave `tag`, with the term."""
    lang = _language(call)
    entries = tagger.entries
    for hit in tagger.hits(call):
        entry = entries[hit.term.tag or ""]
        if tag not in (entry.tag, *entry.domains) or hit.term.language != lang:
            continue
        if hit.field == "keywords":  # a keyword has no context to ignore
            continue
        text = call.title if hit.field == "title" else call.description
        tokens = tokenize(text, (lang,))
        at = next(i for i, t in enumerate(tokens) if t.start == hit.start)
        end = at + len(hit.term.stems)
        for lo, hi in ((at - 1, end), (at, end + 1)):
            if lo >= 0 and hi <= len(tokens):
                span = tokens[lo:hi]
                if _edges_ok(text, span[0], span[-1]):
                    words = text[span[0].start : span[-1].end]
                    yield lang, tuple(t.stems[lang] for t in span), words


def _contains(call: CallText, lang: str, stems: tuple[str, ...]) -> bool:
    n = len(stems)
    return any(
        tuple(found[i : i + n]) == stems
        for found in _stemmed(call, lang)
        for i in range(len(found) - n + 1)
    )


@lru_cache(maxsize=4096)
def _stemmed(call: CallText, lang: str) -> tuple[tuple[str, ...], ...]:
    """Each text of the call as stems, once per call (they are compared often)."""
    texts = (call.title, *call.keywords, call.description)
    return tuple(tuple(t.stems[lang] for t in tokenize(x, (lang,))) for x in texts)


def as_local_rules(tagger: Tagger, suggestions: Iterable[Suggestion]) -> LocalRules:
    """Suggestions as taxonomy_local.toml content."""
    rules = LocalRules()
    for item in suggestions:
        if item.action == "ignore":
            rules.add_ignore(item.language, item.phrase)
        else:
            entry = tagger.entries[item.tag]
            rules.add_term(entry.kind, entry.id, item.language, item.phrase)
    return rules


def load_decisions(session: Session) -> list[Decision]:
    """Every canonical stored call with what coordinators did to its tags."""
    calls = session.scalars(
        select(Call)
        .where(Call.merged_into_id.is_(None))
        .options(selectinload(Call.tags), selectinload(Call.source))
    ).all()
    decisions = []
    for call in calls:
        live = [t for t in call.tags if not t.suppressed]
        decisions.append(
            Decision(
                key=f"{call.source.slug}:{call.source_key}",
                call=call_text(call),
                added=frozenset(
                    t.tag for t in live if t.origin is TagOrigin.COORDINATOR
                ),
                removed=frozenset(t.tag for t in call.tags if t.suppressed),
                kept=frozenset(
                    t.tag for t in live if t.origin is not TagOrigin.COORDINATOR
                ),
            )
        )
    return decisions
