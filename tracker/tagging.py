"""Minimal domain tagging: bilingual keyword rules plus programme codes.

Each tag carries its origin and evidence so that a coordinator can see why it
was given. Polish is inflected, so Polish terms are written as stems matched
at a word start (`biotechnolog` matches "biotechnologii", "biotechnologicznych").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tracker.vocab import Domain, TagOrigin

# Stems: each matches at the start of a word and may continue with any letters.
# Phrases with a trailing "$" must end there (short words that would over-match).
KEYWORDS: dict[Domain, tuple[str, ...]] = {
    Domain.BIOTECH: (
        "biotechnolog",
        "biotech",
        "genomic",
        "genome$",
        "gene therap",
        "gene editing",
        "crispr",
        "synthetic biology",
        "bioprocess",
        "enzym",
        "microbiom",
        "bioinformatic",
        "omics$",
        "biologics$",
        "cell therap",
        "genom",
        "genetyczn",
        "bioinformatyk",
        "mikrobiom",
        "biologii syntetycznej",
    ),
    Domain.HEALTH: (
        "health$",
        "healthcare",
        "disease",
        "clinical",
        "medical",
        "medicine",
        "patient",
        "cancer",
        "diagnos",
        "epidemi",
        "infectio",
        "public health",
        "zdrowi",
        "zdrowot",
        "chorob",
        "medyczn",
        "medycyn",
        "kliniczn",
        "pacjent",
        "nowotw",
        "onkolog",
        "diagnosty",
        "leczeni",
    ),
    Domain.PHARMA: (
        "pharma",
        "drug$",
        "drugs$",
        "medicinal product",
        "vaccin",
        "therapeutic",
        "antimicrobial",
        "antibiotic",
        "active pharmaceutical",
        "farmac",
        "leków$",
        "lek$",
        "leki$",
        "szczepion",
        "antybiotyk",
        "terapeutyczn",
        "substancj czynn",
    ),
    Domain.BIOECONOMY: (
        "bioeconom",
        "bio-econom",
        "bio-based",
        "biobased",
        "biomass",
        "biorefiner",
        "bio-refiner",
        "biomaterial",
        "biogospodar",
        "biomas",
        "biorafiner",
        "biopochodn",
        "bioproduk",
    ),
    Domain.AGRIFOOD: (
        "agricultur",
        "agri-food",
        "agrifood",
        "food",
        # Not a bare "farm" stem: Polish "farmacja", "farmakologia" start alike.
        "farm$",
        "farms$",
        "farmer",
        "farming",
        "crop",
        "livestock",
        "plant health",
        "aquaculture",
        "fisher",
        "soil",
        "herbal",
        "rolnict",
        "rolnicz",
        "żywnoś",
        "spożywcz",
        "uprawa",
        "upraw",
        "hodowl",
        "gleb",
        "rolno-spożywcz",
        "zielarsk",
        "zioł",
    ),
    Domain.ENVIRONMENT: (
        "environment",
        "climate",
        "biodivers",
        "pollut",
        "ecosystem",
        "circular economy",
        "nature-based",
        "emission",
        "water$",
        "wastewater",
        "środowisk",
        "klimat",
        "bioróżnorodn",
        "zanieczyszcz",
        "ekosystem",
        "obieg zamknięt",
        "przyrod",
        "różnorodn biologiczn",
        "emisj",
        "ścieki",
        "wód$",
        "wodn",
    ),
}

# Identifier prefixes and programme-division codes of the EU portal.
PROGRAMME_CODES: dict[str, tuple[Domain, ...]] = {
    "HORIZON-HLTH": (Domain.HEALTH,),
    "HORIZON-JU-IHI": (Domain.HEALTH, Domain.PHARMA),
    "HORIZON-JU-CBE": (Domain.BIOECONOMY, Domain.BIOTECH),
    "HORIZON-JU-EDCTP": (Domain.HEALTH,),
    "HORIZON-JU-GH-EDCTP": (Domain.HEALTH,),
    "EU4H": (Domain.HEALTH,),
    "LIFE": (Domain.ENVIRONMENT,),
    "43108557": (Domain.HEALTH,),  # Health (HORIZON.2.1)
    "43108618": (Domain.HEALTH,),  # Non-communicable and rare diseases
    "43108628": (Domain.HEALTH,),  # Infectious diseases
    "43121593": (Domain.BIOECONOMY,),  # Bio-based innovation systems
    "43121588": (Domain.AGRIFOOD,),  # Food systems
    "43121578": (Domain.AGRIFOOD,),  # Agriculture, forestry and rural areas
    "43121573": (Domain.ENVIRONMENT,),  # Biodiversity and natural resources
    "43332642": (Domain.HEALTH,),  # EU4Health
    "43252405": (Domain.ENVIRONMENT,),  # LIFE
    # NCBR's thematic areas (gov.pl competition search)
    "healthy_society": (Domain.HEALTH,),
    "agri_food": (Domain.AGRIFOOD,),
    "circular_economy": (Domain.ENVIRONMENT,),
}

# "soil health" and "plant health" are not human health.
_NOT_HEALTH = re.compile(r"\b(soil|plant|ocean|forest)s? health", re.IGNORECASE)


def _compile(stem: str) -> re.Pattern[str]:
    exact = stem.endswith("$")
    words = stem.rstrip("$").split(" ")
    parts = [re.escape(w) + r"\w*" for w in words[:-1]]
    last = re.escape(words[-1]) + (r"\b" if exact else r"\w*")
    return re.compile(r"(?<!\w)" + r"\s+".join([*parts, last]), re.IGNORECASE)


_PATTERNS = {
    domain: [(stem.rstrip("$"), _compile(stem)) for stem in stems]
    for domain, stems in KEYWORDS.items()
}


@dataclass(frozen=True)
class TagMatch:
    tag: str
    origin: TagOrigin
    evidence: str


def tag_text(
    title: str,
    description: str | None = None,
    keywords: Iterable[str] = (),
    codes: Iterable[str] = (),
) -> list[TagMatch]:
    """Domain tags for a call, one per domain, the strongest evidence kept."""
    found: dict[str, TagMatch] = {}
    for code in codes:
        for prefix, domains in PROGRAMME_CODES.items():
            if code == prefix or code.startswith(prefix + "-"):
                for domain in domains:
                    found.setdefault(
                        domain, TagMatch(domain, TagOrigin.SOURCE, f"programme: {code}")
                    )
    fields = [("title", title), ("keywords", "; ".join(keywords))]
    fields.append(("description", description or ""))
    for name, text in fields:
        for domain, patterns in _PATTERNS.items():
            if domain in found:
                continue
            haystack = _NOT_HEALTH.sub(" ", text) if domain is Domain.HEALTH else text
            for _stem, pattern in patterns:
                if match := pattern.search(haystack):
                    evidence = f"{name}: {match.group(0)!r}"
                    found[domain] = TagMatch(domain, TagOrigin.RULE, evidence)
                    break
    return [found[d] for d in Domain if d in found]


def tag_call(call: object) -> list[TagMatch]:
    """Tags for a `FundingCall` or a stored `Call` (duck-typed on their fields)."""
    source_id = getattr(call, "source_id", None) or getattr(call, "source_key", "")
    codes = [str(source_id), *getattr(call, "programme_codes", [])]
    return tag_text(
        getattr(call, "title", ""),
        getattr(call, "description", None),
        getattr(call, "keywords", []),
        codes,
    )


def relevance_score(matches: list[TagMatch]) -> float:
    """How much a call matters to the cluster, 0..1, from its domain tags.

    Programme codes are strong evidence, a keyword in the title good, one in the
    description weak; more domains add a little.
    """
    weights = [_weight(m) for m in matches]
    if not weights:
        return 0.0
    return round(min(1.0, max(weights) + 0.1 * (len(weights) - 1)), 3)


def _weight(match: TagMatch) -> float:
    if match.origin is TagOrigin.SOURCE:
        return 0.9
    if match.evidence.startswith(("title", "keywords")):
        return 0.7
    return 0.4
