"""`grants tags`: measure the tagger on the hand-made labels; suggest rules."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.eval import evaluate as ev
from tracker.eval.corpus import DEFAULT_SHARED, SharedMissing
from tracker.eval.labels import HELDOUT, TUNE
from tracker.tagging import Tagger, default_tagger
from tracker.tagging import suggest as sg
from tracker.tagging.local_rules import accept
from tracker.tagging.taxonomy import LOCAL, MAIN, TaxonomyError, load_taxonomy

_TITLES = {
    HELDOUT: "HELD-OUT split (never looked at while tuning): the figures that count",
    TUNE: "TUNING split (the taxonomy was adjusted on its errors; optimistic)",
    "all": "ALL labels (tuning and held-out together)",
}


@click.group()
def tags() -> None:
    """The tagger: its quality on the labelled calls, and rule suggestions."""


@tags.command()
@click.option(
    "--split",
    type=click.Choice([HELDOUT, TUNE, "all"]),
    help="Report one split only (default: held-out, then tuning).",
)
@click.option(
    "--errors",
    is_flag=True,
    help="List the wrong calls (tuning split only: held-out misses stay unseen).",
)
@click.option(
    "--shared",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_SHARED,
    show_default=True,
    help="The shared folder holding fixtures/eu_topics_corpus.",
)
@click.option("--no-local", is_flag=True, help="Ignore tracker/taxonomy_local.toml.")
def evaluate(split: str | None, errors: bool, shared: Path, no_local: bool) -> None:
    """Precision and recall per domain and for "relevant" on the labelled calls."""
    if errors and split != TUNE:
        raise click.UsageError(
            "--errors needs --split tune: looking at held-out errors would tune "
            "the taxonomy on the calls that measure it"
        )
    if not shared.is_dir():
        raise click.ClickException(
            f"{shared} is missing: the evaluation reads the labelled calls from "
            "../shared/fixtures (give --shared PATH)"
        )
    tagger = _main_tagger() if no_local else default_tagger()
    try:
        dataset = ev.load_dataset(shared)
    except SharedMissing as exc:
        raise click.ClickException(str(exc)) from None
    for name in [split] if split else [HELDOUT, TUNE]:
        report = ev.evaluate(dataset, tagger, None if name == "all" else name)
        click.echo("\n".join(ev.format_report(report, _TITLES[name])))
        if errors:
            click.echo("\n".join(["", "Errors:", *ev.format_errors(report)]))
        click.echo()
    if LOCAL.exists() and not no_local:
        click.echo(_local_effect(dataset, tagger))
    for reason, ids in dataset.skipped.items():
        click.echo(f"skipped {len(ids)} labelled call(s): {reason}", err=True)


def _local_effect(dataset: ev.Dataset, tagger: Tagger) -> str:
    """Whether the accepted local rules help, on the tuning split only."""
    with_local = ev.evaluate(dataset, tagger, TUNE).counts()[ev.RELEVANT]
    without = ev.evaluate(dataset, _main_tagger(), TUNE).counts()[ev.RELEVANT]
    return (
        f"Local rules ({LOCAL.name}) on the tuning split, relevant: precision "
        f"{ev.ratio(without.precision)} -> {ev.ratio(with_local.precision)}, "
        f"recall {ev.ratio(without.recall)} -> {ev.ratio(with_local.recall)}"
    )


def _main_tagger() -> Tagger:
    try:
        return Tagger(load_taxonomy(MAIN))
    except TaxonomyError as exc:
        raise click.ClickException(str(exc)) from None


@tags.command()
@click.option("--min-support", default=2, show_default=True, help="Calls needed.")
@click.option(
    "--min-precision",
    default=0.7,
    show_default=True,
    help="Share of the calls with the phrase where the decision agrees.",
)
@click.option("--accept", "write", is_flag=True, help=f"Add them to {LOCAL.name}.")
def suggest(min_support: int, min_precision: float, write: bool) -> None:
    """Propose rules from tags coordinators added (missed) or removed (wrong)."""
    from tracker.db import SchemaNotReady, check_schema, session_factory

    try:
        check_schema()
    except SchemaNotReady as exc:
        raise click.ClickException(str(exc)) from exc
    with session_factory()() as session:
        decisions = sg.load_decisions(session)
    tagger = default_tagger()
    found = sg.suggest(tagger, decisions, min_support, min_precision)
    if not found:
        click.echo("no suggestions: too few coordinator decisions agree on a rule")
        return
    for item in found:
        click.echo(
            f"{item.tag}: {item.action} {item.phrase!r} ({item.language}): "
            f"{item.support} call(s) agree, {item.against} against; "
            f"e.g. {', '.join(item.examples)}"
        )
    rules = sg.as_local_rules(tagger, found)
    if write:
        accept(LOCAL, rules)
        click.echo(f"added to {LOCAL}; check: grants tags evaluate --split tune")
    else:
        click.echo(f"\n# to accept, add to {LOCAL.name} (or rerun with --accept):")
        click.echo(rules.to_toml())
