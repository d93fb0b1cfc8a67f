"""`make demo` keeps working: scripts/demo.sh runs to the end on a fresh folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_script_runs_every_command_to_the_end(tmp_path: Path) -> None:
    """Every caseworker, scheduler and funder command in the demo succeeds on the shipped workflows."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copytree(ROOT / "workflows", tmp_path / "workflows")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(["bash", "scripts/demo.sh"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "export finsam" in result.stdout  # the last section ran
