"""`pathway db init`, the refusal to start a fresh database in the wrong folder, and pathway.toml errors, as subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Result


def run(home: Path, *args: str) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    proc = subprocess.run([sys.executable, "-m", "pathway", *args], cwd=home, env=env,
                          capture_output=True, text=True, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def test_wrong_folder_refuses_then_db_init_creates_on_purpose(tmp_path: Path) -> None:
    """In an empty folder `deadlines check` exits 2 creating nothing; `db init` creates the database; then the check runs."""
    refused = run(tmp_path, "deadlines", "check")
    assert refused.code == 2 and refused.stderr.count("\n") == 1
    assert "no workflows folder 'workflows' and no settings file 'pathway.toml'" in refused.stderr
    assert not (tmp_path / "pathway.db").exists()
    created = run(tmp_path, "db", "init")
    assert created.code == 0 and created.stdout.strip() == "created database sqlite:///pathway.db at revision " \
        + created.stdout.strip().rsplit(" ", 1)[-1]
    assert (tmp_path / "pathway.db").exists()
    again = run(tmp_path, "db", "init")
    assert again.code == 0 and "already exists" in again.stdout
    assert run(tmp_path, "deadlines", "check").code == 0


def test_unknown_setting_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    """A misspelt key in pathway.toml: exit 2, one line, FILE:LINE and the closest valid key, no traceback."""
    (tmp_path / "pathway.toml").write_text('log_level = "info"\nnotify_outbx = "out.jsonl"\n', encoding="utf-8")
    result = run(tmp_path, "participant", "list")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: pathway.toml:2: unknown setting 'notify_outbx'; did you mean 'notify_outbox'?")
    assert result.stderr.count("\n") == 1
