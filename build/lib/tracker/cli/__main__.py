"""`python -m tracker.cli` runs the `grants` command line."""

from tracker.cli import cli

cli()
