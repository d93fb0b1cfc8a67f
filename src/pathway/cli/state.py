"""Global options, and the services built from them only when a command needs them."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # loaded when a command needs them, not for --help or --version
    from pathway.clock import Clock
    from pathway.config import Settings
    from pathway.services.catalog import WorkflowCatalog
    from pathway.services.context import ServiceContext


@dataclass
class CliState:
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    _services: ServiceContext | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from pathway.config import Settings

            self._settings = Settings(**self.overrides)
        return self._settings

    def clock(self) -> Clock:
        if self._services is not None:
            return self._services.clock
        from pathway.clock import make_clock

        return make_clock(self.settings)

    def catalog(self) -> WorkflowCatalog:
        """The workflow files, without opening the database (for commands that only read YAML)."""
        if self._services is not None:
            return self._services.catalog
        from pathway.services.catalog import WorkflowCatalog

        return WorkflowCatalog(self.settings.workflows, self.clock())

    def services(self) -> ServiceContext:
        if self._services is None:
            from pathway.bootstrap import bootstrap
            from pathway.cli.output import print_note

            notes: list[str] = []
            self._services = bootstrap(self.settings, notes=notes)
            # single-user mode, said once: when a command creates the database at a terminal (scripts
            # and cron get no extra line); 'db init', 'db upgrade' and 'user list' always say it
            if sys.stderr.isatty():
                for note in notes:
                    print_note(note)
        return self._services


def state(ctx: typer.Context) -> CliState:
    return ctx.find_root().obj


def optional_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from pathway.clock import parse_time  # the clock's limits and time zones: not for --help or --version

    return parse_time(value, option)
