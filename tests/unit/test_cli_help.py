"""Every CLI command documents itself with an example (checked on the Typer app, no subprocess)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from typer.main import get_command

from pathway.cli.app import app


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if hasattr(command, "commands"):  # a group (Typer ships its own click)
        for name, sub in command.commands.items():
            yield from _commands(sub, path + (name,))
    else:
        yield " ".join(path), command


def test_every_command_has_help_with_an_example() -> None:
    """All commands (workflow, participant, consent, plan, placement, intervention, deadlines, scheduler, db) show an example."""
    root = get_command(app)
    for name in root.list_commands(None):  # type: ignore[attr-defined,arg-type]
        root.get_command(None, name)  # type: ignore[attr-defined,arg-type]  # sub-commands load on first use
    commands = dict(_commands(root))
    assert len(commands) >= 30
    assert [name for name, command in commands.items() if "Example: pathway " not in (command.help or "")] == []
