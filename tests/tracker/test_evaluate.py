"""The tagger's evaluation on the hand-made labels: split, metrics, command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli.tags import tags
from tracker.eval.corpus import record_text
from tracker.eval.evaluate import (
    RELEVANT,
    Count,
    Dataset,
    evaluate,
    format_errors,
    format_report,
    load_dataset,
)
from tracker.eval.labels import (
    HELDOUT,
    TUNE,
    Label,
    LabelError,
    load_labels,
    split_of,
)
from tracker.tagging import CallText, Tagger, default_tagger
from tracker.tagging.taxonomy import MAIN, load_taxonomy


def _label(ident: str, *domains: str) -> Label:
    return Label(ident, "", frozenset(domains), "")


# --- labels and the split -----------------------------------------------------


def test_the_split_is_fixed_by_the_id() -> None:
    assert split_of("50129698TOPICSen") == HELDOUT
    assert split_of("pl_ncbr:harmonogram:agrostrateg-ii") == TUNE
    assert [split_of(x) for x in "abc"] == [TUNE, HELDOUT, TUNE]


def test_the_shipped_labels_load_and_a_third_is_held_out() -> None:
    labels = load_labels()
    assert len(labels) >= 386
    held = sum(label.split == HELDOUT for label in labels)
    assert 0.28 < held / len(labels) < 0.38
    assert sum(label.is_polish for label in labels) >= 16


def test_malformed_labels_are_errors(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,domains\nx,health\n", encoding="utf-8")
    with pytest.raises(LabelError, match="header must be"):
        load_labels(tmp_path)
    (tmp_path / "a.csv").write_text(
        "id,identifier,domains,notes\nx,,energy,\n", encoding="utf-8"
    )
    with pytest.raises(LabelError, match=r"a\.csv:2: unknown domain\(s\) energy"):
        load_labels(tmp_path)
    (tmp_path / "a.csv").write_text(
        "id,identifier,domains,notes\nx,,health,\nx,,,\n", encoding="utf-8"
    )
    with pytest.raises(LabelError, match="duplicate id 'x'"):
        load_labels(tmp_path)


# --- metrics ------------------------------------------------------------------


def test_counts_give_precision_and_recall() -> None:
    count = Count()
    for expected, predicted in [(1, 1), (1, 1), (0, 1), (1, 0), (0, 0)]:
        count.add(bool(expected), bool(predicted))
    assert (count.tp, count.fp, count.fn) == (2, 1, 1)
    assert count.precision == pytest.approx(2 / 3)
    assert count.recall == pytest.approx(2 / 3)
    assert Count().precision is None and Count().recall is None


def _dataset() -> Dataset:
    calls = [
        (_label("a", "health", "pharma"), CallText("New vaccines for patients")),
        (_label("c", "agrifood"), CallText("Power grid operators")),
        (_label("b"), CallText("Organic farming in rural areas")),
        (_label("d"), CallText("Cybersecurity of power grids")),
    ]
    return Dataset(calls, {})


def test_evaluate_scores_domains_and_relevance() -> None:
    report = evaluate(_dataset(), default_tagger(), None)
    counts = report.counts()
    assert (counts["pharma"].tp, counts["health"].tp) == (1, 1)
    assert counts["agrifood"].fp == 1 and counts["agrifood"].fn == 1
    relevant = counts[RELEVANT]
    assert (relevant.tp, relevant.fp, relevant.fn) == (1, 1, 1)
    assert [o.label.id for o in report.errors()] == ["c", "b"]


def test_evaluate_keeps_to_its_split() -> None:
    report = evaluate(_dataset(), default_tagger(), HELDOUT)
    assert {o.label.id for o in report.outcomes} == {"b"}


def test_report_and_errors_are_readable() -> None:
    report = evaluate(_dataset(), default_tagger(), None)
    lines = format_report(report, "ALL")
    assert lines[1] == "  4 calls, 2 labelled relevant"
    assert any(line.split()[:1] == ["relevant"] for line in lines)
    errors = "\n".join(format_errors(report))
    assert "b : missed -, extra ['agrifood'] (labels: -)" in errors
    assert "agrifood [rule] title: 'Organic farming'" in errors


# --- corpus records -----------------------------------------------------------


def test_a_corpus_record_reads_like_the_portal_spider_s_call() -> None:
    record = {
        "id": "15342COMPETITIVE_CALLen",
        "identifier": "HORIZON-HLTH-2026-01-DISEASE-07",
        "kind": {"id": "8"},
        "title": "Vaccines for tomorrow",
        "summary": "Open call for SMEs",
        "callTitle": "VAX open call 1",
        "abstract": None,
        "frameworkProgrammes": [{"id": "43108390", "label": "Horizon Europe"}],
        "programmeDivisions": [{"id": "43108628", "label": "Infectious Diseases"}],
    }
    call = record_text(record)
    assert call.title == "VAX open call 1"  # a cascade call goes by its own name
    assert call.description == "Open call for SMEs\n\nVaccines for tomorrow"
    assert call.codes == (
        "HORIZON-HLTH-2026-01-DISEASE-07",
        "43108390",
        "Horizon Europe",
        "43108628",
        "Infectious Diseases",
    )
    assert (call.source, call.language, call.instrument) == (
        "eu_ft_portal",
        "en",
        "cascade",
    )


# --- the command --------------------------------------------------------------


def _run(*args: str) -> object:
    return CliRunner().invoke(tags, ["evaluate", *args])


def test_errors_of_the_held_out_split_are_never_listed() -> None:
    for args in ([], ["--split", HELDOUT], ["--split", "all"]):
        result = _run("--errors", *args)
        assert result.exit_code == 2
        assert "--errors needs --split tune" in result.output


def test_a_missing_shared_folder_is_said_clearly(tmp_path: Path) -> None:
    result = _run("--shared", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert "nowhere is missing" in result.output
    assert "../shared/fixtures" in result.output
    (tmp_path / "empty").mkdir()
    result = _run("--shared", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "no topics corpus" in result.output


def test_evaluate_on_the_real_labels(shared_fixtures: Path) -> None:
    result = _run("--shared", str(shared_fixtures.parent))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("HELD-OUT split") < out.index("TUNING split")
    held, tune = (
        int(n) for n in re.findall(r"^  (\d+) calls, \d+ labelled", out, re.M)
    )
    assert 0.28 < held / (held + tune) < 0.38
    for domain in ("biotech", "health", "pharma", "bioeconomy", "agrifood"):
        assert f"  {domain} " in out
    # The two FE card ids the parser never yields are skipped, and said so.
    assert "skipped 2 labelled call(s)" in result.stderr


def test_tuning_errors_can_be_listed(shared_fixtures: Path) -> None:
    result = _run("--shared", str(shared_fixtures.parent), "--split", TUNE, "--errors")
    assert result.exit_code == 0, result.output
    assert "TUNING split" in result.stdout and "HELD-OUT" not in result.stdout
    assert "Errors:" in result.stdout


def test_polish_calls_come_from_the_spiders_parse(shared_fixtures: Path) -> None:
    dataset = load_dataset(shared_fixtures.parent)
    polish = {label.id: call for label, call in dataset.calls if label.is_polish}
    assert len(polish) == 14
    agro = polish["pl_ncbr:harmonogram:agrostrateg-ii"]
    assert agro.title == "AGROSTRATEG II" and agro.language == "pl"
    assert json.dumps(sorted(dataset.skipped)).count("Polish call") == 1


def test_the_effect_of_local_rules_is_shown_on_the_tuning_split(
    shared_fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "taxonomy_local.toml"
    local.write_text('[[domain]]\nid = "environment"\nen = ["governance"]\n')
    monkeypatch.setattr("tracker.cli.tags.LOCAL", local)
    tagger = Tagger(load_taxonomy(MAIN, local))
    monkeypatch.setattr("tracker.cli.tags.default_tagger", lambda: tagger)
    result = _run("--shared", str(shared_fixtures.parent), "--split", TUNE)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("Local rules"))
    assert "on the tuning split, relevant: precision" in line
    before, after = line.split("precision ")[1].split(",")[0].split(" -> ")
    assert float(after) <= float(before)  # "governance" is no environment word
