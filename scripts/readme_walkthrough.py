#!/usr/bin/env python
"""Run the README's caseworker walkthrough and print it as the README shows it.

Used two ways: `python scripts/readme_walkthrough.py > /tmp/walk.md` to refresh the README block
by hand, and by tests/e2e/test_readme_walkthrough.py to prove the README still tells the truth.
Every command runs in a fresh temporary folder with the shipped workflows and its own SQLite file.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: The walkthrough: a Kraft participant is referred, the inclusion criteria are recorded, the
#: participant starts the motivation phase, and a decision taken on Wednesday is recorded on Thursday.
COMMANDS = [
    "pathway workflow validate workflows/kraft.yaml workflows/flen_tripartite.yaml",
    "pathway --now 2026-03-02T09:00 participant enrol kraft --ref LU-2026-014 --attr gender=female "
    "--attr birth_date=1985-04-02 --attr referring_agency=soc",
    "pathway --now 2026-03-04T10:00 participant fire LU-2026-014 assess",
    "pathway --now 2026-03-04T10:00 participant fire LU-2026-014 include",
    "pathway --now 2026-03-04T10:00 participant set LU-2026-014 income_source=social_assistance "
    "stable_social_situation=true no_ongoing_substance_abuse=true stable_housing=true swedish_without_interpreter=true",
    "pathway --now 2026-03-04T10:05 participant fire LU-2026-014 include",
    "pathway --now 2026-03-04T10:30 participant show LU-2026-014",
    "pathway --now 2026-03-04T10:40 participant fire LU-2026-014 exit --data reason=moved",
    'pathway --now 2026-03-12T15:00 participant fire LU-2026-014 activate --at 2026-03-11T13:00 '
    '--reason "decided at the group review on Wednesday"',
    "pathway --now 2026-03-12T15:00 participant history LU-2026-014",
]


#: The terminal width the README's tables are drawn for.
WIDTH = "130"

#: Runs ``pathway ARGS`` with an environment in a folder: (exit code, stdout, stderr).
Runner = Callable[[list[str], dict[str, str], str], tuple[int, str, str]]


def console_script(args: list[str], env: dict[str, str], folder: str) -> tuple[int, str, str]:
    """The installed ``pathway`` console script, as a user runs it."""
    proc = subprocess.run([str(Path(sys.executable).parent / "pathway"), *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def run_walkthrough(run: Runner = console_script) -> str:
    """The console block: each command, its stdout and stderr, and a non-zero exit code (``run``: how
    a command is run; the test runs the console script's main() in its own interpreter)."""
    with tempfile.TemporaryDirectory(prefix="pathway-readme-") as folder:
        os.symlink(REPO / "workflows", Path(folder) / "workflows")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
        env.update({"PATHWAY_ACTOR": "anna.k", "COLUMNS": WIDTH})
        out = []
        for command in COMMANDS:
            code, stdout, stderr = run(shlex.split(command)[1:], env, folder)
            out.append(f"$ {command}\n{stdout}{stderr}")
            if code:
                out.append(f"# exit code {code}\n")
            out.append("\n")
        return "".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(run_walkthrough())
