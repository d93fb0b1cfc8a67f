"""The funder's workbook (openpyxl): a sheet per table, in Swedish, ready to print and to chart.

Each sheet is named in Swedish from the table and its dimensions ("Deltagare – Ålder, Kön"), its
header names the measures in Swedish, counts hidden by suppression are shaded and italic, the
header row carries an autofilter, and the page is set up for printing (landscape, one page wide,
the header row repeated, page numbers in the footer). Flow, exits and goals get a bar chart beside
the table. Numbers stay numbers and shares are numbers formatted 0.0 %, so a funder can sum them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pathway.reports.render import SECONDARY, Share, grid, suppression_note
from pathway.reports.table import ReportTable

#: what each report is called on its sheet
TABLE_NAMES = {"participants": "Deltagare", "exits": "Avslut", "outcomes": "Utfall",
               "goals": "Resultatmål", "flow": "Flöde genom stegen", "before_after": "Före och efter"}

#: measures and fixed column heads in Swedish
HEADINGS = {
    "count": "Antal", "%": "Andel", "Total": "Summa",
    "goal": "Mål", "period": "Period", "target_share": "Målandel", "target_count": "Målantal",
    "numerator": "Uppfyllt", "denominator": "Underlag", "share": "Andel", "met": "Målet nått",
    "inside_window": "Ännu inom tiden", "inside_window_met": "Ännu inom tiden, uppfyllt", "excluded": "Undantagna",
    "step": "Steg", "entered": "Inträden", "participants": "Deltagare", "re_entered": "Åter i steget",
    "in_now": "I steget nu", "median_days": "Median, dagar", "p90_days": "90:e percentilen, dagar",
    "overdue_now": "Försenade nu", "escalations": "Eskaleringar",
    "field": "Variabel", "value": "Värde", "at_enrolment": "Vid start", "at_exit": "Vid avslut", "ref": "Deltagare",
    # dimensions that are not attributes (attributes carry their own Swedish titles)
    "age_band": "Ålder", "year": "År", "status": "Status", "reason": "Orsak till avslut", "exit_year": "År för avslut",
    "intervention": "Insats", "intervention_started": "Insats påbörjad", "intervention_ended": "Insats avslutad",
    "placement": "Placering", "placement_started": "Placering påbörjad", "placement_ended": "Placering avslutad",
    "placement_hours": "Timmar i placering mot målet", "deadline": "Frist", "outcome": "Utfall",
}
#: values printed in English by the text formats
WORDS = {"yes": "ja", "no": "nej", "(not recorded)": "(ej registrerat)", "open": "pågår", "exited": "avslutad",
         "Still in the project at the end of the period": "Fortsatt i projektet efter perioden"}

SHADE = "DDDDDD"


def heading(table: ReportTable, name: str) -> str:
    """The Swedish name of a dimension or measure: the table's own title for it, else the fixed list."""
    if name in table.dimension_titles:
        return table.dimension_titles[name]
    kind, _, argument = name.partition(":")
    if kind == "count" and argument:
        return f"Antal valda: {table.dimension_titles.get(argument, argument)}"
    if kind == "deadline" and argument:
        return f"Frist: {argument}"
    return HEADINGS.get(kind if argument else name, name)


def sheet_title(table: ReportTable) -> str:
    base = TABLE_NAMES.get(table.name, table.name)
    if not table.is_crosstab:
        return base
    return f"{base} – {', '.join(heading(table, d) for d in table.dimensions)}"


