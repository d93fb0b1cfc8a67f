"""``pathway report …``: the funder's and steering group's tables, read from the history.

Read-only: every command runs in one transaction that is rolled back. ``--format json`` is the
stable contract; ``csv``, ``markdown`` and ``xlsx`` are exports and hide small counts (``--min-cell``).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pathway.cli.output import console, print_note, write_text
from pathway.cli.state import state
from pathway.errors import BadInput, InvalidValue
from pathway.files import create_private
from pathway.reports import builders, dimensions, render
from pathway.reports.crosstab import EXIT_DIMENSIONS, PARTICIPANT_DIMENSIONS
from pathway.reports.scope import DEFAULT_AGE_BANDS, parse_age_bands
from pathway.reports.table import ReportTable
from pathway.services import reporting

app = typer.Typer(help="Tables for funders and steering groups, computed from the event history (read-only).",
                  no_args_is_help=True)

#: Exports hide counts below this unless --min-cell says otherwise (statistics offices' practice).
DEFAULT_MIN_CELL = 3


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"
    XLSX = "xlsx"


_EXPORTS = {ReportFormat.CSV, ReportFormat.MARKDOWN, ReportFormat.XLSX}
_DIMENSIONS_HELP = ", ".join(f"{k} ({v})" for k, v in PARTICIPANT_DIMENSIONS.items())
#: the dimensions read from what is recorded around the steps (interventions, placements, deadlines …)
_RECORDED_HELP = "; from the records: " + "; ".join(f"{k} ({v})" for k, v in dimensions.describe().items())

Workflow = Annotated[str, typer.Option("--workflow", "-w", help="the workflow to report on")]
From = Annotated[str | None, typer.Option("--from", help="first day of the period, YYYY-MM-DD")]
To = Annotated[str | None, typer.Option("--to", help="last day of the period, YYYY-MM-DD")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="read the history as it stood at the end of this day (default today)")]
Format = Annotated[ReportFormat, typer.Option("--format", "-f", help="table, csv, json (stable contract), markdown or xlsx (needs --output)")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="write to this file instead of the screen")]
MinCell = Annotated[int | None, typer.Option("--min-cell", min=0, help=f"in csv/markdown/xlsx, show counts below this as '<N' [default {DEFAULT_MIN_CELL}; 0 shows all]", show_default=False)]
AgeBands = Annotated[str, typer.Option("--age-bands", help="lower bounds of the age bands")]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValue(option, value, "give a date as YYYY-MM-DD, e.g. 2010-12-31") from None


def _dimensions(by: str) -> list[str]:
    return [part.strip() for part in by.split(",") if part.strip()]


def _emit(ctx: typer.Context, workflow: str, build: builders.Builder, fmt: ReportFormat, output: Path | None,
          min_cell: int | None, period_from: str | None, period_to: str | None, as_of: str | None,
          age_bands: str = ",".join(map(str, DEFAULT_AGE_BANDS)), permission: str = "report.read") -> None:
    if fmt == ReportFormat.XLSX and output is None:
        raise BadInput("--format xlsx writes a workbook; give the file with --output FILE.xlsx")
    if fmt == ReportFormat.XLSX and output is not None and output.suffix.lower() != ".xlsx":
        raise InvalidValue("--output", str(output), "a workbook file name ends in .xlsx")
    if min_cell is not None and fmt not in _EXPORTS:
        print_note(f"--min-cell applies to csv, markdown and xlsx; {fmt.value} shows true counts")
    threshold = (DEFAULT_MIN_CELL if min_cell is None else min_cell) if fmt in _EXPORTS else 0
    tables = reporting.run(state(ctx).services(), workflow, build, _day(period_from, "--from"), _day(period_to, "--to"),
                         _day(as_of, "--as-of"), parse_age_bands(age_bands), name=ctx.info_name or "report",
                         permission=permission)
    _write(tables, fmt, output, threshold)


def _write(tables: list[ReportTable], fmt: ReportFormat, output: Path | None, min_cell: int) -> None:
    if fmt == ReportFormat.XLSX:
        assert output is not None
        try:
            create_private(output)
            render.write_xlsx(tables, output, min_cell)
        except OSError as err:
            raise BadInput(f"cannot write {output}: {err.strerror}") from None
        console.print(f"wrote {output} ({len(tables)} sheet{'s' if len(tables) != 1 else ''})", markup=False)
    elif fmt == ReportFormat.JSON:
        write_text(render.as_json(tables), output)
    elif fmt == ReportFormat.CSV:
        write_text(render.as_csv(tables, min_cell), output)
    elif fmt == ReportFormat.MARKDOWN:
        write_text(render.as_markdown(tables, min_cell), output)
    elif output is not None:
        from rich.console import Console

        create_private(output)
        with output.open("w", encoding="utf-8") as handle:
            render.as_rich(tables, Console(file=handle, width=200, highlight=False, emoji=False))
        console.print(f"wrote {output}", markup=False)
    else:
        render.as_rich(tables, console)


@app.command()
def participants(
    ctx: typer.Context,
    workflow: Workflow,
    by: Annotated[str, typer.Option("--by", help=f"dimensions, comma-separated: any attribute, or {_DIMENSIONS_HELP}{_RECORDED_HELP}")] = "age_band,gender",
    active: Annotated[bool, typer.Option("--active", help="count everyone in the project during the period, not only those enrolled in it")] = False,
    period_from: From = None, period_to: To = None, as_of: AsOf = None,
    age_bands: AgeBands = ",".join(map(str, DEFAULT_AGE_BANDS)),
    fmt: Format = ReportFormat.TABLE, output: Output = None, min_cell: MinCell = None,
) -> None:
    """Participants enrolled in the period, counted by any dimensions, with totals and shares.

    Example: pathway report participants --workflow utrikesfodda --by age_band,gender --from 2009-02-01 --to 2010-12-31
    """
    _emit(ctx, workflow, builders.participants(_dimensions(by), active), fmt, output, min_cell,
          period_from, period_to, as_of, age_bands)


@app.command()
def exits(
    ctx: typer.Context,
    workflow: Workflow,
    by: Annotated[str, typer.Option("--by", help="dimensions, comma-separated: " + ", ".join(f"{k} ({v})" for k, v in EXIT_DIMENSIONS.items()) + ", any attribute, age_band, year" + _RECORDED_HELP)] = "reason,gender",
    with_open: Annotated[bool, typer.Option("--with-open", help="add a row for participants still in the project at the end of the period")] = False,
    period_from: From = None, period_to: To = None, as_of: AsOf = None,
    age_bands: AgeBands = ",".join(map(str, DEFAULT_AGE_BANDS)),
    fmt: Format = ReportFormat.TABLE, output: Output = None, min_cell: MinCell = None,
) -> None:
    """Exits in the period by reason (and any other dimensions), with totals and shares.

    Example: pathway report exits --workflow ljusnarsberg_rehab --by reason,gender --from 2007-01-01 --to 2007-12-31 --with-open
    """
    _emit(ctx, workflow, builders.exits(_dimensions(by), with_open), fmt, output, min_cell,
          period_from, period_to, as_of, age_bands)


@app.command()
def outcomes(ctx: typer.Context, workflow: Workflow, period_from: From = None, period_to: To = None,
             as_of: AsOf = None, fmt: Format = ReportFormat.TABLE, output: Output = None,
             min_cell: MinCell = None,
             exited_only: Annotated[bool, typer.Option("--exited-only", help="leave out participants still in the project (counted as ongoing)")] = False) -> None:
    """Participants per outcome (exit reason plus the exit's outcome list; several may apply), and
    those still in the project at the end of the period, counted as ongoing. Counts only: no
    participant is listed.

    Example: pathway report outcomes --workflow kraft --format markdown
    """
    build = builders.exited_outcomes if exited_only else builders.outcomes
    _emit(ctx, workflow, build, fmt, output, min_cell, period_from, period_to, as_of)


@app.command()
def goals(ctx: typer.Context, workflow: Workflow, period_from: From = None, period_to: To = None,
          as_of: AsOf = None, fmt: Format = ReportFormat.TABLE, output: Output = None) -> None:
    """Each result goal of the workflow: numerator, denominator, share, met, still inside the window.

    Example: pathway report goals --workflow utrikesfodda --as-of 2010-12-31
    """
    _emit(ctx, workflow, builders.goals, fmt, output, None, period_from, period_to, as_of)


@app.command()
def flow(ctx: typer.Context, workflow: Workflow, period_from: From = None, period_to: To = None,
         as_of: AsOf = None, fmt: Format = ReportFormat.TABLE, output: Output = None,
         min_cell: MinCell = None,
         by: Annotated[str | None, typer.Option("--by", help="split each step by one dimension (any that participants takes, e.g. gender, deadline, intervention)", show_default=False)] = None,
         age_bands: AgeBands = ",".join(map(str, DEFAULT_AGE_BANDS))) -> None:
    """Per step: entered, re-entered, in it now, median and 90th-percentile days, overdue, escalations.

    Example: pathway report flow --workflow flen_tripartite --by deadline
    """
    _emit(ctx, workflow, builders.flow_by(by.strip() if by else None), fmt, output, min_cell, period_from, period_to,
          as_of, age_bands)


@app.command("before-after")
def before_after(
    ctx: typer.Context, workflow: Workflow, period_from: From = None, period_to: To = None,
    as_of: AsOf = None, fmt: Format = ReportFormat.TABLE, output: Output = None, min_cell: MinCell = None,
    field: Annotated[str | None, typer.Option("--field", help="attributes to compare, comma-separated [default: income_source,af_code]", show_default=False)] = None,
    start_within: Annotated[str, typer.Option("--start-within", help="the value at start is the first recorded within this long after enrolment (days or weeks)")] = "0d",
    wave: Annotated[list[str] | None, typer.Option("--wave", help="a named follow-up: NAME=YYYY-MM-DD, the situation at the end of that day (repeatable)", show_default=False)] = None,
) -> None:
    """Each field at start, at exit and at follow-up waves, for participants who exited in the period.

    Example: pathway report before-after --workflow utrikesfodda --field af_code --wave jan-2011=2011-01-31 --to 2010-12-31
    """
    from pathway.reports.before_after import parse_wave, parse_window

    build = builders.before_after_of(_dimensions(field) if field else None, parse_window(start_within),
                                    [parse_wave(w) for w in wave or []])
    _emit(ctx, workflow, build, fmt, output, min_cell, period_from, period_to, as_of)


@app.command()
def corrections(ctx: typer.Context, workflow: Workflow, period_from: From = None, period_to: To = None,
                as_of: AsOf = None,
                since: Annotated[str | None, typer.Option("--since", help="only corrections recorded on or after this day (when the period was reported), YYYY-MM-DD")] = None,
                fmt: Format = ReportFormat.TABLE, output: Output = None) -> None:
    """Corrections (undo, reopen, void, exit, attribute, consent and plan entries) with previous and corrected values.

    --from/--to choose them by the time of what they corrected; --since by when they were recorded,
    so a period reported on 15 January shows what has changed in it since.

    Example: pathway report corrections --workflow kraft --from 2026-01-01 --to 2026-06-30 --since 2026-07-15
    """
    from pathway.reports.corrections import corrections_table

    day = _day(since, "--since")
    _emit(ctx, workflow, lambda session, scope: [corrections_table(session, scope, day)], fmt, output, None,
          period_from, period_to, as_of, permission="report.records")


@app.command("all")
def all_tables(
    ctx: typer.Context, workflow: Workflow, period_from: From = None, period_to: To = None, as_of: AsOf = None,
    age_bands: AgeBands = ",".join(map(str, DEFAULT_AGE_BANDS)),
    fmt: Format = ReportFormat.XLSX, output: Output = None, min_cell: MinCell = None,
) -> None:
    """Every table above in one go: a workbook with a sheet per table for the funder's monthly report.

    Example: pathway report all --workflow ljusnarsberg_rehab --from 2007-01-01 --to 2007-12-31 --output rapport-2007.xlsx
    """
    _emit(ctx, workflow, builders.everything, fmt, output, min_cell, period_from, period_to, as_of, age_bands)


@app.command()
def circulation(
    ctx: typer.Context, period_from: From = None, period_to: To = None,
    per: Annotated[str, typer.Option("--per", help="year, quarter or month")] = "year",
    fmt: Format = ReportFormat.TABLE, output: Output = None, min_cell: MinCell = None,
) -> None:
    """People across projects (rundgång), per period: enrolled, in several projects, circulating
    (open elsewhere or left one within 180 days), re-enrolled, handed over. Counts only.

    Example: pathway report circulation --from 2026-01-01 --to 2026-12-31 --per quarter
    """
    from pathway.reports.circulation import Period

    try:
        period = Period(per)
    except ValueError:
        raise InvalidValue("--per", per, "use year, quarter or month") from None
    if fmt == ReportFormat.XLSX and output is None:
        raise BadInput("--format xlsx writes a workbook; give the file with --output FILE.xlsx")
    if min_cell is not None and fmt not in _EXPORTS:
        print_note(f"--min-cell applies to csv, markdown and xlsx; {fmt.value} shows true counts")
    threshold = (DEFAULT_MIN_CELL if min_cell is None else min_cell) if fmt in _EXPORTS else 0
    tables = reporting.circulation(state(ctx).services(), _day(period_from, "--from"), _day(period_to, "--to"), period)
    _write(tables, fmt, output, threshold)
