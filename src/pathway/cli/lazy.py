"""Command groups whose sub-commands are imported on first use.

A command's module imports what the command needs (SQLAlchemy, the workflow models, Graphviz …);
listing the commands for ``--help`` needs only their names and one line each, so a group keeps
those and imports a command when it is run or asked for its own help.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo

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
        command = group_building_on_demand(obj)  # a group even with one sub-command (`scheduler run`)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(obj)
        command = typer.main.get_command(single)
    command.name = name
    return command


class CommandsOnDemand(MutableMapping[str, Any]):
    """A group's commands, each built from its function when first asked for.

    Typer builds every command of a group (each function's signature and annotations read, each
    parameter made) before running one of them: ~1 ms a command, 13 for ``pathway participant``.
    This mapping holds the functions and builds a command when the group looks it up by name, to run
    it or show its help (the group's help, which lists them all, builds them all as before). The
    group's own code (``get_command``, ``list_commands``, help, completion, suggestions for a
    mistyped name) reads ``group.commands`` as a mapping and finds the same commands, in the same
    order, built the same way."""

    def __init__(self, app: typer.Typer, built: MutableMapping[str, Any]) -> None:
        self._functions: dict[str, CommandInfo | None] = {
            info.name or typer.main.get_command_name(info.callback.__name__): info  # Typer's own naming
            for info in app.registered_commands if info.callback is not None}
        self._functions.update(dict.fromkeys(built))  # sub-groups, already built by Typer
        self._built: dict[str, Any] = dict(built)
        self._app = app

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            info = self._functions[name]  # KeyError for a name the group does not have
            assert info is not None
            self._built[name] = typer.main.get_command_from_info(
                info, pretty_exceptions_short=self._app.pretty_exceptions_short,
                rich_markup_mode=self._app.rich_markup_mode)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._functions.setdefault(name, None)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._functions[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._functions)

    def __len__(self) -> int:
        return len(self._functions)

    def __contains__(self, name: object) -> bool:
        return name in self._functions


def group_building_on_demand(app: typer.Typer) -> TyperGroup:
    """``typer.main.get_group(app)``, except that each command is built when first used
    (:class:`CommandsOnDemand`): running ``pathway participant list`` builds ``list`` alone."""
    bare = copy.copy(app)  # the group itself (callback, help, settings, sub-groups) without its commands
    bare.registered_commands = []
    group = typer.main.get_group(bare)
    group.commands = CommandsOnDemand(app, built=group.commands)
    return group
