"""Report tables as text (Rich table, CSV, Markdown), JSON, and Excel workbooks.

Cross-tabs of two dimensions are printed as the seeds print them — the first dimension down, the
second across, with totals and percentages; one dimension gives a count and a share; three or more
are long. JSON is the stable contract (``ReportTable.to_json``) and always carries true counts.

Small-number suppression (as statistics offices do): in CSV, Markdown and Excel every count from 1
up to ``min_cell - 1`` is shown as ``<min_cell`` and its share left out, so a single person cannot be
picked out of an exported table; then (secondary suppression, :mod:`pathway.reports.suppress`) further
counts are shown as ``..`` until no hidden count can be worked back out of the printed totals.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pathway.reports.suppress import Equation, protect
from pathway.reports.table import ReportTable
from pathway.spreadsheet import safe_text

Cell = Any
#: how a count hidden to protect a small one is shown (Statistics Sweden's "..")
SECONDARY = ".."


def grid(table: ReportTable, min_cell: int = 0) -> tuple[list[str], list[list[Cell]]]:
    """The table as a header and rows of cells, ready for any text or sheet format."""
    if not table.is_crosstab:
        return _measures(table, min_cell)
    if len(table.dimensions) == 2:
        return _pivot(table, min_cell)
    return _long(table, min_cell)


def _count(n: int, min_cell: int) -> Cell:
    return f"<{min_cell}" if 0 < n < min_cell else n


class Hidden:
    """Which counts of one table an export hides: the small ones, and those that would give them away."""

    def __init__(self, values: dict[Any, int], equations: list[Equation], min_cell: int,
                 fixed: frozenset[Any] = frozenset()) -> None:
        self.min_cell = min_cell
        self.primary, self.secondary = protect(values, equations, min_cell, fixed)

    def __contains__(self, key: Any) -> bool:
        return key in self.primary or key in self.secondary

    def show(self, key: Any, n: int) -> Cell:
        if key in self.primary:
            return f"<{self.min_cell}"
        if key in self.secondary:
            return SECONDARY
        return n

    def share(self, key: Any, n: int, total: int) -> Share | str:
        return "" if key in self or not total else Share(n / total)


class Share(float):
    """A share of the total: printed as ``5.4 %``, written to a workbook as a number formatted 0.0 %."""

    def __str__(self) -> str:
        return f"{100 * self:.1f} %"

    def __eq__(self, other: object) -> bool:
        return str(self) == other if isinstance(other, str) else float.__eq__(self, other)

    __hash__ = float.__hash__


GRAND = ("grand",)


def long_hidden(table: ReportTable, min_cell: int) -> Hidden:
    """A list of counts and its total: the counts must not be recoverable from the total."""
    values = {("cell", i): r["count"] for i, r in enumerate(table.rows)} | {GRAND: table.total}
    equations = [Equation(tuple(k for k in values if k != GRAND), GRAND)]
    return Hidden(values, equations, min_cell, frozenset({GRAND}))


def _long(table: ReportTable, min_cell: int) -> tuple[list[str], list[list[Cell]]]:
    header = [*table.dimensions, "count", "%"]
    hidden = long_hidden(table, min_cell)
    rows = [[*(table.label(d, r[d]) for d in table.dimensions), hidden.show(("cell", i), r["count"]),
             hidden.share(("cell", i), r["count"], table.total)] for i, r in enumerate(table.rows)]
    rows.append(["Total", *[""] * (len(table.dimensions) - 1), table.total, Share(1.0) if table.total else ""])
    return header, rows


def pivot_hidden(table: ReportTable, min_cell: int) -> tuple[list[Any], list[Any], dict[Any, int], Hidden]:
    """The pivot's row and column values, every printed count by key, and what an export hides.

    Keys: ``("cell", row, column)``, ``("row", row)`` (row total), ``("col", column)`` (column
    total) and the grand total, which is always printed."""
    down, across = table.dimensions
    row_values = list(dict.fromkeys(r[down] for r in table.rows))
    column_values = list(dict.fromkeys(r[across] for r in table.rows))
    counts = {(r[down], r[across]): r["count"] for r in table.rows}
    values: dict[Any, int] = {("cell", v, c): counts.get((v, c), 0) for v in row_values for c in column_values}
    for v in row_values:
        values[("row", v)] = sum(counts.get((v, c), 0) for c in column_values)
    for c in column_values:
        values[("col", c)] = sum(counts.get((v, c), 0) for v in row_values)
    values[GRAND] = table.total
    equations = [Equation(tuple(("cell", v, c) for c in column_values), ("row", v)) for v in row_values]
    equations += [Equation(tuple(("cell", v, c) for v in row_values), ("col", c)) for c in column_values]
    equations += [Equation(tuple(("row", v) for v in row_values), GRAND),
                  Equation(tuple(("col", c) for c in column_values), GRAND)]
    return row_values, column_values, values, Hidden(values, equations, min_cell, frozenset({GRAND}))


def _pivot(table: ReportTable, min_cell: int) -> tuple[list[str], list[list[Cell]]]:
    down, across = table.dimensions
    row_values, column_values, values, hidden = pivot_hidden(table, min_cell)
    header = [f"{down} \\ {across}", *(table.label(across, v) for v in column_values), "Total", "%"]
    rows: list[list[Cell]] = []
    for value in row_values:
        line = [hidden.show(("cell", value, c), values[("cell", value, c)]) for c in column_values]
        row_total = values[("row", value)]
        rows.append([table.label(down, value), *line, hidden.show(("row", value), row_total),
                     hidden.share(("row", value), row_total, table.total)])
    rows.append(["Total", *(hidden.show(("col", c), values[("col", c)]) for c in column_values), table.total,
                 Share(1.0) if table.total else ""])
    return header, rows


def measures_hidden(table: ReportTable, min_cell: int) -> Hidden:
    """People counts among the measures: per measure, the rows that share all dimensions but the last
    (one field of before-after, all steps of flow) are an equation when they add up to the total."""
    values: dict[Any, int] = {GRAND: table.total}
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for i, r in enumerate(table.rows):
        for m in table.suppressible:
            if isinstance(r.get(m), int) and not isinstance(r.get(m), bool):
                values[(m, i)] = r[m]
                groups.setdefault((m, *(r[d] for d in table.dimensions[:-1])), []).append((m, i))
    equations = [Equation(tuple(keys), GRAND) for keys in groups.values()]
    return Hidden(values, equations, min_cell, frozenset({GRAND}))


def _measures(table: ReportTable, min_cell: int) -> tuple[list[str], list[list[Cell]]]:
    header = [*table.dimensions, *table.measures]
    hidden = measures_hidden(table, min_cell)
    rows = [[*(table.label(d, r[d]) for d in table.dimensions),
             *(hidden.show((m, i), r[m]) if (m, i) in hidden else _plain(r.get(m)) for m in table.measures)]
            for i, r in enumerate(table.rows)]
    return header, rows


def suppression_note(min_cell: int) -> str:
    return (f"Counts below {min_cell} are shown as <{min_cell}; {SECONDARY} hides a count that would give one "
            "away through the totals.")


def _plain(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _caption(table: ReportTable) -> str:
    scope = table.scope
    period = f"{scope.get('from') or 'start'} – {scope.get('to') or scope.get('as_of')}"
    return f"{table.title} · {scope.get('workflow')} · {period} · as of {scope.get('as_of')} · total {table.total}"


def as_json(tables: Sequence[ReportTable]) -> str:
    body: Any = tables[0].to_json() if len(tables) == 1 else {"tables": [t.to_json() for t in tables]}
    return json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n"


def as_csv(tables: Sequence[ReportTable], min_cell: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        if len(tables) > 1:
            writer.writerow([safe_text(_caption(table))])
        header, rows = grid(table, min_cell)
        writer.writerow([safe_text(str(h)) for h in header])
        writer.writerows([[str(c) if isinstance(c, Share) else safe_text(c) if isinstance(c, str) else c for c in row]
                          for row in rows])
    return out.getvalue()


def as_markdown(tables: Sequence[ReportTable], min_cell: int) -> str:
    parts = []
    for table in tables:
        header, rows = grid(table, min_cell)
        lines = [f"### {_caption(table)}", "", "| " + " | ".join(_md(h) for h in header) + " |",
                 "| " + " | ".join("---" if i < _text_columns(table) else "---:" for i in range(len(header))) + " |"]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
        lines += [f"\n_{note}_" for note in table.notes]
        if min_cell > 1 and (table.is_crosstab or table.suppressible):
            lines.append(f"\n_{suppression_note(min_cell)}_")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _text_columns(table: ReportTable) -> int:
    """How many leading columns hold names (left-aligned) rather than numbers."""
    pivoted = table.is_crosstab and len(table.dimensions) == 2
    return 1 if pivoted else len(table.dimensions)


def _md(value: Cell) -> str:
    return str(value).replace("|", "\\|")


def as_rich(tables: Sequence[ReportTable], console: Console) -> None:
    for table in tables:
        header, rows = grid(table, 0)
        # Text, not markup: a step title or label with '[' in the workflow file is printed as written
        rich_table = Table(title=Text(_caption(table)), title_justify="left")
        text_columns = _text_columns(table)
        for index, name in enumerate(header):
            rich_table.add_column(Text(str(name)), justify="left" if index < text_columns else "right")
        for row in rows:
            rich_table.add_row(*(Text(str(c)) for c in row))
        console.print(rich_table)
        for note in table.notes:
            console.print(f"note: {note}", markup=False)


def write_xlsx(tables: Sequence[ReportTable], path: Any, min_cell: int) -> None:
    """One workbook, a sheet per table, in Swedish, with charts (see :mod:`pathway.reports.workbook`)."""
    from pathway.reports import workbook

    workbook.write(tables, path, min_cell)
