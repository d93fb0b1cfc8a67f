"""``pathway person …``: one person across every project, found by personal identity number."""

from __future__ import annotations

from typing import Annotated

import typer

from pathway.cli.output import FormatOption, OutputFormat, print_rows
from pathway.cli.state import state
from pathway.clock import format_local
from pathway.services import person as person_service

app = typer.Typer(help="One person across every project: look up, register extract.", no_args_is_help=True)

Personnummer = Annotated[str, typer.Argument(help="personnummer or samordningsnummer (10 or 12 digits)")]
Agency = Annotated[str | None, typer.Option("--agency", help="the agency asking (soc, af, fk, health, labour_unit); a registered user's own agency is used instead")]


@app.command()
def find(ctx: typer.Context, personnummer: Personnummer, agency: Agency = None,
         fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Every enrolment of the person in any workflow, open or exited. Details of an enrolment whose
    consent does not cover the asking agency are withheld (and why is said); the number is never printed.

    Example: pathway person find 19121212-1212 --agency af
    """
    found = person_service.find(state(ctx).services(), personnummer, agency)
    rows = [{
        "participant": e.participant_id, "workflow": e.workflow, "status": e.status,
        "ref": e.ref or "", "step": e.step_title or "", "enrolled": format_local(e.enrolled_at) if e.enrolled_at else "",
        "exited": format_local(e.exited_at) if e.exited_at else "", "exit reason": e.exit_reason or "",
        "withheld": e.withheld or "",
    } for e in found]
    columns = ["participant", "workflow", "status", "ref", "step", "enrolled", "exited", "exit reason", "withheld"]
    if not any(e.withheld for e in found):
        columns.remove("withheld")
    print_rows(rows, columns, fmt, title=f"{len(found)} enrolment{'s' if len(found) != 1 else ''} of this person",
               json_rows=[e.to_json() for e in found])
