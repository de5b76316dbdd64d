"""The taxonomy file: its shape, and that mistakes in it are clear errors."""

from __future__ import annotations

import tomllib
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from tests.factories import NOW, funding_call
from tracker.cli.tags import tags
from tracker.models import Call, CallTag
from tracker.storage import ensure_source, upsert_call
from tracker.tagging import CallText, Tagger, default_tagger
from tracker.tagging.local_rules import accept, read_rules
from tracker.tagging.stemming import words
from tracker.tagging.suggest import Decision, as_local_rules, load_decisions, suggest
from tracker.tagging.taxonomy import (
    MAIN,
    TaxonomyError,
    default_taxonomy,
    load_taxonomy,
    merge,
    parse_taxonomy,
)
from tracker.vocab import ApplicantType, Domain, Instrument, TagOrigin


def _minimal() -> dict[str, Any]:
    """Six domains, nothing else: the smallest valid taxonomy."""
    return {
        "domain": [
            {"id": d.value, "label_pl": d.value, "label_en": d.value, "en": [d.value]}
            for d in Domain
        ]
    }


def _error(data: dict[str, Any], local: bool = False) -> str:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(data, "test.toml", local)
    return str(caught.value)


# --- the shipped file ---------------------------------------------------------


def test_the_shipped_taxonomy_has_the_six_domains_by_name() -> None:
    taxonomy = default_taxonomy()
    assert [e.tag for e in taxonomy.of_kind("domain")] == [d.value for d in Domain]


def test_every_entry_is_bilingual() -> None:
    for entry in default_taxonomy().entries:
        assert entry.label_pl and entry.label_en, entry.tag
        if entry.kind in ("domain", "subtopic"):
            assert (entry.en and entry.pl) or entry.codes, entry.tag
    for entry in default_taxonomy().of_kind("domain"):
        assert entry.en and entry.pl, entry.tag


def test_subtopics_named_by_the_issue_exist_under_a_domain() -> None:
    tags = {e.tag for e in default_taxonomy().of_kind("subtopic")}
    assert {
        "biotech/genomics",
        "health/clinical-research",
        "health/medical-devices",
        "health/diagnostics",
        "pharma/vaccines",
        "pharma/antimicrobials",
        "agrifood/food-safety",
        "agrifood/plant-health",
        "bioeconomy/bio-based-materials",
        "environment/circular-economy",
        "environment/biodiversity",
        "environment/water",
    } <= tags
    assert all(tag.split("/")[0] in {d.value for d in Domain} for tag in tags)


def test_facets_cover_the_closed_vocabularies() -> None:
    taxonomy = default_taxonomy()
    ids = {kind: {e.id for e in taxonomy.of_kind(kind)} for kind in ("applicant",)}
    assert ids["applicant"] == {a.value for a in ApplicantType}
    instruments = {e.id for e in taxonomy.of_kind("instrument")}
    assert instruments == {i.value for i in Instrument}
    assert {e.tag for e in taxonomy.of_kind("geo")} == {
        "geo:eu",
        "geo:pl",
        "geo:lubelskie",
    }
    assert {e.tag for e in taxonomy.of_kind("origin")} == {
        "origin:eu",
        "origin:national",
        "origin:regional",
    }


def test_tags_fit_the_database_column() -> None:
    assert all(len(e.tag) <= 64 for e in default_taxonomy().entries)


def test_every_term_has_words() -> None:
    for entry in default_taxonomy().entries:
        for language in ("en", "pl"):
            for weak in (False, True):
                for term in entry.terms(language, weak):
                    assert words(term), (entry.tag, term)


def test_the_taxonomy_is_loaded_once() -> None:
    assert default_taxonomy() is default_taxonomy()


def test_the_shipped_file_parses_as_plain_toml() -> None:
    data = tomllib.loads(MAIN.read_text(encoding="utf-8"))
    tables = {"scoring", "ignore", "sectors", "domain", "subtopic", *_FACET_TABLES}
    assert set(data) <= tables


_FACET_TABLES = ("applicant", "instrument", "geo", "origin")


# --- validation ---------------------------------------------------------------


