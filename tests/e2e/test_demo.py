"""`make demo` keeps working: scripts/demo.sh runs to the end on a fresh folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.e2e.forkserver import SHIM

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_script_runs_every_command_to_the_end(tmp_path: Path) -> None:
    """Every caseworker, scheduler and funder command in the demo succeeds on the shipped workflows.

    The script runs in bash as ``make demo`` runs it; the ``pathway`` it finds on PATH runs each
    command's ``main()`` in a fork of one warm interpreter (tests/e2e/forkserver.py) rather than a
    fresh one: 35 fresh interpreters cost two minutes on a busy machine, and test_subprocess.py keeps
    one real subprocess per command."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copytree(ROOT / "workflows", tmp_path / "workflows")
    socket_path = tmp_path / "pathway.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "e2e" / "forkserver.py"), str(socket_path)],
                              cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        shim = tmp_path / "bin" / "pathway"
        shim.parent.mkdir()
        shim.write_text(SHIM.format(python=sys.executable, socket=str(socket_path)), encoding="utf-8")
        shim.chmod(0o755)
        env["PATH"] = f"{shim.parent}{os.pathsep}{env.get('PATH', '')}"
        result = subprocess.run(["bash", "scripts/demo.sh"], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=600)
    finally:
        server.kill()
        server.wait()
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "export finsam" in result.stdout  # the last section ran
