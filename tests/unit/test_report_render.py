"""Rendering report tables: the seeds' pivot layout, small-count suppression, workbooks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from openpyxl import load_workbook

from pathway.reports import render, workbook
from pathway.reports.table import ReportTable
from pathway.spreadsheet import safe_text


def crosstab() -> ReportTable:
    rows = [{"age_band": band, "gender": gender, "count": n}
            for band, counts in (("25-29", (1, 2)), ("30-39", (29, 24)), ("60-", (0, 0)))
            for gender, n in zip(("female", "male"), counts)]
    return ReportTable(name="participants", title="Participants", dimensions=["age_band", "gender"], rows=rows,
                       total=56, labels={"gender": {"female": "Kvinna", "male": "Man"}}, dimension_titles={"gender": "Kön"},
                       scope={"workflow": "utrikesfodda", "from": "2009-02-01", "to": "2010-12-31", "as_of": "2011-01-15"})


def test_two_dimensions_pivot_with_totals_and_shares() -> None:
    header, rows = render.grid(crosstab())
    assert header == ["age_band \\ gender", "Kvinna", "Man", "Total", "%"]
    assert rows[0] == ["25-29", 1, 2, 3, "5.4 %"]
    assert rows[1] == ["30-39", 29, 24, 53, "94.6 %"]
    assert rows[2] == ["60-", 0, 0, 0, "0.0 %"]
    assert rows[-1] == ["Total", 30, 26, 56, "100.0 %"]


def test_exports_hide_small_counts_but_json_keeps_them() -> None:
    table = crosstab()
    lines = list(csv.reader(io.StringIO(render.as_csv([table], min_cell=3))))
    assert lines[1] == ["25-29", "<3", "<3", "3", "5.4 %"]
    assert lines[3] == ["60-", "0", "0", "0", "0.0 %"]             # zero is not a person to hide
    assert "| 25-29 | <3 | <3 | 3 | 5.4 % |" in render.as_markdown([table], min_cell=3)
    assert lines[2] == ["30-39", "..", "..", "53", "94.6 %"]       # else 30 - 29 - 0 gives the 1 away
    assert "Counts below 3 are shown as <3; .. hides a count" in render.as_markdown([table], min_cell=3)
    open_csv = list(csv.reader(io.StringIO(render.as_csv([table], min_cell=0))))
    assert open_csv[1] == ["25-29", "1", "2", "3", "5.4 %"]
    body = json.loads(render.as_json([table]))
    assert body["dimensions"] == ["age_band", "gender"] and body["total"] == 56
    assert {"age_band": "25-29", "gender": "female", "count": 1} in body["rows"]


def test_csv_writes_labels_a_spreadsheet_would_run_as_text_and_counts_as_numbers() -> None:
    """A label from the workflow or a value typed as a formula gets a leading apostrophe in CSV (the
    spreadsheet shows it as typed); counts, shares and the other cells are written as before."""
    table = ReportTable(name="exits", title="Exits", dimensions=["reason"], total=7,
                        rows=[{"reason": "=cmd|' /C calc'!A0", "count": 4}, {"reason": "work", "count": 3}],
                        labels={"reason": {"work": "@Arbete"}})
    lines = list(csv.reader(io.StringIO(render.as_csv([table], min_cell=0))))
    assert lines[1][0] == "'=cmd|' /C calc'!A0" and lines[1][1] == "4"
    assert lines[2][0] == "'@Arbete" and lines[2][1] == "3"
    assert render.grid(table)[1][0][0] == "=cmd|' /C calc'!A0"  # only the CSV text changes
    assert [safe_text(t) for t in ("-", "+46 70", "\t=1", "a=b", "25-29", "")] == [
        "'-", "'+46 70", "'\t=1", "a=b", "25-29", ""]


def test_one_dimension_is_a_count_and_share_list() -> None:
    table = ReportTable(name="exits", title="Exits", dimensions=["reason"], total=4,
                        rows=[{"reason": "work", "count": 3}, {"reason": "moved", "count": 1}],
                        labels={"reason": {"work": "Arbete"}})
    header, rows = render.grid(table, min_cell=0)
    assert header == ["reason", "count", "%"]
    assert rows == [["Arbete", 3, "75.0 %"], ["moved", 1, "25.0 %"], ["Total", 4, "100.0 %"]]


def test_outcomes_are_counts_per_outcome_suppressed_like_any_count() -> None:
    """Several outcomes per participant: shares are of the participants, small counts hidden in exports,
    and no sum ties the counts to the total, so nothing else needs hiding."""
    table = ReportTable(name="outcomes", title="Outcomes", dimensions=["outcome"], total=5,
                        rows=[{"outcome": "health_care", "count": 4}, {"outcome": "social_services", "count": 2},
                              {"outcome": "work", "count": 0}, {"outcome": "ongoing", "count": 1}],
                        labels={"outcome": {"health_care": "Sjukvård", "social_services": "Socialtjänsten",
                                            "work": "Arbete", "ongoing": "Pågående i projektet"}})
    header, rows = render.grid(table, min_cell=3)
    assert header == ["outcome", "count", "%"]
    assert rows == [["Sjukvård", 4, "80.0 %"], ["Socialtjänsten", "<3", ""], ["Arbete", 0, "0.0 %"],
                    ["Pågående i projektet", "<3", ""], ["Total", 5, "100.0 %"]]
    assert render.grid(table, min_cell=0)[1][1] == ["Socialtjänsten", 2, "40.0 %"]


def test_workbook_has_a_sheet_per_table_with_numbers_as_numbers(tmp_path: Path) -> None:
    exits = ReportTable(name="exits", title="Exits", dimensions=["reason"], total=1,
                        rows=[{"reason": "work", "count": 1}])
    path = tmp_path / "rapport.xlsx"
    render.write_xlsx([crosstab(), exits], path, min_cell=0)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Deltagare – Ålder, Kön", "Avslut – Orsak till avslut"]
    sheet = workbook["Deltagare – Ålder, Kön"]
    assert sheet["A1"].value.startswith("Deltagare – Ålder, Kön · utrikesfodda · 2009-02-01 – 2010-12-31")
    assert [c.value for c in sheet[2]] == ["Ålder \\ Kön", "Kvinna", "Man", "Summa", "Andel"]
    assert [c.value for c in sheet[4]][:4] == ["30-39", 29, 24, 53]
    share = sheet.cell(row=4, column=5)
    assert abs(share.value - 53 / 56) < 1e-9 and share.number_format == "0.0%"   # a number Excel can sum


def test_workbook_writes_text_that_looks_like_a_formula_as_text(tmp_path: Path) -> None:
    """A ref typed as '=HYPERLINK(…)' (the corrections report lists refs) is a text cell, not a formula
    that would run when the funder opens the workbook."""
    typed = '=HYPERLINK("http://example.invalid","klicka")'
    corrections = ReportTable(name="corrections", title="Corrections", dimensions=["ref"], total=1,
                              rows=[{"ref": typed, "count": 1}], notes=["=1+1"])
    path = tmp_path / "rapport.xlsx"
    render.write_xlsx([corrections], path, min_cell=0)
    sheet = load_workbook(path).active
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert any(cell.value == typed for cell in cells) and any(cell.value == "=1+1" for cell in cells)
    assert all(cell.data_type != "f" for cell in cells)


def test_sheet_names_fit_excel_rules() -> None:
    """At most 31 characters, unique, none of Excel's forbidden characters."""
    used: set[str] = set()
    long = "Deltagare – Remitterande myndighet, Kön, Utbildningsnivå"
    first, second = workbook.sheet_name(long, used), workbook.sheet_name(long, used)
    assert len(first) <= 31 and len(second) <= 31 and first != second
    assert workbook.sheet_name("Frist: a/b [c]", used) == "Frist- a-b -c-"