def test_a_minimal_taxonomy_is_valid() -> None:
    taxonomy = parse_taxonomy(_minimal(), "test.toml")
    assert len(taxonomy.entries) == 6


def test_unknown_top_level_key_is_an_error() -> None:
    message = _error({**_minimal(), "domians": []})
    assert "unknown key(s) domians" in message and "test.toml" in message


def test_unknown_entry_key_names_the_entry() -> None:
    data = _minimal()
    data["domain"][1]["term_en"] = ["typo"]
    message = _error(data)
    assert "domain 'health'" in message and "term_en" in message


def test_duplicate_ids_are_an_error() -> None:
    data = _minimal()
    data["domain"].append(dict(data["domain"][0]))
    assert "duplicate domain id 'biotech'" in _error(data)


def test_a_missing_domain_is_an_error() -> None:
    data = _minimal()
    data["domain"].pop()
    assert "domains missing: environment" in _error(data)


def test_an_unknown_domain_is_an_error() -> None:
    data = _minimal()
    data["domain"].append({"id": "energy", "label_pl": "E", "label_en": "E"})
    assert "unknown domain id 'energy'" in _error(data)


def test_a_subtopic_without_a_parent_is_an_error() -> None:
    data = {**_minimal(), "subtopic": [{"id": "vaccines", "label_pl": "S"}]}
    data["subtopic"][0]["label_en"] = "Vaccines"
    assert "subtopic 'vaccines': parent" in _error(data)


def test_a_subtopic_with_an_unknown_parent_is_an_error() -> None:
    sub = {"id": "x", "label_pl": "X", "label_en": "X", "parent": "energy"}
    assert "has no parent domain 'energy'" in _error({**_minimal(), "subtopic": [sub]})


def test_facet_ids_are_closed_vocabularies() -> None:
    facet = {"id": "startup", "label_pl": "S", "label_en": "S"}
    assert "unknown applicant id 'startup'" in _error(
        {**_minimal(), "applicant": [facet]}
    )


def test_labels_and_list_types_are_checked() -> None:
    data = _minimal()
    data["domain"][0]["label_pl"] = ""
    assert "label_pl: a non-empty string is required" in _error(data)
    data = _minimal()
    data["domain"][0]["en"] = "biotech"
    assert "en: must be a list of strings" in _error(data)
    data = _minimal()
    data["domain"][0]["pl"] = ["!!"]
    assert "has no words" in _error(data)


def test_scoring_is_checked() -> None:
    assert "unknown key(s) treshold" in _error(
        {**_minimal(), "scoring": {"treshold": 1}}
    )
    bad = {**_minimal(), "scoring": {"threshold": -1}}
    assert "must be a number >= 0" in _error(bad)


def test_an_array_of_tables_is_required() -> None:
    assert "array of tables" in _error({**_minimal(), "geo": {"id": "eu"}})


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_text("[[domain]\nid = 1", encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"^taxonomy\.toml: "):
        load_taxonomy(path)


# --- local rules on top -------------------------------------------------------


