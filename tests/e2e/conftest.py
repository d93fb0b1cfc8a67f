"""End-to-end fixtures: the real ``pathway`` CLI (its own ``main()``, in-process or as a subprocess) on a
temporary SQLite database.

The ``cli`` and ``shipped_cli`` fixtures start from a copy of a SQLite file the CLI migrated once per
session (``db upgrade``, mode 0600 as the app makes it, kept by the copy): migrating a fresh file cost
each test's first command a third of a second. A test that checks what happens when a command creates
the database (the single-user note, ``db init``/``db upgrade`` on an empty file, a refused command
creating no file) is marked ``@pytest.mark.fresh_database`` and starts with no database file.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.keys import TEST_IDENTITY_KEY

REPO = Path(__file__).resolve().parents[2]

SMALL_WORKFLOW = """\
id: small
version: 1
title: Liten testväg
roles:
  - {id: caseworker, title: Handläggare, agency: soc}
  - {id: coordinator, title: Samordnare}
attributes:
  gender: {type: choice, choices: [female, male, other]}
  birth_date: {type: date}
  stable_housing: {type: boolean, title: Stabilt boende}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: caseworker, initial: true}
  - {id: mapping, title: Kartläggning, kind: assessment, owner: coordinator, limit: {within: 14d}}
  - {id: exited, title: Avslut, kind: exit, owner: coordinator, terminal: true}
transitions:
  - trigger: accept
    from: referral
    to: mapping
    guards: [{name: attributes_true, args: {attributes: [stable_housing]}}]
    data: {meeting_date: {type: date, required: true}}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
exit_reasons:
  - {code: work, label: Arbete, category: work}
  - {code: moved, label: Flyttat, category: moved}
"""


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return json.loads(self.stdout)


@dataclass
class Cli:
    """Runs the ``pathway`` command with a private database, workflows folder and clock.

    In this interpreter by default (the console script's own ``main()``, with its environment,
    working directory, argv, stdout and stderr swapped in: what a subprocess would see, without a
    fresh interpreter per command); ``subprocess=True`` runs ``python -m pathway`` as a user does
    (tests/e2e/test_subprocess.py keeps one such run per command).
    """

    home: Path
    db_path: Path
    workflows: Path
    now: str = "2026-03-02T09:00"
    subprocess: bool = False

    def env(self, now: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
        env.update({
            "PATHWAY_DATABASE_URL": f"sqlite:///{self.db_path}",
            "PATHWAY_WORKFLOWS": str(self.workflows),
            "PATHWAY_NOW": now or self.now,
            "PATHWAY_ACTOR": "e2e",
            "PATHWAY_IDENTITY_KEY": TEST_IDENTITY_KEY,
        })
        return env

    def __call__(self, *args: str, now: str | None = None) -> Result:
        env = self.env(now)
        if not self.subprocess:
            return run_in_process(list(args), env, self.home)
        proc = subprocess.run([sys.executable, "-m", "pathway", *args], cwd=self.home, env=env,
                              capture_output=True, text=True, timeout=120)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every pathway table, to prove a refusal changed nothing."""
        if not self.db_path.exists():
            return {}
        # closed here: a sqlite3 connection left to the garbage collector keeps the file open until a full collection
        with contextlib.closing(sqlite3.connect(self.db_path)) as conn:
            return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                    for t in ("workflow_versions", "participants", "events")}


def run_in_process(args: list[str], env: dict[str, str], cwd: Path) -> Result:
    """``pathway ARGS`` through the console script's ``main()`` in this interpreter: exit code,
    stdout and stderr as a subprocess would give them (an uncaught exception: traceback, code 1)."""
    from pathway.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd, saved_argv = dict(os.environ), os.getcwd(), sys.argv
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = ["pathway", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            from pathway.cli.output import fit_to_environment

            fit_to_environment()  # a fresh interpreter would size its consoles from this environment
            try:
                main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
                if isinstance(exit_.code, str):
                    err.write(exit_.code + "\n")
            except Exception:  # noqa: BLE001 — what the interpreter would print before exiting 1
                traceback.print_exc(file=err)
                code = 1
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        gc.collect()  # the command's engine and its SQLite connections, as a process exit would
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def cli_database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the CLI itself migrated to head (``pathway db upgrade``), once per session."""
    home = tmp_path_factory.mktemp("cli-template")
    workflows = home / "workflows"
    workflows.mkdir()
    template = Cli(home, home / "pathway.db", workflows)
    result = template("db", "upgrade")
    assert result.code == 0, result.stderr
    wal = template.db_path.with_name(template.db_path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template's WAL was not checkpointed"
    return template.db_path


def _database_for(request: pytest.FixtureRequest, db_path: Path) -> Path:
    """``db_path`` as a copy of the session's migrated template (file mode kept), unless the test is
    marked ``fresh_database``: then no file, as a first command finds it."""
    if request.node.get_closest_marker("fresh_database") is None:
        shutil.copy(request.getfixturevalue("cli_database_template"), db_path)  # content and mode (0600)
    return db_path


@pytest.fixture
def cli(tmp_path: Path, request: pytest.FixtureRequest) -> Cli:
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "small.yaml").write_text(SMALL_WORKFLOW, encoding="utf-8")
    return Cli(tmp_path, _database_for(request, tmp_path / "pathway.db"), workflows)


@pytest.fixture
def shipped_cli(tmp_path: Path, request: pytest.FixtureRequest) -> Cli:
    """The CLI on the workflows shipped in the repository."""
    return Cli(tmp_path, _database_for(request, tmp_path / "pathway.db"), REPO / "workflows")


AssertRefused = Callable[..., Result]