def test_workbook_styles_hidden_counts_filters_prints_and_charts(tmp_path: Path) -> None:
    """Suppressed cells shaded, an autofilter over the data, landscape one page wide, and charts for
    flow, exits and goals with Swedish measure names."""
    exits = ReportTable(name="exits", title="Exits", dimensions=["reason"], total=9,
                        rows=[{"reason": "work", "count": 1}, {"reason": "moved", "count": 8}],
                        labels={"reason": {"work": "Arbete", "moved": "Flyttat"}})
    flow = ReportTable(name="flow", title="Flow", dimensions=["step"], measures=["entered", "participants", "in_now",
                                                                              "re_entered", "median_days"],
                       rows=[{"step": "a", "entered": 5, "participants": 5, "in_now": 2, "re_entered": 0,
                              "median_days": 3.0}, {"step": "b", "entered": 4, "participants": 4, "in_now": 3,
                                                    "re_entered": 1, "median_days": None}],
                       total=5, suppressible=["entered", "participants", "in_now", "re_entered"])
    goals = ReportTable(name="goals", title="Goals", dimensions=["goal"], measures=["target_share", "share", "met"],
                        rows=[{"goal": "g", "target_share": 0.5, "share": 0.25, "met": False}], total=4)
    path = tmp_path / "rapport.xlsx"
    render.write_xlsx([crosstab(), exits, flow, goals], path, min_cell=3)
    book = load_workbook(path)
    sheet = book["Deltagare – Ålder, Kön"]
    assert sheet["B3"].value == "<3" and sheet["B3"].fill.start_color.rgb.endswith(workbook.SHADE)
    assert sheet["B4"].value == ".." and sheet["B4"].font.italic
    assert sheet["C4"].fill.start_color.rgb.endswith(workbook.SHADE) and sheet["D4"].value == 53
    assert sheet.auto_filter.ref == "A2:E5"                                  # the data rows, not the sum row
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$2"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert [c.value for c in book["Flöde genom stegen"][2]] == ["Steg", "Inträden", "Deltagare", "I steget nu",
                                                               "Åter i steget", "Median, dagar"]
    assert [c.value for c in book["Resultatmål"][3]] == ["g", 0.5, 0.25, "nej"]
    assert book["Resultatmål"]["C3"].number_format == "0.0%"
    charted = {name: len(book[name]._charts) for name in book.sheetnames}
    assert charted == {"Deltagare – Ålder, Kön": 0, "Avslut – Orsak till avslut": 1, "Flöde genom stegen": 1,
                       "Resultatmål": 1}


