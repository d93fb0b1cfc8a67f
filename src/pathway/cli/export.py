"""``pathway export …``: data for other systems (the national follow-up, Uppföljning Finsam)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pathway.cli.output import write_text
from pathway.cli.state import state
from pathway.errors import InvalidValue
from pathway.spreadsheet import safe_text

app = typer.Typer(help="Exports to other systems: the national follow-up of samordningsförbund (Uppföljning Finsam).",
                  no_args_is_help=True)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValue(option, value, "give a date as YYYY-MM-DD, e.g. 2026-12-31") from None


@app.command()
def finsam(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Option("--workflow", "-w", help="the workflow (one individual-oriented intervention)")],
    period_from: Annotated[str | None, typer.Option("--from", help="first day of the period, YYYY-MM-DD")] = None,
    period_to: Annotated[str | None, typer.Option("--to", help="last day of the period, YYYY-MM-DD")] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="csv (one row per participant) or json")] = ExportFormat.CSV,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file (mode 0600)")] = None,
) -> None:
    """Each participant of the intervention in the period: start, end, situation at start and exit and
    the exit reason in the national codes the workflow's national_followup maps to. No personal
    identity number (entered in Uppföljning Finsam by the responsible officer); anonymous
    participants marked.

    Example: pathway export finsam --workflow kraft --from 2026-01-01 --to 2026-12-31 --output finsam-2026.csv
    """
    from pathway.reports import finsam as finsam_export
    from pathway.services.reporting import finsam

    result = finsam(state(ctx).services(), workflow, _day(period_from, "--from"), _day(period_to, "--to"))
    if fmt == ExportFormat.JSON:
        text = json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=finsam_export.COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in result.rows:
            writer.writerow({k: _csv_value(v) for k, v in row.items()})
        text = buffer.getvalue()
    write_text(text, output)


def _csv_value(value: object) -> object:
    """A cell of the export: booleans as true/false, texts safe to open in a spreadsheet (a ref typed
    as a formula gets a leading apostrophe: :mod:`pathway.spreadsheet`; the national codes, dates and
    numbers never begin like one)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return safe_text(value) if isinstance(value, str) else value
