"""How much the terms found in a call say: the evidence score of one tag.

Where a term stands matters. The title, the source's keywords, a description of
a sentence or two and the opening sentence of a longer one state the call's
aim; deeper in a long description a single mention may be in passing (the
label guide: "a passing mention does not make a domain; the call's aim does").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from tracker.tagging.matching import Hit
from tracker.tagging.model import CallText
from tracker.tagging.stemming import words
from tracker.tagging.taxonomy import Scoring

Weigher = Callable[[Hit], float]
_SENTENCE_END = re.compile(r"[.!?;:](\s|$)|\n")


def weigher(scoring: Scoring, call: CallText) -> Weigher:
    """What a term is worth where it was found in this call."""
    description = call.description
    short = len(words(description)) <= scoring.short_description
    lead_end = 0 if short else _lead_end(description, scoring.lead_words)

    def weight(hit: Hit) -> float:
        if hit.field != "description":
            return scoring.keywords if hit.field == "keywords" else scoring.title
        if short:
            return scoring.title
        return scoring.lead if hit.start < lead_end else scoring.description

    return weight


def _lead_end(text: str, most_words: int) -> int:
    """Where the opening sentence ends, cut after `most_words` words."""
    sentence = _SENTENCE_END.search(text)
    end = sentence.start() if sentence else len(text)
    spans = [m.end() for m in re.finditer(r"[^\W_]+", text[:end])]
    return spans[most_words - 1] if len(spans) > most_words else end


def score(hits: list[Hit], weight: Weigher, scoring: Scoring) -> float:
    """Each distinct term counts once at its best place; repeats add a little.

    Generic (weak) terms only support specific ones, up to `weak_cap`:
    "sustainable", "climate" and "environmental" in a battery call are context,
    not the call's aim.
    """
    # The same words may be a term of a domain and of its sub-topic: once.
    places = {(h.term.stems, h.term.weak, h.field, h.start): weight(h) for h in hits}
    by_term: dict[tuple[tuple[str, ...], bool], list[float]] = defaultdict(list)
    for (stems, weak, _, _), value in places.items():
        by_term[stems, weak].append(value)
    strong = weak_total = 0.0
    for (_, is_weak), found in by_term.items():
        first, *rest = sorted(found, reverse=True)
        value = first + scoring.repeat * sum(rest[: scoring.max_repeats])
        if is_weak:
            weak_total += value * scoring.weak
        else:
            strong += value
    return strong + min(weak_total, scoring.weak_cap) if strong else 0.0


def strength(value: float) -> float:
    """A rule tag's strength for the relevance score: 0.55 at the threshold."""
    return round(min(0.85, 0.3 + 0.25 * value), 3)