def test_local_rules_add_terms_and_subtopics(tmp_path: Path) -> None:
    local = tmp_path / "taxonomy_local.toml"
    local.write_text(
        '[[domain]]\nid = "health"\nen = ["telehealth"]\n\n'
        '[[subtopic]]\nid = "probiotics"\nparent = "biotech"\n'
        'label_pl = "Probiotyki"\nlabel_en = "Probiotics"\nen = ["probiotics"]\n\n'
        '[ignore]\nen = ["health warning"]\n',
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(MAIN, local)
    entries = taxonomy.by_tag()
    assert "telehealth" in entries["health"].en
    assert "health care" in entries["health"].en  # the main terms stay
    assert entries["biotech/probiotics"].domains == ("biotech",)
    assert "health warning" in taxonomy.ignore["en"]
    assert taxonomy.scoring == default_taxonomy().scoring


def test_local_rules_cannot_invent_domains_facets_or_scoring() -> None:
    base = parse_taxonomy(_minimal(), "main.toml")
    geo = {"geo": [{"id": "eu"}]}
    with pytest.raises(TaxonomyError, match="local rules: no geo 'eu'"):
        merge(base, parse_taxonomy(geo, "local.toml", local=True))
    assert "unknown key(s) scoring" in _error({"scoring": {}}, local=True)


# --- suggestions from coordinators' decisions ---------------------------------


def _store(session: Session, key: str, title: str, **tags: str) -> Call:
    """A stored call; `tags` maps a tag to "added" or "removed" by a coordinator."""
    source = ensure_source(session, "eu_test", "Test", "EC", "https://example.org")
    item = funding_call(source_id=key, title=title, description=None)
    call = upsert_call(session, source, item, NOW).call
    for tag, what in tags.items():
        existing = next((t for t in call.tags if t.tag == tag), None)
        if what == "removed":
            assert existing is not None, (title, tag)
            existing.suppressed = True
        else:
            call.tags.append(CallTag(tag=tag, origin=TagOrigin.COORDINATOR))
    session.flush()
    return call


def _decisions(session: Session) -> list[Decision]:
    _store(session, "T-1", "Telecare hubs for remote villages", health="added")
    _store(session, "T-2", "Telecare at home for the elderly", health="added")
    _store(session, "T-3", "Telecare services in small towns", health="added")
    _store(session, "T-4", "Telecare billing software")
    _store(session, "W-1", "Digital passports for medical waste", health="removed")
    _store(session, "W-2", "Tracking medical waste shipments", health="removed")
    _store(session, "M-1", "Medical imaging for children")
    return load_decisions(session)


def test_decisions_are_read_from_the_stored_tags(db_session: Session) -> None:
    decisions = {d.key: d for d in _decisions(db_session)}
    assert decisions["eu_test:T-1"].added == {"health"}
    assert decisions["eu_test:W-1"].removed == {"health"}
    assert "health" in decisions["eu_test:M-1"].kept


def test_suggestions_add_missed_terms_and_ignore_wrong_contexts(
    db_session: Session,
) -> None:
    decisions = _decisions(db_session)
    found = suggest(default_tagger(), decisions)
    adds = {s.phrase: s for s in found if s.action == "add"}
    assert (adds["telecare"].support, adds["telecare"].against) == (3, 1)
    assert "telecare hubs" not in adds  # one call only
    assert {s.tag for s in found} == {"health"}
    (ignore,) = [s for s in found if s.action == "ignore"]
    assert (ignore.phrase, ignore.support, ignore.against) == ("medical waste", 2, 0)
    strict = suggest(default_tagger(), decisions, min_precision=0.8)
    assert "telecare" not in {s.phrase for s in strict}


def test_accepted_suggestions_change_the_tagging(
    db_session: Session, tmp_path: Path
) -> None:
    tagger = default_tagger()
    rules = as_local_rules(tagger, suggest(tagger, _decisions(db_session)))
    local = tmp_path / "taxonomy_local.toml"
    accept(local, rules)
    accept(local, rules)  # accepting twice adds nothing twice
    assert read_rules(local) == rules
    improved = Tagger(load_taxonomy(MAIN, local))
    telecare = CallText("Telecare in the Alps", language="en")
    waste = CallText("Medical waste incinerators", language="en")
    assert "health" not in {str(m.tag) for m in tagger.tag(telecare)}
    assert "health" in {str(m.tag) for m in improved.tag(telecare)}
    assert "health" in {str(m.tag) for m in tagger.tag(waste)}
    assert "health" not in {str(m.tag) for m in improved.tag(waste)}


def test_suggest_command_prints_and_accepts(
    db_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _decisions(db_session)
    local = tmp_path / "taxonomy_local.toml"
    monkeypatch.setattr("tracker.db.check_schema", lambda: None)
    monkeypatch.setattr(
        "tracker.db.session_factory", lambda: lambda: nullcontext(db_session)
    )
    monkeypatch.setattr("tracker.cli.tags.LOCAL", local)
    result = CliRunner().invoke(tags, ["suggest"])
    assert result.exit_code == 0, result.output
    assert "health: add 'telecare' (en): 3 call(s) agree, 1 against" in result.output
    assert '[ignore]\nen = ["medical waste"' in result.output
    assert not local.exists()
    result = CliRunner().invoke(tags, ["suggest", "--accept"])
    assert result.exit_code == 0, result.output
    assert 'en = ["telecare"]' in local.read_text(encoding="utf-8")
