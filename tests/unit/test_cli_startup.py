"""Start-up: sub-commands load on first use, so ``--version`` and ``--help`` stay light."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.main import get_command

from pathway.cli.app import LAZY_COMMANDS, _load, app

HEAVY = ("sqlalchemy", "pydantic", "pydantic_settings", "alembic", "transitions", "yaml", "openpyxl")


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_version_and_help_import_neither_sqlalchemy_nor_pydantic(argv: list[str]) -> None:
    """`pathway --version` and `pathway --help` run without importing SQLAlchemy, pydantic or the
    other libraries only commands need (checked on sys.modules in a fresh interpreter)."""
    probe = (
        "import sys\n"
        f"sys.argv = ['pathway', *{argv!r}]\n"
        "from pathway.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "LOADED []"


def test_help_lists_every_lazy_command_with_its_own_help_line() -> None:
    """The one-line help kept for `pathway --help` is the first line of each command's own help."""
    for name, (target, line) in LAZY_COMMANDS.items():
        command = _load(name, target)
        assert command.name == name
        assert (command.help or "").strip().splitlines()[0] == line, name


def test_a_lazy_command_loads_once_and_then_is_the_same_object() -> None:
    """get_command imports a sub-command on first use and keeps it."""
    root = get_command(app)
    first = root.get_command(None, "workflow")  # type: ignore[attr-defined,arg-type]
    assert first is root.get_command(None, "workflow")  # type: ignore[attr-defined,arg-type]
    assert "validate" in first.commands and "diagram" in first.commands
