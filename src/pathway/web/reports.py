"""The reports page: the same tables and options as ``pathway report``, shown and downloaded."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.responses import Response

from pathway.errors import InvalidValue
from pathway.reports import builders
from pathway.reports import render as report_render
from pathway.reports.table import ReportTable
from pathway.services import reporting
from pathway.services.context import ServiceContext

#: kind → (Swedish name, whether it takes --by)
KINDS = {
    "participants": ("Deltagare (korstabell)", True),
    "exits": ("Avslut (korstabell)", True),
    "outcomes": ("Utfall", False),
    "goals": ("Resultatmål", False),
    "flow": ("Flöde per steg", False),
    "before-after": ("Före och efter", False),
    "all": ("Alla tabeller", False),
}
DEFAULT_BY = {"participants": "age_band,gender", "exits": "reason,gender"}
#: exports hide counts below this unless told otherwise (as ``pathway report``)
DEFAULT_MIN_CELL = 3


@dataclass(frozen=True)
class Options:
    workflow: str
    kind: str
    by: str
    period_from: date | None
    period_to: date | None
    as_of: date | None
    min_cell: int

    @classmethod
    def parse(cls, workflow: str, kind: str, by: str, period_from: str, period_to: str, as_of: str,
              min_cell: str) -> Options:
        if kind not in KINDS:
            raise InvalidValue("report", kind, "use one of: " + ", ".join(KINDS))
        if min_cell.strip() and not min_cell.strip().isdigit():
            raise InvalidValue("--min-cell", min_cell, "give a whole number, 0 shows all counts")
        return cls(workflow.strip(), kind, by.strip() or DEFAULT_BY.get(kind, ""), _day(period_from, "--from"),
                   _day(period_to, "--to"), _day(as_of, "--as-of"),
                   int(min_cell) if min_cell.strip() else DEFAULT_MIN_CELL)

    def builder(self) -> builders.Builder:
        dimensions = [p.strip() for p in self.by.split(",") if p.strip()]
        return {
            "participants": lambda: builders.participants(dimensions),
            "exits": lambda: builders.exits(dimensions),
            "outcomes": lambda: builders.outcomes,
            "goals": lambda: builders.goals,
            "flow": lambda: builders.flow,
            "before-after": lambda: builders.before_after,
            "all": lambda: builders.everything,
        }[self.kind]()


def _day(value: str, option: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValue(option, value, "give a date as YYYY-MM-DD, e.g. 2010-12-31") from None


def run(ctx: ServiceContext, options: Options) -> list[ReportTable]:
    return reporting.run(ctx, options.workflow, options.builder(), options.period_from, options.period_to,
                       options.as_of)


def html_grid(table: ReportTable) -> tuple[list[str], list[list[Any]]]:
    """On screen the true counts, as ``pathway report`` prints them on a terminal."""
    header, rows = report_render.grid(table, 0)
    return header, [[str(c) if c is not None else "" for c in row] for row in rows]


def download(ctx: ServiceContext, options: Options, fmt: str) -> Response:
    tables = run(ctx, options)
    name = f"{options.workflow}-{options.kind}"
    if fmt == "csv":
        return Response(report_render.as_csv(tables, options.min_cell), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        buffer = io.BytesIO()
        report_render.write_xlsx(tables, buffer, options.min_cell)
        return Response(buffer.getvalue(),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    raise InvalidValue("format", fmt, "use csv or xlsx")
