"""Precision and recall of the domain tags against the hand-made labels.

Per domain, and for "relevant to the cluster" (a call with any domain). The
held-out split is what the tagger is judged on; the tuning split is reported
too, marked as such, because the taxonomy was adjusted on its errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tracker.eval.corpus import corpus_calls, polish_calls
from tracker.eval.labels import Label, load_labels
from tracker.tagging import DOMAINS, CallText, Tagger, TagMatch
from tracker.vocab import Domain

RELEVANT = "relevant"


@dataclass
class Count:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def add(self, expected: bool, predicted: bool) -> None:
        self.tp += expected and predicted
        self.fp += predicted and not expected
        self.fn += expected and not predicted


@dataclass(frozen=True)
class Outcome:
    """One labelled call: what the labels say, what the tagger said, and why."""

    label: Label
    call: CallText
    predicted: frozenset[str]
    matches: tuple[TagMatch, ...]

    @property
    def correct(self) -> bool:
        return self.predicted == self.label.domains


@dataclass
class Report:
    split: str
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self) -> dict[str, Count]:
        counts = {name: Count() for name in (*(d.value for d in Domain), RELEVANT)}
        for outcome in self.outcomes:
            expected, predicted = outcome.label.domains, outcome.predicted
            for domain in Domain:
                counts[domain.value].add(domain in expected, domain in predicted)
            counts[RELEVANT].add(bool(expected), bool(predicted))
        return counts

    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct]


@dataclass
class Dataset:
    """The labelled calls that could be read, and those that could not."""

    calls: list[tuple[Label, CallText]]
    skipped: dict[str, list[str]]  # reason -> label ids


def load_dataset(shared: Path, labels: Iterable[Label] | None = None) -> Dataset:
    labels = list(load_labels() if labels is None else labels)
    texts = corpus_calls(shared)
    slugs = {label.id.split(":", 1)[0] for label in labels if label.is_polish}
    polish, problems = polish_calls(shared, slugs)
    texts.update(polish)
    skipped: dict[str, list[str]] = {f"capture unreadable: {p}": [] for p in problems}
    calls = []
    for label in labels:
        if label.id in texts:
            calls.append((label, texts[label.id]))
        else:
            kind = "Polish call not in the spiders' parse" if label.is_polish else None
            skipped.setdefault(kind or "not in the corpus", []).append(label.id)
    return Dataset(calls, skipped)


def evaluate(dataset: Dataset, tagger: Tagger, split: str | None) -> Report:
    """Tag every call of `split` (None: all) and compare with its labels."""
    report = Report(split or "all")
    for label, call in dataset.calls:
        if split is not None and label.split != split:
            continue
        matches = tuple(tagger.tag(call))
        predicted = frozenset(str(m.tag) for m in matches if m.tag in DOMAINS)
        report.outcomes.append(Outcome(label, call, predicted, matches))
    return report


def format_report(report: Report, title: str) -> list[str]:
    relevant = sum(bool(o.label.domains) for o in report.outcomes)
    lines = [
        title,
        f"  {len(report.outcomes)} calls, {relevant} labelled relevant",
        f"  {'':<12}{'labelled':>9}{'tagged':>8}{'correct':>8}"
        f"{'precision':>11}{'recall':>8}",
    ]
    for name, count in report.counts().items():
        if name == RELEVANT:
            lines.append("  " + "-" * 54)
        lines.append(
            f"  {name:<12}{count.tp + count.fn:>9}{count.tp + count.fp:>8}"
            f"{count.tp:>8}{ratio(count.precision):>11}{ratio(count.recall):>8}"
        )
    return lines


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_errors(report: Report) -> list[str]:
    """Each wrong call: labels vs tags, the title, and the evidence of each tag."""
    lines = []
    for outcome in report.errors():
        label = outcome.label
        missed = sorted(label.domains - outcome.predicted)
        extra = sorted(outcome.predicted - label.domains)
        lines.append(
            f"{label.id} {label.identifier}: missed {missed or '-'}, "
            f"extra {extra or '-'} (labels: {' '.join(sorted(label.domains)) or '-'})"
        )
        lines.append(f"    title: {outcome.call.title}")
        if label.notes:
            lines.append(f"    notes: {label.notes}")
        for match in outcome.matches:
            if match.tag in DOMAINS:
                lines.append(f"    {match.tag} [{match.origin}] {match.evidence}")
    return lines
