"""Report tables as text (Rich table, CSV, Markdown), JSON, and Excel workbooks.

Cross-tabs of two dimensions are printed as the seeds print them — the first dimension down, the
second across, with totals and percentages; one dimension gives a count and a share; three or more
are long. JSON is the stable contract (``ReportTable.to_json``) and always carries true counts.

Small-number suppression (as statistics offices do): in CSV, Markdown and Excel every count from 1
up to ``min_cell - 1`` is shown as ``<min_cell`` and its share left out, so a single person cannot be
picked out of an exported table. Totals are shown as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from pathway.reports.table import ReportTable

Cell = Any


def grid(table: ReportTable, min_cell: int = 0) -> tuple[list[str], list[list[Cell]]]:
    """The table as a header and rows of cells, ready for any text or sheet format."""
    if table.marks:
        return _matrix(table)
    if not table.is_crosstab:
        return _measures(table, min_cell)
    if len(table.dimensions) == 2:
        return _pivot(table, min_cell)
    return _long(table, min_cell)


def _count(n: int, min_cell: int) -> Cell:
    return f"<{min_cell}" if 0 < n < min_cell else n


class Share(float):
    """A share of the total: printed as ``5.4 %``, written to a workbook as a number formatted 0.0 %."""

    def __str__(self) -> str:
        return f"{100 * self:.1f} %"

    def __eq__(self, other: object) -> bool:
        return str(self) == other if isinstance(other, str) else float.__eq__(self, other)  # type: ignore[arg-type]

    __hash__ = float.__hash__


def _share(n: int, total: int, min_cell: int) -> Share | str:
    if not total or 0 < n < min_cell:
        return ""
    return Share(n / total)


def _long(table: ReportTable, min_cell: int) -> tuple[list[str], list[list[Cell]]]:
    header = [*table.dimensions, "count", "%"]
    rows = [[*(table.label(d, r[d]) for d in table.dimensions), _count(r["count"], min_cell),
             _share(r["count"], table.total, min_cell)] for r in table.rows]
    rows.append(["Total", *[""] * (len(table.dimensions) - 1), table.total, Share(1.0) if table.total else ""])
    return header, rows


def _pivot(table: ReportTable, min_cell: int) -> tuple[list[str], list[list[Cell]]]:
    down, across = table.dimensions
    row_values = list(dict.fromkeys(r[down] for r in table.rows))
    column_values = list(dict.fromkeys(r[across] for r in table.rows))
    counts = {(r[down], r[across]): r["count"] for r in table.rows}
    header = [f"{down} \\ {across}", *(table.label(across, v) for v in column_values), "Total", "%"]
    rows: list[list[Cell]] = []
    for value in row_values:
        line = [counts.get((value, c), 0) for c in column_values]
        row_total = sum(line)
        rows.append([table.label(down, value), *(_count(n, min_cell) for n in line), _count(row_total, min_cell),
                     _share(row_total, table.total, min_cell)])
    column_totals = [sum(counts.get((v, c), 0) for v in row_values) for c in column_values]
    rows.append(["Total", *(_count(n, min_cell) for n in column_totals), table.total,
                 Share(1.0) if table.total else ""])
    return header, rows


def _matrix(table: ReportTable) -> tuple[list[str], list[list[Cell]]]:
    down, across = table.dimensions
    codes = list(table.labels.get(across, {}))
    marked = {(r[down], r[across]) for r in table.rows}
    codes += sorted({c for _ref, c in marked if c not in codes})
    used = [c for c in codes if any(code == c for _ref, code in marked)] or codes
    people = list(dict.fromkeys(r[down] for r in table.rows))
    header = [down, *(table.label(across, c) for c in used)]
    rows: list[list[Cell]] = [[who, *("X" if (who, c) in marked else "" for c in used)] for who in people]
    rows.append([f"Total ({table.total})", *(sum(1 for who in people if (who, c) in marked) for c in used)])
    return header, rows


def _measures(table: ReportTable, min_cell: int) -> tuple[list[str], list[list[Cell]]]:
    header = [*table.dimensions, *table.measures]
    rows = [[*(table.label(d, r[d]) for d in table.dimensions),
             *(_count(r[m], min_cell) if m in table.suppressible and r.get(m) is not None else _plain(r.get(m))
               for m in table.measures)]
            for r in table.rows]
    return header, rows


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
            writer.writerow([_caption(table)])
        header, rows = grid(table, min_cell)
        writer.writerow(header)
        writer.writerows([[str(c) if isinstance(c, Share) else c for c in row] for row in rows])
    return out.getvalue()


def as_markdown(tables: Sequence[ReportTable], min_cell: int) -> str:
    parts = []
    for table in tables:
        header, rows = grid(table, min_cell)
        lines = [f"### {_caption(table)}", "", "| " + " | ".join(_md(h) for h in header) + " |",
                 "| " + " | ".join("---" if i < _text_columns(table) else "---:" for i in range(len(header))) + " |"]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
        lines += [f"\n_{note}_" for note in table.notes]
        if min_cell > 1 and (table.is_crosstab or table.suppressible) and not table.marks:
            lines.append(f"\n_Counts below {min_cell} are shown as <{min_cell}._")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _text_columns(table: ReportTable) -> int:
    """How many leading columns hold names (left-aligned) rather than numbers."""
    pivoted = table.marks or (table.is_crosstab and len(table.dimensions) == 2)
    return 1 if pivoted else len(table.dimensions)


def _md(value: Cell) -> str:
    return str(value).replace("|", "\\|")


def as_rich(tables: Sequence[ReportTable], console: Console) -> None:
    for table in tables:
        header, rows = grid(table, 0)
        rich_table = Table(title=_caption(table), title_justify="left")
        text_columns = _text_columns(table)
        for index, name in enumerate(header):
            rich_table.add_column(str(name), justify="left" if index < text_columns else "right")
        for row in rows:
            rich_table.add_row(*(str(c) for c in row))
        console.print(rich_table)
        for note in table.notes:
            console.print(f"note: {note}", markup=False)


def write_xlsx(tables: Sequence[ReportTable], path: Any, min_cell: int) -> None:
    """One workbook, a sheet per table, numbers as numbers (openpyxl)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        base = table.name if table.marks or not table.is_crosstab else "_".join([table.name, *table.dimensions])
        sheet = workbook.create_sheet(_sheet_name(base, used))
        sheet.append([_caption(table)])
        sheet["A1"].font = Font(bold=True)
        header, rows = grid(table, min_cell)
        sheet.append(header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([float(c) if isinstance(c, Share) else c for c in row])
            for cell, value in zip(sheet[sheet.max_row], row):
                if isinstance(value, Share):
                    cell.number_format = "0.0%"
        for note in table.notes:
            sheet.append([note])
        if min_cell > 1 and (table.is_crosstab or table.suppressible) and not table.marks:
            sheet.append([f"Counts below {min_cell} are shown as <{min_cell}."])
        for index, name in enumerate(header, start=1):
            width = max([len(str(name))] + [len(str(r[index - 1])) for r in rows if index - 1 < len(r)])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, width + 2)
        sheet.freeze_panes = "B3"
    workbook.save(path)


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, unique, none of []:*?/\\."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in name)[:31]
    candidate, suffix = clean, 2
    while candidate in used:
        candidate = f"{clean[:28]}_{suffix}"
        suffix += 1
    used.add(candidate)
    return candidate
