"""End-to-end fixtures: the real ``pathway`` CLI as a subprocess on a temporary SQLite database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
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
    """Runs ``python -m pathway`` with a private database, workflows folder and clock."""

    home: Path
    db_path: Path
    workflows: Path
    now: str = "2026-03-02T09:00"

    def __call__(self, *args: str, now: str | None = None) -> Result:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
        env.update({
            "PATHWAY_DATABASE_URL": f"sqlite:///{self.db_path}",
            "PATHWAY_WORKFLOWS": str(self.workflows),
            "PATHWAY_NOW": now or self.now,
            "PATHWAY_ACTOR": "e2e",
            "PATHWAY_IDENTITY_KEY": TEST_IDENTITY_KEY,
        })
        proc = subprocess.run([sys.executable, "-m", "pathway", *args], cwd=self.home, env=env,
                              capture_output=True, text=True, timeout=120)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every pathway table, to prove a refusal changed nothing."""
        if not self.db_path.exists():
            return {}
        with sqlite3.connect(self.db_path) as conn:
            return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                    for t in ("workflow_versions", "participants", "events")}


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "small.yaml").write_text(SMALL_WORKFLOW, encoding="utf-8")
    return Cli(tmp_path, tmp_path / "pathway.db", workflows)


@pytest.fixture
def shipped_cli(tmp_path: Path) -> Cli:
    """The CLI on the workflows shipped in the repository."""
    return Cli(tmp_path, tmp_path / "pathway.db", REPO / "workflows")


AssertRefused = Callable[..., Result]
