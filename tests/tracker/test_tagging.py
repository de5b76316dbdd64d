"""Domain tagging: bilingual, stemmed, with source metadata, evidence and relevance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spiders.items import FundingCall
from tracker.tagging import (
    DOMAINS,
    CallText,
    TagMatch,
    call_text,
    default_tagger,
    relevance_score,
    tag_call,
    tag_text,
)
from tracker.tagging.stemming import stems_of, tokenize
from tracker.vocab import ApplicantType, Domain, Instrument, TagOrigin


def _all(*args, **kwargs) -> set[str]:
    return {str(m.tag) for m in tag_text(*args, **kwargs)}


def _tags(*args, **kwargs) -> set[str]:
    """The domain tags only (sub-topics and facets are tested separately)."""
    return _all(*args, **kwargs) & DOMAINS


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


@pytest.mark.parametrize(
    "title",
    [
        "Biotechnologia dla przemysłu",
        "Wsparcie biotechnologii",
        "Projekty biotechnologicznych firm",
        "Biotechnologiczny start",
        "Centrum biotechnologiczne",
    ],
)
def test_polish_inflections_all_match(title: str) -> None:
    assert "biotech" in _tags(title)


def test_polish_and_english_are_stemmed_alike() -> None:
    assert stems_of("obieg zamknięty", "pl") == stems_of("obiegu zamkniętym", "pl")
    assert stems_of("biorefinery", "en") == stems_of("biorefineries", "en")
    tokens = tokenize("bio-based", ["en"])
    assert [t.stems["en"] for t in tokens] == ["bio", "base"]


def test_short_polish_words_and_acronyms_are_kept_as_written() -> None:
    # The stemmer table would turn "gen" into "generał" and "DNA" into "dno".
    assert stems_of("gen", "pl") == ("gen",)
    assert stems_of("MŚP", "pl") == ("mśp",)


def test_multi_word_terms_match_as_a_sequence_only() -> None:
    assert "environment/circular-economy" in _all("Projekty w obiegu zamkniętym")
    assert "environment/circular-economy" not in _all("Obieg dokumentów zamknięty")


def test_soil_health_is_not_human_health() -> None:
    assert _tags("Living labs to enhance soil health") == {"agrifood"}


def test_ignored_phrases_hide_their_words() -> None:
    assert _tags("Occupational health and safety of construction workers") == set()


def test_short_words_do_not_match_inside_others() -> None:
    # "lek" is a drug in Polish, but not inside "elektryczny" or "lekki".
    assert _tags("Pojazdy elektryczne i lekkie konstrukcje") == set()


def test_subtopics_carry_their_parent_domain() -> None:
    tags = _all("Szczepionki przeciw chorobom zakaźnym")
    assert {"pharma/vaccines", "pharma", "health/infectious-diseases"} <= tags
    assert "health/clinical-research" in _all("Niekomercyjne badania kliniczne")


def test_a_passing_mention_in_a_long_description_is_not_enough() -> None:
    filler = " ".join(["The project develops logistics planning tools."] * 8)
    once = tag_text("Logistics tools", f"{filler} It respects biodiversity.")
    assert not {str(m.tag) for m in once} & DOMAINS
    twice = f"{filler} It restores biodiversity and protects wetlands."
    assert _tags("Logistics tools", twice) == {"environment"}


def test_a_title_naming_another_sector_needs_the_domain_in_the_title() -> None:
    filler = " ".join(["The turbines are tested at sea for ten years."] * 8)
    text = f"{filler} It restores biodiversity and protects wetlands."
    assert _tags("Offshore wind energy turbines", text) == set()
    assert _tags("Wind energy and marine biodiversity", text) == {"environment"}
    assert (
        _tags("Magazyny energii", "Ochrona przyrody i bioróżnorodność. " * 9) == set()
    )


def test_the_opening_sentence_of_a_description_states_the_aim() -> None:
    filler = " ".join(["Wnioski składa się w systemie LSI do końca naboru."] * 8)
    lead = "Wsparcie projektów B+R firm, także z obszaru biotechnologii. "
    assert _tags("Ścieżka SMART", lead + filler) == {"biotech"}
    assert _tags("Ścieżka SMART", filler + " " + lead) == set()


def test_generic_words_alone_are_context_not_aim() -> None:
    text = "A sustainable, climate-friendly and environmental approach to grids."
    assert _tags("Sustainable grids", text * 3) == set()


def test_programme_codes_tag_with_source_origin() -> None:
    matches = tag_text("Call 13", codes=["HORIZON-JU-IHI-2026-13-two-stage-01"])
    domains = [m for m in matches if m.tag in DOMAINS]
    assert {(str(m.tag), m.origin) for m in domains} == {
        ("health", TagOrigin.SOURCE),
        ("pharma", TagOrigin.SOURCE),
    }
    assert matches[0].evidence == "programme: HORIZON-JU-IHI-2026-13-two-stage-01"


def test_ncbr_thematic_areas_tag_with_source_origin() -> None:
    matches = tag_text("Konkurs", codes=["healthy_society", "agri_food"])
    assert {(str(m.tag), m.origin) for m in matches if m.tag in DOMAINS} == {
        ("health", TagOrigin.SOURCE),
        ("agrifood", TagOrigin.SOURCE),
    }


def test_prefix_must_end_at_a_separator() -> None:
    # LIFE is a programme; "LIFESTYLE-2026" is not.
    assert _tags("x", codes=["LIFESTYLE-2026"]) == set()
    assert _tags("x", codes=["LIFE-2026-SAP-NAT"]) == {"environment"}


def test_not_codes_veto_a_programme() -> None:
    # LIFE's clean-energy sub-programme is energy, not the environment.
    assert _tags("x", codes=["LIFE-2026-CET-HEATCOOLPLAN", "43252405"]) == set()


def test_evidence_names_field_and_words() -> None:
    # A one-sentence description states the call's aim: it weighs as a title.
    matches = tag_text("Call", description="Support for biorefineries in Poland")
    (match,) = [m for m in matches if m.tag in DOMAINS]
    assert match.tag is Domain.BIOECONOMY
    assert match.origin is TagOrigin.RULE
    assert match.evidence == "description: 'biorefineries'"


def test_evidence_lists_each_field() -> None:
    matches = tag_text(
        "Biorefineries", "Biomass and lignin. " + "Filler words here. " * 20
    )
    bio = next(m for m in matches if m.tag == "bioeconomy")
    assert bio.evidence == "title: 'Biorefineries'; description: 'Biomass', 'lignin'"


def _call(**fields: object) -> FundingCall:
    base = {
        "source": "pl_ncbr",
        "source_id": "/web/ncbr/x",
        "title": "Konkurs",
        "url": "https://www.gov.pl/web/ncbr/x",
        "funder": "NCBR",
        "language": "pl",
    }
    return FundingCall(**{**base, **fields})  # type: ignore[arg-type]


def test_facets_from_source_metadata() -> None:
    call = _call(
        applicant_types=[ApplicantType.SME, ApplicantType.CONSORTIUM],
        instrument=Instrument.LOAN,
        programme_codes=["FENG", "FENG.01.01"],
    )
    tags = {str(m.tag): m for m in tag_call(call)}
    assert {"applicant:sme", "applicant:consortium", "instrument:loan"} <= set(tags)
    assert {"geo:pl", "origin:eu"} <= set(tags)
    assert tags["applicant:sme"].origin is TagOrigin.SOURCE
    assert tags["origin:eu"].evidence == "programme: FENG"


def test_the_source_s_own_applicants_win_over_the_text() -> None:
    call = _call(
        title="Dla MŚP i uczelni",
        applicant_types=[ApplicantType.UNIVERSITY],
    )
    tags = {str(m.tag) for m in tag_call(call)}
    assert "applicant:university" in tags and "applicant:sme" not in tags


def test_applicants_and_instrument_from_text_when_the_source_is_silent() -> None:
    tags = {str(m.tag) for m in tag_call(_call(title="Pożyczki dla MŚP"))}
    assert {"applicant:sme", "instrument:loan"} <= tags


def test_the_other_sector_rule_is_for_domains_not_facets() -> None:
    call = _call(title="Magazyny energii", description="Nabór dla MŚP.")
    assert "applicant:sme" in {str(m.tag) for m in tag_call(call)}


def test_geography_and_origin_of_a_regional_call() -> None:
    call = _call(
        source="pl_fe_lubelskie",
        source_id="FELU.01.03-IP.01-001/26",
        programme_codes=["FELU", "FELU.01.03"],
    )
    tags = {str(m.tag) for m in tag_call(call)}
    assert {"geo:pl", "geo:lubelskie", "origin:eu", "origin:regional"} <= tags


def test_polish_sources_default_to_national_money() -> None:
    call = _call(source="pl_ncn", source_id="OPUS 30")
    matches = {str(m.tag): m for m in tag_call(call)}
    assert "origin:national" in matches
    eu = _call(programme_codes=["FENG"])
    assert "origin:national" not in {str(m.tag) for m in tag_call(eu)}


def test_feed_default_tags_in_keywords_are_source_tags() -> None:
    call = _call(source="eu_interreg_baltic", keywords=["environment"])
    env = next(m for m in tag_call(call) if m.tag == "environment")
    assert (env.origin, env.evidence) == (TagOrigin.SOURCE, "keywords: environment")


def test_a_stored_call_is_read_by_its_natural_key() -> None:
    class Source:
        slug = "eu_ft_portal"

    class Stored:
        source = Source()
        source_id = 7  # the foreign key, not a programme code
        source_key = "HORIZON-HLTH-2026-01-DISEASE-07"
        title = "A call"
        language = "en"
        programme_codes = ["43108390"]
        keywords: list[str] = []
        applicant_types = ["sme"]
        description = None
        instrument = "grant"
        call_identifier = None

    text = call_text(Stored())
    assert text.codes[0] == "HORIZON-HLTH-2026-01-DISEASE-07"
    assert "7" not in text.codes and text.source == "eu_ft_portal"
    assert "health" in {str(m.tag) for m in tag_call(Stored())}


def test_english_calls_are_not_read_as_polish() -> None:
    # "lek" would be a Polish drug; in an English call it is just a word.
    english = CallText("Lek and the team", language="en")
    assert default_tagger().tag(english) == []


def test_tags_are_ordered_domains_first() -> None:
    matches = tag_call(_call(title="Szczepionki", applicant_types=[ApplicantType.SME]))
    kinds = [str(m.tag).split(":")[0].split("/")[0] for m in matches]
    assert kinds.index("pharma") < kinds.index("applicant")
    assert str(matches[0].tag) == "pharma"


def test_relevance_needs_a_domain() -> None:
    assert relevance_score([]) == 0.0
    only_facets = [TagMatch("geo:pl", TagOrigin.SOURCE, "source: pl_ncbr", 0.9)]
    assert relevance_score(only_facets) == 0.0


def test_relevance_rewards_strong_evidence_more_domains_and_the_region() -> None:
    weak = tag_text("Call", "Filler words here. " * 20 + "Biomass and lignin.")
    strong = tag_text("Biorefineries and biomass valorisation")
    source = tag_text("Call", codes=["HORIZON-JU-CBE-2026-IA-01"])
    assert 0 < relevance_score(weak) < relevance_score(strong) < 1
    assert relevance_score(source) == pytest.approx(0.9)
    both = tag_text("Biomass for crop farming")
    assert relevance_score(both) > relevance_score(tag_text("Biomass"))
    region = [*strong, TagMatch("geo:lubelskie", TagOrigin.SOURCE, "x", 0.9)]
    assert relevance_score(region) > relevance_score(strong)
    assert all(0 <= relevance_score(m) <= 1 for m in (weak, strong, source, region))


def test_tagging_is_fast_once_loaded() -> None:
    tag_text("Rozgrzewka", "wczytanie tablic")  # loads both stemmers once
    text = "Biotechnologia i biogospodarka w rolnictwie. " * 40
    start = datetime.now(UTC)
    for _ in range(50):
        tag_text("Konkurs dla MŚP", text)
    assert (datetime.now(UTC) - start).total_seconds() < 5
