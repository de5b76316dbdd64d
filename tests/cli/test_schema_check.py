"""Commands that need the database say so clearly when it is not migrated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _grants(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unmigrated_database_is_refused_with_advice(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    done = _grants("members", "list", db=db)
    assert done.returncode == 1
    assert "run `grants db upgrade` first" in done.stderr
    assert "Traceback" not in done.stderr


def test_after_upgrade_the_command_runs(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    assert _grants("db", "upgrade", db=db).returncode == 0
    done = _grants("members", "list", db=db)
    assert done.returncode == 0, done.stderr
