""".env.example lists every setting with its default and help; settings validate."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from tracker.config import Settings, load_settings

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def _unquote(value: str) -> str:
    # Values with spaces or shell characters are written in double quotes.
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse_env_example(path: Path = ENV_EXAMPLE) -> dict[str, tuple[str, str | None]]:
    """NAME -> (value, comment line right above it or None); commented lines skipped."""
    entries: dict[str, tuple[str, str | None]] = {}
    previous: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            name, value = match.groups()
            assert name not in entries, f"{name} is listed twice"
            comment = previous[1:].strip() if previous and previous[0] == "#" else None
            entries[name] = (_unquote(value), comment)
        previous = line
    return entries


def test_every_setting_and_nothing_else_is_listed() -> None:
    names = {f.name for f in fields(Settings)}
    assert set(parse_env_example()) == names


def test_defaults_match() -> None:
    listed = parse_env_example()
    for f in fields(Settings):
        assert listed[f.name][0] == f.default, f.name


def test_help_text_is_the_comment_above_each_variable() -> None:
    listed = parse_env_example()
    for f in fields(Settings):
        assert listed[f.name][1] == f.metadata["help"], f.name


def test_the_file_as_written_loads_to_the_defaults() -> None:
    values = {name: value for name, (value, _) in parse_env_example().items()}
    assert load_settings(values) == Settings()


def test_unknown_smtp_tls_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="SMTP_TLS must be one of none, starttls, tls"):
        load_settings({"SMTP_TLS": "ssl"})


def test_non_numeric_smtp_port_is_rejected() -> None:
    with pytest.raises(ValueError, match="SMTP_PORT"):
        load_settings({"SMTP_PORT": "smtp"})
