"""Start-up: sub-commands load on first use, and each command loads only the libraries it needs.

Each check runs the command in a fresh interpreter and reads ``sys.modules`` afterwards (what a
module imports is not visible from inside this test process, where everything is loaded already).
``bench/bench_startup.py`` times the same commands against the import of the libraries they need.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.main import get_group as get_group_of

from pathway.cli.app import LAZY_COMMANDS, _load, app
from pathway.cli.workflow import WorkflowGroup

REPO = Path(__file__).resolve().parents[2]

#: Libraries that only some commands need.
HEAVY = ("sqlalchemy", "sqlalchemy.orm", "sqlalchemy.dialects.postgresql", "pydantic", "pydantic_settings", "alembic", "transitions", "yaml",
         "openpyxl", "cryptography", "holidays", "graphviz", "httpx", "fastapi", "starlette", "jinja2", "structlog",
         "rich._emoji_codes")
#: Rich's emoji table: Typer's help pages load it; pathway's consoles replace no emoji codes
_EMOJI = "rich._emoji_codes"

#: pathway's modules for planning deadlines and checking guards, and the workflow models (pydantic):
#: a command that plans nothing and reads no workflow file does not load them (services/participants.py
#: and services/deadlines.py import them on first use, see pathway.deferred)
_PLANNING = ("pathway.engine.deadlines", "pathway.engine.step_settings", "pathway.steps", "pathway.steps.guards",
             "pathway.steps.requirements", "pathway.definitions.models")

#: The database commands run on SQLite here: SQLAlchemy's PostgreSQL dialect is not theirs (the store's
#: JSONB type imports it on PostgreSQL only; the partial indexes that name it are in pathway.store.schema)
_POSTGRESQL = ("sqlalchemy.dialects.postgresql", "pathway.store.schema")
#: repositories the unit of work makes when first asked for: sign-in (only the web app) and groups
_ON_DEMAND = ("pathway.store.auth_repository", "pathway.store.group_repository")

#: command → the heavy libraries (and pathway's own modules) it must not load (everything in HEAVY it
#: does not need).
MUST_NOT_LOAD: dict[str, tuple[list[str], set[str]]] = {
    "--version": (["--version"], set(HEAVY)),
    "--help": (["--help"], set(HEAVY) - {_EMOJI}),
    "serve --help": (["serve", "--help"], set(HEAVY) - {"pydantic", _EMOJI}),  # Typer converts parameters with pydantic
    # validating a file needs the record types (placements, consent) but no participant, event or deadline
    "workflow validate": (["workflow", "validate", str(REPO / "workflows" / "kraft.yaml")],
                          set(HEAVY) - {"pydantic", "yaml"} | {"pathway.domain.participant", "pathway.domain.deadline",
                                                               "pathway.domain.corrections"}),
    "workflow diagram": (["workflow", "diagram", "kraft"],
                         {_EMOJI, "sqlalchemy", "alembic", "openpyxl", "cryptography", "holidays", "httpx", "fastapi",
                          "starlette", "jinja2", "structlog"}),
    "participant list": (["participant", "list"],
                         {_EMOJI, "sqlalchemy.orm", *_POSTGRESQL, *_ON_DEMAND, "alembic", "transitions", "yaml", "openpyxl", "cryptography", "holidays",
                          "graphviz", "httpx", "fastapi", "starlette", "jinja2", *_PLANNING, "pathway.services.deadlines",
                          "pathway.services.identity", "pathway.services.secrecy", "pathway.services.person"}),
    "participant show": (["participant", "show", "1"],
                         {_EMOJI, "sqlalchemy.orm", *_POSTGRESQL, *_ON_DEMAND, "alembic", "openpyxl", "cryptography", "graphviz", "httpx", "fastapi",
                          "starlette", "jinja2"}),
    "deadlines check": (["deadlines", "check"],
                        {_EMOJI, "sqlalchemy.orm", *_POSTGRESQL, *_ON_DEMAND, "alembic", "transitions", "yaml", "openpyxl", "cryptography", "graphviz",
                         "httpx", "fastapi", "starlette", "jinja2", *_PLANNING}),
    # openpyxl only for --format xlsx
    "report flow": (["report", "flow", "--workflow", "kraft"],
                    {_EMOJI, "sqlalchemy.orm", *_POSTGRESQL, *_ON_DEMAND, "alembic", "transitions", "openpyxl", "cryptography", "holidays", "graphviz",
                     "httpx", "fastapi", "starlette", "jinja2"}),
}


def _loaded(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[list[str], str]:
    """The HEAVY libraries and pathway's own modules a command loaded in a fresh interpreter, and what
    it printed."""
    probe = (
        "import contextlib, io, json, sys\n"
        f"sys.argv = ['pathway', *{argv!r}]\n"
        "from pathway.cli.app import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        f"print(json.dumps([sorted(m for m in sys.modules if m in {HEAVY!r} or m.startswith('pathway.')), "
        "out.getvalue()]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env, cwd=cwd)
    loaded, printed = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded, printed


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """A database with one participant on kraft, the shipped workflows, a fixed clock."""
    home = tmp_path_factory.mktemp("startup")
    env = {**os.environ, "PATHWAY_DATABASE_URL": f"sqlite:///{home / 'p.db'}",
           "PATHWAY_WORKFLOWS": str(REPO / "workflows"), "PATHWAY_NOW": "2026-03-02T09:00"}
    for setup in (["db", "init"], ["participant", "enrol", "kraft", "--ref", "S-1", "--attr", "referring_agency=soc"]):
        subprocess.run([sys.executable, "-m", "pathway", *setup], env=env, cwd=home, check=True, capture_output=True)
    return env, home


@pytest.mark.parametrize("name", list(MUST_NOT_LOAD))
def test_each_command_loads_only_the_libraries_it_needs(name: str, cli_env: tuple[dict[str, str], Path]) -> None:
    """A command does its work (its output is checked) without loading what it does not use:
    `pathway --version` and `--help` load neither SQLAlchemy nor pydantic nor any other library only
    commands need; no store for validating a file, no YAML parser or state machines for listing
    participants, no alembic or cryptography unless a migration runs or a personnummer is read, no
    web stack; no deadline planner, guards or workflow models for listing participants or a check
    with nothing due."""
    argv, forbidden = MUST_NOT_LOAD[name]
    loaded, printed = _loaded(argv, *cli_env)
    assert sorted(set(loaded) & forbidden) == [], name
    expected = {"--version": "pathway 0.", "--help": "Participant pathways", "serve --help": "--port", "workflow validate": "ok: ", "workflow diagram": "stateDiagram",
                "participant list": "S-1", "participant show": "S-1", "deadlines check": "Deadline actions (0)",
                "report flow": "Flow through the steps · kraft"}
    assert expected.get(name, "pathway") in printed, printed


def test_help_lists_every_lazy_command_with_its_own_help_line() -> None:
    """The one-line help kept for `pathway --help` is the first line of each command's own help."""
    for commands in (LAZY_COMMANDS, WorkflowGroup.lazy_commands):
        for name, (target, line) in commands.items():
            command = _load(name, target)
            assert command.name == name
            assert (command.help or "").strip().splitlines()[0] == line, name
            # completion is installed for `pathway` itself, not offered again by a sub-command
            assert not {"install_completion", "show_completion"} & {p.name for p in command.params}, name


