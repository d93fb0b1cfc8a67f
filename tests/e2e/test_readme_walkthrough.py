"""The README's caseworker walkthrough is real: re-running its commands prints exactly what it shows."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from tests.e2e.conftest import run_in_process

REPO = Path(__file__).resolve().parents[2]


def test_readme_walkthrough_matches_a_fresh_run() -> None:
    """Run scripts/readme_walkthrough.py and compare with the block between the README's markers (each
    command through the console script's main() in this interpreter, as the in-process Cli does)."""
    spec = importlib.util.spec_from_file_location("walkthrough", REPO / "scripts" / "readme_walkthrough.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- walkthrough:start -->\n```console\n(.*?)```\n<!-- walkthrough:end -->", readme, re.S)
    assert block is not None, "README has no walkthrough markers"
    def in_process(args: list[str], env: dict[str, str], folder: str) -> tuple[int, str, str]:
        result = run_in_process(args, env, Path(folder))
        return result.code, result.stdout, result.stderr

    assert module.run_walkthrough(in_process) == block.group(1), (
        "the README walkthrough is stale: run `python scripts/readme_walkthrough.py` and paste its output")
