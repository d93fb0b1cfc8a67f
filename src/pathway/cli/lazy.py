"""Command groups whose sub-commands are imported on first use.

A command's module imports what the command needs (SQLAlchemy, the workflow models, Graphviz …);
listing the commands for ``--help`` needs only their names and one line each, so a group keeps
those and imports a command when it is run or asked for its own help.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

#: name → ("module:attribute", one-line help shown in the group's --help). The attribute is a
#: Typer group or a command function.
LazyCommands = dict[str, tuple[str, str]]


class LazyGroup(TyperGroup):
    """A group whose :attr:`lazy_commands` are imported on first use (subclass and set them)."""

    lazy_commands: ClassVar[LazyCommands] = {}
    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        """The commands defined here in their order, then the lazy ones in theirs."""
        eager = [name for name in super().list_commands(ctx) if name not in self.lazy_commands]
        return eager + list(self.lazy_commands)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in self.lazy_commands:
            return super().get_command(ctx, cmd_name)
        target, help_text = self.lazy_commands[cmd_name]
        if self._listing:  # the help page needs a name and a line, not the command itself
            return TyperCommand(name=cmd_name, help=help_text)
        command = load(cmd_name, target)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def load(name: str, target: str) -> Any:
    """The click command for ``target`` ("module:attribute"), named ``name``.

    A command function is wrapped in a Typer app of its own without Typer's
    --install-completion/--show-completion: completion is installed for ``pathway`` itself, and
    ``pathway caseload --install-completion`` would only offer the same thing under a wrong name."""
    module_name, attribute = target.split(":")
    obj = getattr(importlib.import_module(module_name), attribute)
    command: Any
    if isinstance(obj, typer.Typer):
        command = typer.main.get_group(obj)  # a group even with one sub-command (`scheduler run`)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(obj)
        command = typer.main.get_command(single)
    command.name = name
    return command