def write(tables: Sequence[ReportTable], path: Any, min_cell: int) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    shaded = PatternFill("solid", start_color=SHADE, end_color=SHADE)
    for table in tables:
        title = sheet_title(table)
        sheet = workbook.create_sheet(sheet_name(title, used))
        _append(sheet, [_caption(table, title)])
        sheet["A1"].font = Font(bold=True, size=12)
        header, rows = grid(table, min_cell)
        _append(sheet, [_head(table, h) for h in header])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        first_data = 3
        for row in rows:
            _append(sheet, [_value(c) for c in row])
            for cell, value, name in zip(sheet[sheet.max_row], row, header):
                if isinstance(value, Share) or (name in ("share", "target_share") and isinstance(value, float)):
                    cell.number_format = "0.0%"
                elif isinstance(value, str) and (value == SECONDARY or (value.startswith("<") and value[1:].isdigit())):
                    cell.fill = shaded
                    cell.font = Font(italic=True, color="555555")
                    cell.alignment = Alignment(horizontal="right")
        last_data = sheet.max_row
        has_total = bool(rows) and str(rows[-1][0]).startswith("Total")
        if has_total:
            for cell in sheet[last_data]:
                cell.font = Font(bold=True)
        for note in table.notes:
            _append(sheet, [note])
        if min_cell > 1 and (table.is_crosstab or table.suppressible):
            _append(sheet, [suppression_note(min_cell)])
        for index, name in enumerate(header, start=1):
            width = max([len(str(_head(table, name)))] + [len(str(r[index - 1])) for r in rows if index - 1 < len(r)])
            sheet.column_dimensions[get_column_letter(index)].width = min(45, width + 2)
        sheet.freeze_panes = "B3"
        filtered_to = last_data - 1 if has_total else last_data
        if filtered_to >= first_data:
            sheet.auto_filter.ref = f"A2:{get_column_letter(len(header))}{filtered_to}"
        _print_setup(sheet)
        _chart(sheet, table, header, first_data, filtered_to)
    workbook.save(path)


def _head(table: ReportTable, name: str) -> str:
    if " \\ " in name:  # a pivot's corner: "down \\ across"
        down, across = name.split(" \\ ")
        return f"{heading(table, down)} \\ {heading(table, across)}"
    return heading(table, name) if name in table.dimensions or name in table.measures or name in HEADINGS \
        else WORDS.get(name, name)


def _append(sheet: Any, values: list[Any]) -> None:
    """A row of values, every text written as text: openpyxl makes a formula of a string that starts
    with '=', so a ref or label typed as ``=HYPERLINK(…)`` would run in the funder's Excel. (pathway
    writes no formulas; the charts read the cells.)"""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def _value(cell: Any) -> Any:
    if isinstance(cell, Share):
        return float(cell)
    if isinstance(cell, str):
        if cell.startswith("Total"):
            return "Summa" + cell[len("Total"):]
        return WORDS.get(cell, cell)
    return cell


def _caption(table: ReportTable, title: str) -> str:
    scope = table.scope
    period = f"{scope.get('from') or 'start'} – {scope.get('to') or scope.get('as_of')}"
    return f"{title} · {scope.get('workflow')} · {period} · per {scope.get('as_of')} · totalt {table.total}"


def _print_setup(sheet: Any) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:2"
    sheet.print_options.gridLines = True
    sheet.oddFooter.center.text = "Sida &P av &N"
    sheet.oddHeader.left.text = "&A"


#: which tables get a chart, and which columns it shows (by header name; None: every count column)
CHARTS = {"flow": ["participants", "in_now", "re_entered"], "exits": None, "goals": ["share", "target_share"]}


def _chart(sheet: Any, table: ReportTable, header: list[str], first: int, last: int) -> None:
    """A clustered bar chart beside the table: flow per step, exits per reason, goals' share and target."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.utils import get_column_letter

    if table.name not in CHARTS or last < first:
        return
    wanted = CHARTS[table.name]
    if wanted is None:
        # a cross-tab: every column of counts (not the row total, not the share)
        columns = [i for i, h in enumerate(header, start=1) if i > 1 and h not in ("Total", "%")]
        if len(table.dimensions) != 2:
            columns = [header.index("count") + 1] if "count" in header else []
    else:
        columns = [header.index(m) + 1 for m in wanted if m in header]
    if not columns:
        return
    chart = BarChart()
    chart.type = "bar" if table.name == "exits" else "col"
    chart.title = sheet_title(table)
    chart.y_axis.title = "Andel" if table.name == "goals" else "Antal"
    chart.height, chart.width = 9, 18
    for column in columns:
        data = Reference(sheet, min_col=column, min_row=2, max_row=last)
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
    if table.name == "goals":
        chart.y_axis.number_format = "0%"
    sheet.add_chart(chart, f"{get_column_letter(len(header) + 2)}2")


def sheet_name(name: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, unique, none of []:*?/\\."""
    clean = "".join("-" if c in "[]:*?/\\" else c for c in name)[:31].strip()
    candidate, suffix = clean, 2
    while candidate in used:
        candidate = f"{clean[:27].strip()} ({suffix})"
        suffix += 1
    used.add(candidate)
    return candidate


__all__ = ["HEADINGS", "sheet_name", "sheet_title", "write"]
