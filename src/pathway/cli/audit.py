"""``pathway audit access``: the access log (loggkontroll), for the data-protection officer."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from pathway.clock import format_local, parse_time
from pathway.cli.output import FormatOption, OutputFormat, print_rows
from pathway.cli.state import state

app = typer.Typer(help="The access log: who read whose data, when and why (dpo and admin only).",
                  no_args_is_help=True)


@app.command()
def access(
    ctx: typer.Context,
    participant: Annotated[str | None, typer.Option("--participant", metavar="ID", help="who read this participant's data")] = None,
    user: Annotated[str | None, typer.Option("--user", help="what this login read")] = None,
    since: Annotated[str | None, typer.Option("--from", help="from this day or time (Swedish time)")] = None,
    until: Annotated[str | None, typer.Option("--to", help="to the end of this day (or this time)")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List the access log for one participant or one user (dpo and admin only).

    Example: pathway audit access --participant 12 --from 2026-03-01 --format csv
    """
    from pathway.services import audit

    start = parse_time(since, "--from") if since else None
    end = None
    if until:
        end = parse_time(until, "--to")
        if "T" not in until:  # a day: to its end
            end += timedelta(days=1)
    rows = audit.access(state(ctx).services(), participant, user, start, end)
    print_rows([{"at": format_local(r.at), "login": r.login, "agency": r.agency, "participant": r.participant_id,
                 "workflow": r.workflow, "what": r.what, "purpose": r.purpose} for r in rows],
               ["at", "login", "agency", "participant", "workflow", "what", "purpose"], fmt,
               title=f"Access log ({len(rows)})", json_rows=[r.to_json() for r in rows])
