"""Minimal domain tagging: bilingual, inflection-tolerant, with evidence."""

from __future__ import annotations

import pytest

from tracker.tagging import tag_text
from tracker.vocab import Domain, TagOrigin


def _tags(*args, **kwargs) -> set[str]:
    return {str(m.tag) for m in tag_text(*args, **kwargs)}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Biotechnologia w przemyśle", {"biotech"}),
        ("Rozwój biotechnologii medycznej", {"biotech", "health"}),
        ("Projekty biotechnologicznych firm", {"biotech"}),
        ("Badania kliniczne nowych leków", {"health", "pharma"}),
        ("Szczepionki przeciw chorobom zakaźnym", {"pharma", "health"}),
        ("Innowacje w rolnictwie i przetwórstwie żywności", {"agrifood"}),
        ("Biogospodarka o obiegu zamkniętym", {"bioeconomy", "environment"}),
        ("Ochrona środowiska i klimatu", {"environment"}),
        ("New vaccines against antimicrobial resistance", {"pharma"}),
        ("Bio-based fertilisers for crop protection", {"bioeconomy", "agrifood"}),
        ("Genomic medicine for rare diseases", {"biotech", "health"}),
        ("Restoring biodiversity in freshwater ecosystems", {"environment"}),
        ("Megawatt charging for heavy duty vehicles", set()),
        ("Farmakologia kliniczna i farmaceutyki", {"health", "pharma"}),
        ("Farm to Fork: farmers and farming", {"agrifood"}),
        ("Gospodarka o obiegu zamkniętym", {"environment"}),
        ("Ochrona przyrody i różnorodności biologicznej", {"environment"}),
        ("Cybersecurity of software supply chains", set()),
    ],
)
def test_titles_in_both_languages(title: str, expected: set[str]) -> None:
    assert _tags(title) == expected


def test_soil_health_is_not_human_health() -> None:
    assert _tags("Living labs to enhance soil health") == {"agrifood"}


def test_short_words_do_not_match_inside_others() -> None:
    # "lek" is a drug in Polish, but not inside "elektryczny" or "lekki".
    assert _tags("Pojazdy elektryczne i lekkie konstrukcje") == set()


def test_programme_codes_tag_with_source_origin() -> None:
    matches = tag_text("Call 13", codes=["HORIZON-JU-IHI-2026-13-two-stage-01"])
    assert {(str(m.tag), m.origin) for m in matches} == {
        ("health", TagOrigin.SOURCE),
        ("pharma", TagOrigin.SOURCE),
    }
    assert matches[0].evidence == "programme: HORIZON-JU-IHI-2026-13-two-stage-01"


def test_ncbr_thematic_areas_tag_with_source_origin() -> None:
    matches = tag_text("Konkurs", codes=["healthy_society", "agri_food"])
    assert {(str(m.tag), m.origin) for m in matches} == {
        ("health", TagOrigin.SOURCE),
        ("agrifood", TagOrigin.SOURCE),
    }


def test_prefix_must_end_at_a_separator() -> None:
    # LIFE is a programme; "LIFESTYLE-2026" is not.
    assert _tags("x", codes=["LIFESTYLE-2026"]) == set()
    assert _tags("x", codes=["LIFE-2026-SAP-NAT"]) == {"environment"}


def test_evidence_names_field_and_words() -> None:
    (match,) = tag_text("Call", description="Support for biorefineries in Poland")
    assert match.tag is Domain.BIOECONOMY
    assert match.origin is TagOrigin.RULE
    assert match.evidence == "description: 'biorefineries'"
