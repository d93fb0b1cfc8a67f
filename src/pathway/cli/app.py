"""The ``pathway`` command: global options, sub-commands, and one-line errors with exit codes.

Exit codes: 0 ok · 1 refused by a pathway rule · 2 bad usage or input · 4 deadline check with failed deliveries.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from pathway import __version__
from pathway.cli import db, deadlines, participant, records, report, scheduler, workflow
from pathway.cli.diagram import register as register_diagram
from pathway.cli.importer import import_file
from pathway.cli.output import print_error
from pathway.cli.state import CliState
from pathway.errors import PathwayError

app = typer.Typer(
    name="pathway",
    help="Participant pathways for cross-agency rehabilitation projects.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
register_diagram(workflow.app)
app.add_typer(workflow.app, name="workflow")
app.add_typer(participant.app, name="participant")
app.add_typer(records.consent_app, name="consent")
app.add_typer(records.plan_app, name="plan")
app.add_typer(records.placement_app, name="placement")
app.add_typer(records.intervention_app, name="intervention")
app.add_typer(deadlines.app, name="deadlines")
app.add_typer(scheduler.app, name="scheduler")
app.add_typer(report.app, name="report")
app.add_typer(db.app, name="db")
app.command("import")(import_file)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pathway {__version__}")
        raise typer.Exit()


@app.callback()
def global_options(
    ctx: typer.Context,
    db_url: Annotated[str | None, typer.Option("--db", help="database URL [env PATHWAY_DATABASE_URL; default sqlite:///pathway.db]", show_default=False)] = None,
    workflows: Annotated[Path | None, typer.Option("--workflows", help="folder of workflow files [env PATHWAY_WORKFLOWS; default ./workflows]", show_default=False)] = None,
    now: Annotated[str | None, typer.Option("--now", help="the clock for this command, ISO date-time [env PATHWAY_NOW]", show_default=False)] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="who acts [env PATHWAY_ACTOR; default the OS user]", show_default=False)] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")] = False,
) -> None:
    """Participant pathways: validate workflows, walk participants through them, keep the history."""
    overrides = {"database_url": db_url, "workflows": workflows, "now": now, "actor": actor}
    ctx.obj = CliState({k: v for k, v in overrides.items() if v is not None})


def main() -> None:
    """Console-script entry point: user errors become one line on stderr and an exit code."""
    try:
        app()
    except PathwayError as err:
        print_error(err.message)
        sys.exit(err.exit_code)
    except OperationalError as err:  # the database went away or stayed locked
        detail = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        hint = "; another command is holding it — try again" if "locked" in detail else ""
        print_error(f"database error: {detail}{hint}; nothing was written")
        sys.exit(1 if "locked" in detail else 2)
    except ValidationError as err:  # settings from the environment
        print_error(f"invalid setting: {err.errors()[0]['loc']}: {err.errors()[0]['msg']}")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
