"""Start-up: each CLI command against the bare import of the libraries that command needs.

Every sample is a fresh interpreter (as a user's shell runs it). The variants are interleaved in
blocks, each block timing every variant once, and the ratio reported is the median of the per-block
ratios (the machine's load moves all variants of a block together). Also counts the modules
``pathway --version`` and ``--help`` load, and whether SQLAlchemy or pydantic is among them.

    python bench/bench_startup.py --blocks 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: command → (argv after ``python -m pathway``, the libraries it needs imported bare)
COMMANDS: dict[str, tuple[list[str], str]] = {
    "--version": (["--version"], "import typer"),
    "--help": (["--help"], "import typer, typer.rich_utils"),
    "workflow validate": (["workflow", "validate", str(REPO / "workflows" / "kraft.yaml")],
                          "import typer, rich.console, rich.table, pydantic, yaml, transitions, holidays, structlog"),
    "participant list": (["participant", "list"],
                         "import typer, rich.console, rich.table, pydantic, pydantic_settings, yaml, transitions, "
                         "holidays, structlog, sqlalchemy.orm, alembic.command, cryptography.fernet"),
}


def _run(argv: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def _modules(args: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
    probe = ("import sys\nsys.argv=['pathway', *%r]\nfrom pathway.cli.app import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(len(sys.modules), [m for m in ('sqlalchemy', 'pydantic') if m in sys.modules])" % (args,))
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True).stdout
    count, heavy = out.strip().splitlines()[-1].split(" ", 1)
    return int(count), eval(heavy)  # noqa: S307 — our own probe's printed list


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=15, help="interleaved blocks (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PATHWAY_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
               "PATHWAY_WORKFLOWS": str(REPO / "workflows"), "PATHWAY_NOW": "2026-03-02T09:00"}
        subprocess.run([sys.executable, "-m", "pathway", "db", "init"], env=env, cwd=tmp,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        ratios: dict[str, list[float]] = {name: [] for name in COMMANDS}
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        floors: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _block in range(args.blocks):
            for name, (argv, imports) in COMMANDS.items():
                command = _run([sys.executable, "-m", "pathway", *argv], env, tmp)
                floor = _run([sys.executable, "-c", imports], env, tmp)
                times[name].append(command)
                floors[name].append(floor)
                ratios[name].append(command / floor)
        print(f"{'command':<20} {'ms':>7} {'floor ms':>9} {'ratio (median of blocks)':>25}")
        for name in COMMANDS:
            print(f"{name:<20} {statistics.median(times[name]) * 1000:7.0f} "
                  f"{statistics.median(floors[name]) * 1000:9.0f} {statistics.median(ratios[name]):25.2f}")
        for flag in ("--version", "--help"):
            count, heavy = _modules([flag], env)
            print(f"pathway {flag}: {count} modules loaded; SQLAlchemy/pydantic among them: {heavy or 'none'}")


if __name__ == "__main__":
    main()
