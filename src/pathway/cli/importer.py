"""``pathway import FILE.jsonl``: past participants, replayed through the workflow's rules, all or none."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from pathway.cli.output import console, error_console
from pathway.cli.state import state
from pathway.services import importer as service

#: Off a terminal the bar is drawn once, when it is done (a line in the log), and only for files this big.
LARGE_FILE_BYTES = 1_000_000


def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE.jsonl", help="one participant a line (JSON)", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check every line, write nothing")] = False,
) -> None:
    """Import past participants from a JSON-lines file, replayed through their workflow's rules.

    One participant a line (keys marked ? may be left out; "at" is ISO 8601, Swedish time):

      {"ref": "LU-2025-001", "workflow": "kraft", "enrolled_at": "2025-09-01",
       "attributes": {"gender": "female"}, "personnummer"?: "19121212-1212",
       "events": [{"trigger": "assess", "at": "2025-09-03", "data"?: {}},
                  {"set": {"stable_housing": true}, "at": "2025-09-04"},
                  {"consent": {"give": ["soc", "af"], "scope"?: "…",
                               "until"?: "2026-08-31"}, "at": "2025-09-05"}],
       "exit"?: {"at": "2026-02-27", "reason": "work", …more exit data}}

    Consent may also be {"confirm": true} or {"withdraw": ["af"]}. Each event is
    recorded with its time and the reason "imported from FILE line N"; allowed
    triggers, guards and code lists apply as for a caseworker. Every failing line
    is reported as FILE:LINE: error: …, and nothing is imported unless every line
    passes (exit 2 if a line is malformed, else 1). A ref already used in the
    workflow is refused, so a file cannot be imported twice. Deadline reminders,
    misses and escalations that had already passed are recorded with their own
    times, and nobody is notified of them.

    Example: pathway import kraft-2025.jsonl --dry-run
    """
    services = state(ctx).services()
    try:
        size = file.stat().st_size
    except OSError:
        size = 0  # the service says why it cannot be read
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=error_console, disable=not (error_console.is_terminal or size >= LARGE_FILE_BYTES)) as bar:
        task = bar.add_task(f"importing {file.name}", total=size or None)
        result = service.import_file(services, file, dry_run=dry_run,
                                     progress=lambda done: bar.update(task, completed=done))
    if not result.ok:
        for error in result.errors:
            for line in error.message.splitlines() or [error.message]:
                error_console.print(f"{file}:{error.line}: error: {line}", markup=False)
        error_console.print(f"{len(result.errors)} of {result.lines} lines failed; nothing was imported",
                            markup=False)
        raise typer.Exit(result.exit_code)
    participants = f"{result.participants} participant{'' if result.participants == 1 else 's'}"
    if dry_run:
        console.print(f"dry run: {participants} ({result.events} events) would be imported from {file}; "
                      "nothing was written", markup=False)
    else:
        console.print(f"imported {participants} ({result.events} events) from {file}", markup=False)
    if result.deadline_events:
        console.print(f"{result.deadline_events} passed deadline event(s) (reminders, misses, escalations) "
                      f"{'would be ' if dry_run else ''}recorded with their own times; nobody is notified of them "
                      "(see 'pathway deadlines list --overdue')", markup=False)
