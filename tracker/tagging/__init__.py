"""Tagging calls with the cluster's taxonomy (tracker/taxonomy.toml).

Tags: the six domains by name (`health`), sub-topics as `<domain>/<sub>`
(`health/vaccines`), facets as `applicant:<type>`, `instrument:<kind>`,
`geo:<eu|pl|lubelskie>` and `origin:<eu|national|regional>`. Each carries its
origin (source metadata or a text rule) and its evidence, so a coordinator can
see why it was given; `relevance_score` rates the call for the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable

from tracker.tagging.model import DOMAINS, CallText, TagMatch, call_text
from tracker.tagging.tagger import Tagger, default_tagger

__all__ = [
    "DOMAINS",
    "CallText",
    "TagMatch",
    "Tagger",
    "call_text",
    "default_tagger",
    "relevance_score",
    "tag_call",
    "tag_text",
]

# A call for the cluster's own region is worth a little more to its members.
_REGION_BONUS = 0.1
_EXTRA_DOMAIN_BONUS = 0.05


def tag_text(
    title: str,
    description: str | None = None,
    keywords: Iterable[str] = (),
    codes: Iterable[str] = (),
    *,
    source: str = "",
    language: str | None = None,
) -> list[TagMatch]:
    """Tags for a call given as plain parts (language unknown: both are read)."""
    text = CallText(
        title, description or "", tuple(keywords), tuple(codes), source, language
    )
    return default_tagger().tag(text)


def tag_call(call: object) -> list[TagMatch]:
    """Tags for a `FundingCall` or a stored `Call`."""
    return default_tagger().tag(call_text(call))


def relevance_score(matches: list[TagMatch]) -> float:
    """How much a call matters to the cluster, 0..1, from its tags.

    No domain, no relevance. Otherwise the strongest domain evidence (source
    metadata 0.9; text rules 0.55..0.85 by how much they found), a little more
    for each further domain, and a bonus for a call of the Lubelskie region.
    """
    domains = [m for m in matches if m.tag in DOMAINS]
    if not domains:
        return 0.0
    score = max(m.strength for m in domains)
    score += _EXTRA_DOMAIN_BONUS * (len(domains) - 1)
    if any(m.tag == "geo:lubelskie" for m in matches):
        score += _REGION_BONUS
    return round(min(1.0, score), 3)
