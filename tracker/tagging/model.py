"""What the tagger reads (`CallText`) and what it gives (`TagMatch`)."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.vocab import Domain, TagOrigin

DOMAINS = frozenset(d.value for d in Domain)
# How much a tag taken from the source's own metadata weighs in the relevance.
SOURCE_STRENGTH = 0.9


@dataclass(frozen=True)
class TagMatch:
    """A tag for a call, where it came from, and the words or field behind it.

    `strength` (0..1) is how strong the evidence is; the relevance score uses it.
    """

    tag: str
    origin: TagOrigin
    evidence: str
    strength: float = 1.0

    def __post_init__(self) -> None:
        # Domain tags as `Domain` members, so that `tag is Domain.HEALTH` holds.
        if self.tag in DOMAINS and not isinstance(self.tag, Domain):
            object.__setattr__(self, "tag", Domain(self.tag))


@dataclass(frozen=True)
class CallText:
    """The parts of a call the tagger reads."""

    title: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    source: str = ""
    language: str | None = None
    applicant_types: tuple[str, ...] = ()
    instrument: str | None = None


def call_text(call: object) -> CallText:
    """The taggable parts of a `FundingCall` or a stored `Call` (duck-typed)."""
    source = getattr(call, "source", "") or ""
    # A stored Call's `source_id` is a foreign key; its natural key is source_key.
    key = getattr(call, "source_key", None) or getattr(call, "source_id", "")
    codes = [str(key), getattr(call, "call_identifier", None)]
    codes += list(getattr(call, "programme_codes", None) or [])
    language = getattr(call, "language", None)
    instrument = getattr(call, "instrument", None)
    return CallText(
        title=getattr(call, "title", "") or "",
        description=getattr(call, "description", None) or "",
        keywords=tuple(getattr(call, "keywords", None) or ()),
        codes=tuple(str(c) for c in codes if c),
        source=str(getattr(source, "slug", source)),
        language=str(language) if language else None,
        applicant_types=tuple(str(a) for a in getattr(call, "applicant_types", ())),
        instrument=str(instrument) if instrument else None,
    )
