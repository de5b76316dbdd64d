"""tracker/taxonomy_local.toml: the rules coordinators accepted, read and written.

Only what `merge` in taxonomy.py accepts is written: extra terms for known
domains, sub-topics and facets, and phrases to ignore. The file stays small and
plain, so a coordinator can read, edit or delete any rule by hand.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tracker.tagging.taxonomy import KINDS

_HEADER = (
    "# Rules accepted from `grants tags suggest`, read on top of taxonomy.toml.\n"
    "# Check their effect with `grants tags evaluate --split tune` (and --no-local).\n"
)


@dataclass
class LocalRules:
    # (kind, id) -> language -> terms
    terms: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    ignore: dict[str, list[str]] = field(default_factory=dict)

    def add_term(self, kind: str, ident: str, language: str, term: str) -> None:
        found = self.terms.setdefault((kind, ident), {}).setdefault(language, [])
        if term not in found:
            found.append(term)

    def add_ignore(self, language: str, phrase: str) -> None:
        found = self.ignore.setdefault(language, [])
        if phrase not in found:
            found.append(phrase)

    def update(self, other: LocalRules) -> None:
        for (kind, ident), by_language in other.terms.items():
            for language, terms in by_language.items():
                for term in terms:
                    self.add_term(kind, ident, language, term)
        for language, phrases in other.ignore.items():
            for phrase in phrases:
                self.add_ignore(language, phrase)

    def to_toml(self) -> str:
        lines = [_HEADER]
        for (kind, ident), by_language in self.terms.items():
            lines += ["", f"[[{kind}]]", f"id = {_string(ident)}"]
            lines += [f"{lang} = {_strings(t)}" for lang, t in by_language.items()]
        if self.ignore:
            lines += ["", "[ignore]"]
            lines += [f"{lang} = {_strings(p)}" for lang, p in self.ignore.items()]
        return "\n".join(lines) + "\n"


def read_rules(path: Path) -> LocalRules:
    """The rules in `path` (terms in en/pl lists and ignore phrases only)."""
    rules = LocalRules()
    if not path.exists():
        return rules
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for kind in KINDS:
        for table in data.get(kind, []):
            for language in ("en", "pl"):
                for term in table.get(language, []):
                    rules.add_term(kind, table["id"], language, term)
    for language, phrases in data.get("ignore", {}).items():
        for phrase in phrases:
            rules.add_ignore(language, phrase)
    return rules


def accept(path: Path, new: LocalRules) -> LocalRules:
    """Add `new` to the rules in `path`, keeping the ones already there."""
    rules = read_rules(path)
    rules.update(new)
    path.write_text(rules.to_toml(), encoding="utf-8")
    return rules


def _string(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(value, ensure_ascii=False)


def _strings(values: list[str]) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"
