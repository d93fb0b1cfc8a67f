"""Every command of the CLI, found by walking the command tree (so a new command is covered the day it
is added): its ``--help`` carries an example, and bad input — an unknown option, or required values
that name nothing that exists — is refused with exit 2 or 1, a one-line ``error:`` (or Click's usage
error), no traceback, and not one row changed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import typer

from tests.e2e.conftest import SMALL_WORKFLOW, Cli


def _leaf_commands() -> list[tuple[str, ...]]:
    from pathway.cli.app import app

    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...], ctx: Any) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                walk(sub, (*path, name), type(ctx)(sub, parent=ctx, info_name=name))
        else:
            found.append(path)

    walk(root, (), root.context_class(root, info_name="pathway"))
    return found


def _command(path: tuple[str, ...]) -> Any:
    from pathway.cli.app import app

    command: Any = typer.main.get_command(app)
    ctx: Any = command.context_class(command, info_name="pathway")
    for name in path:
        command = command.get_command(ctx, name)
        ctx = type(ctx)(command, parent=ctx, info_name=name)
    return command


COMMANDS = _leaf_commands()
IDS = [" ".join(path) for path in COMMANDS]

#: Commands whose required values, filled with names of nothing, still describe a valid action.
#: ``db backup FILE`` copies the database to FILE; ``serve`` would start a server.
VALID_WITH_ANY_NAME = {("db", "backup"), ("serve",)}


def test_the_walk_finds_the_commands_the_readme_lists() -> None:
    assert len(COMMANDS) >= 70
    assert ("participant", "fire") in COMMANDS and ("user", "token", "create") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_help_shows_an_example(cli: Cli, path: tuple[str, ...]) -> None:
    result = cli(*path, "--help")
    assert result.code == 0, result.stderr
    assert "Example" in result.stdout or "example" in result.stdout, f"pathway {' '.join(path)} --help has no example"


@pytest.fixture(scope="module")
def one_participant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding one enrolled participant, made once and copied for each test."""
    home = tmp_path_factory.mktemp("template")
    (home / "workflows").mkdir()
    (home / "workflows" / "small.yaml").write_text(SMALL_WORKFLOW, encoding="utf-8")
    template = Cli(home, home / "pathway.db", home / "workflows")
    assert template("participant", "enrol", "small", "--ref", "R-1").code == 0
    return template.db_path


@pytest.mark.fresh_database  # checks that no database file is created
@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_an_unknown_option_is_refused_and_creates_nothing(cli: Cli, path: tuple[str, ...]) -> None:
    result = cli(*path, "--no-such-option")
    assert result.code == 2, (result.code, result.stderr)
    assert "Traceback" not in result.stderr and "No such option" in result.stderr
    assert not cli.db_path.exists(), "a refused command created a database"


def _names_of_nothing(path: tuple[str, ...]) -> list[str] | None:
    """Every required argument and option filled with a value naming nothing that exists."""
    args: list[str] = []
    options: list[str] = []
    required = False
    for param in _command(path).params:
        if not param.required:
            continue
        required = True
        value = "999999" if param.name in {"participant", "participant_ref", "ref", "id", "group", "token_id"} \
            else "no-such-thing"
        if param.param_type_name == "argument":
            args.extend([value] * (param.nargs if param.nargs > 0 else 1))
        else:
            options.extend([param.opts[0], value])
    return [*args, *options] if required else None


#: the commands that take a required value (the others have nothing to fill with names of nothing)
WITH_REQUIRED = [p for p in COMMANDS if p not in VALID_WITH_ANY_NAME and _names_of_nothing(p) is not None]


def test_most_commands_take_a_required_value() -> None:
    assert len(WITH_REQUIRED) >= 55


@pytest.mark.parametrize("path", WITH_REQUIRED, ids=lambda p: " ".join(p))
def test_names_of_nothing_are_refused_without_a_traceback(cli: Cli, one_participant: Path,
                                                          path: tuple[str, ...]) -> None:
    filled = _names_of_nothing(path)
    assert filled is not None
    shutil.copyfile(one_participant, cli.db_path)
    before = cli.snapshot()
    result = cli(*path, *filled)
    assert result.code in (1, 2), (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    first = result.stderr.strip().splitlines()[0] if result.stderr.strip() else ""
    assert first.startswith(("error:", "Usage:")), result.stderr
    assert cli.snapshot() == before
