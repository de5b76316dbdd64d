"""The hand-made labels and their fixed split into a tuning and a held-out part.

The labels (labels/*.csv: id, identifier, domains, notes) are read-only data.
A third of them, chosen by the SHA-1 of the id, is held out: the taxonomy is
tuned by looking at the other part's errors only, so the held-out figures say
how the tagger does on calls nobody tuned it on.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from tracker.vocab import Domain

LABELS_DIR = Path(__file__).resolve().parent / "labels"
TUNE = "tune"
HELDOUT = "heldout"
SPLITS = (HELDOUT, TUNE)
_HEADER = ["id", "identifier", "domains", "notes"]


class LabelError(ValueError):
    """A label file is malformed; the message says where."""


@dataclass(frozen=True)
class Label:
    id: str
    identifier: str
    domains: frozenset[str]
    notes: str

    @property
    def split(self) -> str:
        return split_of(self.id)

    @property
    def is_polish(self) -> bool:
        """Polish calls are `<slug>:<key>`; corpus records have no colon."""
        return self.id.startswith("pl_") and ":" in self.id


def split_of(label_id: str) -> str:
    """`heldout` for a third of the ids, `tune` for the rest; never changes."""
    digest = hashlib.sha1(label_id.encode("utf-8")).digest()
    return HELDOUT if int.from_bytes(digest, "big") % 3 == 0 else TUNE


def load_labels(directory: Path = LABELS_DIR) -> list[Label]:
    """Every label in `directory`'s CSV files; a duplicate id is an error."""
    labels: dict[str, Label] = {}
    known = {d.value for d in Domain}
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != _HEADER:
                raise LabelError(f"{path.name}: header must be {','.join(_HEADER)}")
            for line, row in enumerate(reader, start=2):
                label = _label(row, known, f"{path.name}:{line}")
                if label.id in labels:
                    raise LabelError(f"{path.name}:{line}: duplicate id {label.id!r}")
                labels[label.id] = label
    return list(labels.values())


def _label(row: dict[str, str], known: set[str], where: str) -> Label:
    domains = frozenset((row["domains"] or "").split())
    if unknown := domains - known:
        raise LabelError(f"{where}: unknown domain(s) {', '.join(sorted(unknown))}")
    return Label(row["id"], row["identifier"] or "", domains, row["notes"] or "")
