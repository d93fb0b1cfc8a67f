"""``pathway person …``: one person across every project, found by personal identity number."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pathway.cli.output import FormatOption, OutputFormat, print_rows, write_text
from pathway.cli.state import state
from pathway.clock import format_local
from pathway.domain.agency import AGENCIES
from pathway.services import person as person_service

app = typer.Typer(help="One person across every project: look up, register extract.", no_args_is_help=True)

Personnummer = Annotated[str, typer.Argument(help="personnummer or samordningsnummer (10 or 12 digits)")]
Agency = Annotated[str | None, typer.Option("--agency", help=f"the agency asking ({', '.join(AGENCIES)}); a registered user's own agency is used instead")]


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


class ExtractFormat(StrEnum):
    JSON = "json"
    MARKDOWN = "markdown"


@app.command()
def extract(ctx: typer.Context, personnummer: Personnummer,
            fmt: Annotated[ExtractFormat, typer.Option("--format", "-f", help="json or markdown (a readable document)")] = ExtractFormat.MARKDOWN,
            output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file (mode 0600)")] = None) -> None:
    """Register extract (registerutdrag, GDPR art. 15): everything held about the person in every
    project — identity, enrolments, attributes, the whole history with who and when, consent, plans,
    placements, interventions, who has read it — for the data protection officer. Writes nothing
    to the database.

    Example: pathway person extract 19121212-1212 --format markdown --output registerutdrag.md
    """
    import json

    from pathway.services import extract as extract_service

    data = extract_service.register_extract(state(ctx).services(), personnummer)
    text = (json.dumps(data, ensure_ascii=False, indent=2) + "\n" if fmt == ExtractFormat.JSON
            else extract_service.as_markdown(data))
    write_text(text, output)
