"""Start-up: each CLI command against the bare import of the libraries that command needs.

Every sample is a fresh interpreter (as a user's shell runs it). The variants are interleaved in
blocks, each block timing every command and its floor once, and the ratio reported is the median
of the per-block ratios (the machine's load moves all variants of a block together).

Fair to both sides:

* **Byte code.** Both run from compiled byte code, as an installed pathway does: the runs get a
  ``PYTHONPYCACHEPREFIX`` of their own (and no ``PYTHONDONTWRITEBYTECODE``), and each variant runs
  once before the timing. Without that, pathway's own modules (an editable install) were compiled
  from source in every sample while the libraries' came from site-packages' ``.pyc``.
* **The floor** is the import of the libraries the command uses, as the command uses them:
  ``from pydantic import BaseModel`` rather than ``import pydantic`` (which loads almost nothing
  until a name is asked for), and ``TypeAdapter`` for every sub-command because Typer converts each
  parameter with one (``typer._adapters``, which loads pydantic's validators: every sub-command run,
  its ``--help`` too, loads it), and the first of them imports pydantic's plugin loader
  (``importlib.metadata`` and what it needs: a bare Typer app with one option loads it too); Rich's
  emoji table for a help page (Typer's help loads it); the SQLite dialect where the command opens
  the database. A library pathway no longer loads for a command is not in its floor (``participant
  list`` needs neither alembic nor cryptography, nor YAML or transitions);
  ``tests/unit/test_cli_startup.py`` pins that each command does not load the heavy libraries
  outside its floor.

Also counts the modules each command loads. ``--against DIR`` times another checkout's ``src`` (say,
``git archive`` of the commit before a change) in the same blocks: the before and after of a change
against the same floors, side by side.

    python bench/bench_startup.py --blocks 15
    python bench/bench_startup.py --blocks 11 --against /tmp/before   # /tmp/before/src/pathway
    python bench/bench_startup.py --blocks 15 --floor-collector paused  # floors without the collector too

``pathway`` pauses the garbage collector while it starts (``pathway.cli.entry``): against the plain
import (the default floor) that is part of what it saves; ``--floor-collector paused`` gives the
floors the same pause, so the ratio shows pathway's own modules and work alone.
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

#: Typer running a sub-command: it converts each parameter with a pydantic TypeAdapter (typer._adapters,
#: Typer's own module for that, loads pydantic's validators), and pydantic's first schema validator
#: imports its plugin loader (pydantic.plugin._loader: importlib.metadata, with email, zipfile, csv …;
#: at import, whether plugins are looked for or not); --help and --version alone do not
_TYPER_RUN = ("typer", "typer._adapters", "pydantic.plugin._loader")
#: Typer's help page: Rich renders it, with the emoji table Rich loads for its first markup
_TYPER_HELP = ("typer.rich_utils", "rich._emoji_codes")
#: what every sub-command's run needs: Typer, Rich's console, pydantic's models
_COMMAND = (*_TYPER_RUN, "rich.console", "from pydantic import BaseModel, TypeAdapter")
#: ... and a command that opens the SQLite database: SQLAlchemy's Core (the store maps nothing since
#: the unit of work runs on a Connection; the ORM was in this floor before, and no command loads it now)
_DATABASE = (*_COMMAND, "rich.table", "pydantic_settings", "structlog", "sqlalchemy",
             "sqlalchemy.dialects.sqlite", "sqlite3")

#: command → (argv after ``python -m pathway``, the libraries it needs: module names to import, or
#: a ``from … import …`` statement)
COMMANDS: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "--version": (["--version"], ("typer",)),
    "--help": (["--help"], ("typer", *_TYPER_HELP)),
    "serve --help": (["serve", "--help"], (*_TYPER_RUN, *_TYPER_HELP)),
    "workflow validate": (["workflow", "validate", str(REPO / "workflows" / "kraft.yaml")],
                          (*_COMMAND, "yaml")),
    "workflow diagram": (["workflow", "diagram", "kraft"],
                         (*_COMMAND, "pydantic_settings", "yaml", "from transitions.extensions import GraphMachine")),
    "participant list": (["participant", "list"], _DATABASE),
    "participant show": (["participant", "show", "1"], (*_DATABASE, "yaml", "transitions")),
    "deadlines check": (["deadlines", "check"], _DATABASE),
    # the flow report compiles its own SQL function per dialect with SQLAlchemy's compiler extension
    "report flow": (["report", "flow", "--workflow", "kraft"], (*_DATABASE, "yaml", "sqlalchemy.ext.compiler")),
}


def floor_code(libraries: tuple[str, ...], collector_paused: bool = False) -> str:
    """The floor as a program: one import statement per library (after pausing the garbage
    collector, as ``pathway`` does for its start-up, with ``collector_paused``)."""
    imports = [lib if lib.startswith("from ") else f"import {lib}" for lib in libraries]
    return "\n".join((["import gc", "gc.disable()"] if collector_paused else []) + imports)


def _run(argv: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def _modules(args: list[str], env: dict[str, str], cwd: str) -> int:
    probe = ("import sys, contextlib, io\nsys.argv=['pathway', *%r]\nfrom pathway.cli.app import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    try:\n        main()\n    except SystemExit:\n        pass\n"
             "print(len(sys.modules))" % (args,))
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=cwd, capture_output=True, text=True).stdout
    return int(out.strip().splitlines()[-1])


def environment(tmp: str) -> dict[str, str]:
    """The runs' environment: a database of their own, the shipped workflows, compiled byte code."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"PATHWAY_DATABASE_URL": f"sqlite:///{tmp}/bench.db", "PATHWAY_WORKFLOWS": str(REPO / "workflows"),
                "PATHWAY_NOW": "2026-03-02T09:00", "PYTHONPYCACHEPREFIX": f"{tmp}/pycache", "COLUMNS": "120"})
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=15, help="interleaved blocks (default 15)")
    parser.add_argument("--only", default="", help="comma-separated command names (default: all)")
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout whose src/ is timed too, in the same blocks (before a change)")
    parser.add_argument("--floor-collector", choices=["running", "paused"], default="running",
                        help="the floors import with the garbage collector running (a plain program, the "
                             "issue's floor) or paused, as pathway's own start-up runs (pathway.cli.entry)")
    args = parser.parse_args()
    chosen = {name: value for name, value in COMMANDS.items() if not args.only or name in args.only.split(",")}
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(tmp)
        pathway = [sys.executable, "-m", "pathway"]
        for setup in (["db", "init"], ["participant", "enrol", "kraft", "--ref", "B-1", "--attr", "referring_agency=soc"]):
            subprocess.run(pathway + setup, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        sides = {"": env}
        if args.against is not None:  # the other checkout's package first on the path, the same libraries
            sides["before "] = {**env, "PYTHONPATH": str(args.against.resolve() / "src")}
        paused = args.floor_collector == "paused"
        floors = {name: [sys.executable, "-c", floor_code(libraries, paused)] for name, (_argv, libraries) in chosen.items()}
        for name, (argv, _libraries) in chosen.items():  # compile and cache the byte code of every side
            _run(floors[name], env, tmp)
            for side_env in sides.values():
                _run(pathway + argv, side_env, tmp)
        ratios: dict[tuple[str, str], list[float]] = {(side, name): [] for side in sides for name in chosen}
        times: dict[tuple[str, str], list[float]] = {key: [] for key in ratios}
        bare: dict[str, list[float]] = {name: [] for name in chosen}
        load = [os.getloadavg()[0]]
        for _block in range(args.blocks):
            for name, (argv, _libraries) in chosen.items():
                floor = _run(floors[name], env, tmp)
                bare[name].append(floor)
                for side, side_env in sides.items():
                    took = _run(pathway + argv, side_env, tmp)
                    times[side, name].append(took)
                    ratios[side, name].append(took / floor)
            load.append(os.getloadavg()[0])
        print(f"{'command':<27} {'ms':>7} {'floor ms':>9} {'ratio (median of blocks)':>25} {'modules':>8}")
        for name, (argv, _libraries) in chosen.items():
            for side, side_env in sides.items():
                print(f"{side + name:<27} {statistics.median(times[side, name]) * 1000:7.0f} "
                      f"{statistics.median(bare[name]) * 1000:9.0f} {statistics.median(ratios[side, name]):25.2f} "
                      f"{_modules(argv, side_env, tmp):8d}")
        print(f"load average (1 min) during the blocks: {min(load):.1f}–{max(load):.1f}; "
              f"floors' garbage collector: {args.floor_collector}")

if __name__ == "__main__":
    main()