def test_people_counts_among_measures_are_suppressed_but_days_and_goals_are_not() -> None:
    flow = ReportTable(name="flow", title="Flow", dimensions=["step"], measures=["entered", "median_days"],
                       rows=[{"step": "referral", "entered": 2, "median_days": 1.5}], total=5,
                       suppressible=["entered"])
    assert render.grid(flow, min_cell=3)[1] == [["referral", "<3", 1.5]]
    assert render.grid(flow, min_cell=0)[1] == [["referral", 2, 1.5]]
    goals = ReportTable(name="goals", title="Goals", dimensions=["goal"], measures=["numerator", "met"],
                        rows=[{"goal": "g", "numerator": 1, "met": False}], total=1)
    assert render.grid(goals, min_cell=3)[1] == [["g", 1, "no"]]


def test_the_terminal_table_prints_labels_as_written_never_as_markup() -> None:
    """A label or title holding '[' (from a workflow file) is printed as written; a '[/bold]' was an
    internal error when cells were Rich markup."""
    from rich.console import Console

    table = crosstab()
    table.title = "Deltagare [/bold] [red]"
    table.labels = {"gender": {"female": "Kvinna [b]", "male": "Man [/i]"}}
    out = io.StringIO()
    render.as_rich([table], Console(file=out, width=200, emoji=False))
    assert "Deltagare [/bold] [red]" in out.getvalue()
    assert "Kvinna [b]" in out.getvalue() and "Man [/i]" in out.getvalue()