def test_a_lazy_command_loads_once_and_then_is_the_same_object() -> None:
    """get_command imports a sub-command on first use and keeps it; `workflow diagram` too."""
    root = get_command(app)
    first = root.get_command(None, "workflow")  # type: ignore[attr-defined,arg-type]
    assert first is root.get_command(None, "workflow")  # type: ignore[attr-defined,arg-type]
    assert "validate" in first.commands and first.list_commands(None)[-1] == "diagram"
    diagram = first.get_command(None, "diagram")
    assert diagram is first.get_command(None, "diagram") and diagram.name == "diagram"
    assert not {"install_completion", "show_completion"} & {p.name for p in diagram.params}


def test_the_partial_indexes_are_in_the_schema_module_with_both_conditions() -> None:
    """pathway.store.schema adds the four partial indexes to the tables' metadata, each with its
    condition on both back ends (test_migrate compares the whole schema with the migrated database)."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex

    from pathway.store.schema import metadata

    ddl = {(index.name, dialect.name): str(CreateIndex(index).compile(dialect=dialect)).strip()
           for table in metadata.tables.values() for index in table.indexes if index.dialect_kwargs
           for dialect in (sqlite.dialect(), postgresql.dialect())}
    expected = {
        "ix_deadlines_due": "CREATE INDEX ix_deadlines_due ON deadlines (next_action_at) WHERE status = 'open'",
        "ix_deadlines_board": "CREATE INDEX ix_deadlines_board ON deadlines (due_at) WHERE status IN ('open', 'paused')",
        "ix_deadlines_running":
            "CREATE INDEX ix_deadlines_running ON deadlines (participant_id) WHERE status IN ('open', 'paused')",
        "ix_notifications_pending":
            "CREATE INDEX ix_notifications_pending ON notifications (next_attempt_at) WHERE status = 'pending'",
    }
    assert ddl == {(name, dialect): sql for name, sql in expected.items() for dialect in ("sqlite", "postgresql")}


def test_a_group_builds_only_the_command_that_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lazily loaded group builds a command from its function when it is looked up (to run it or
    show its help), not all of the group's commands at once; the commands are the ones Typer builds
    for the whole group, in the same order."""
    import typer

    from pathway.cli.lazy import group_building_on_demand
    from pathway.cli.participant import app as participant_app

    built: list[str] = []
    build = typer.main.get_command_from_info

    def counting(command_info: Any, **settings: Any) -> Any:
        built.append(command_info.callback.__name__)
        return build(command_info, **settings)

    eager = get_group_of(participant_app)
    monkeypatch.setattr(typer.main, "get_command_from_info", counting)
    group = group_building_on_demand(participant_app)
    assert "list" in group.commands and "lisst" not in group.commands and len(group.commands) == 13
    command = group.get_command(None, "list")  # type: ignore[arg-type]
    assert group.get_command(None, "list") is command and built == ["list_participants"]  # type: ignore[arg-type]
    assert group.get_command(None, "lisst") is None and built == ["list_participants"]  # type: ignore[arg-type]
    assert [p.name for p in command.params] == [p.name for p in eager.commands["list"].params]
    assert command.help == eager.commands["list"].help
    assert group.list_commands(None) == eager.list_commands(None)  # type: ignore[arg-type]  # (builds the rest)
