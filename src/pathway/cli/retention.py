"""``pathway retention run``: remove personal data past the retention limit (gallring)."""

from __future__ import annotations

from typing import Annotated

import typer

from pathway.cli.output import FormatOption, OutputFormat, console, print_json
from pathway.cli.state import state
from pathway.clock import format_local
from pathway.services import retention as retention_service

app = typer.Typer(help="Retention (gallring): remove personal data past the limit, keeping the statistics.",
                  no_args_is_help=True)


@app.command()
def run(ctx: typer.Context,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="say who would be purged; write nothing")] = False,
        fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Remove the identity, case reference and free text of every person whose last entry is older
    than the retention limit (setting retention_years, default 5) and who has no open enrolment;
    coded facts stay (pseudonymised), so every report gives the same numbers. Each purge is logged.

    Example: pathway retention run --dry-run
    """
    settings = state(ctx).settings
    result = retention_service.run(state(ctx).services(), settings.retention_years, dry_run=dry_run)
    if fmt == OutputFormat.JSON:
        print_json({"limit": result.limit.isoformat(), "dry_run": result.dry_run,
                    "participants": [{"participant_id": p.participant_id, "workflow": p.workflow_id,
                                      "last_entry_at": format_local(p.last_entry_at), "removed": p.removed}
                                     for p in result.purged]})
        return
    verb = "would purge" if dry_run else "purged"
    console.print(f"{verb} the personal data of {len(result.purged)} participant"
                  f"{'s' if len(result.purged) != 1 else ''} whose last entry is before {result.limit} "
                  f"({settings.retention_years} years)" + ("" if dry_run else "; each purge is in retention_log"),
                  markup=False)
    for p in result.purged:
        console.print(f"  participant {p.participant_id} ({p.workflow_id}), last entry {format_local(p.last_entry_at)}",
                      markup=False)
