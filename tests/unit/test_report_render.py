"""Rendering report tables: the seeds' pivot layout, small-count suppression, workbooks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from openpyxl import load_workbook

from pathway.reports import render
from pathway.reports.table import ReportTable


def crosstab() -> ReportTable:
    rows = [{"age_band": band, "gender": gender, "count": n}
            for band, counts in (("25-29", (1, 2)), ("30-39", (29, 24)), ("60-", (0, 0)))
            for gender, n in zip(("female", "male"), counts)]
    return ReportTable(name="participants", title="Participants", dimensions=["age_band", "gender"], rows=rows,
                       total=56, labels={"gender": {"female": "Kvinna", "male": "Man"}},
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


def test_one_dimension_is_a_count_and_share_list() -> None:
    table = ReportTable(name="exits", title="Exits", dimensions=["reason"], total=4,
                        rows=[{"reason": "work", "count": 3}, {"reason": "moved", "count": 1}],
                        labels={"reason": {"work": "Arbete"}})
    header, rows = render.grid(table, min_cell=0)
    assert header == ["reason", "count", "%"]
    assert rows == [["Arbete", 3, "75.0 %"], ["moved", 1, "25.0 %"], ["Total", 4, "100.0 %"]]


def test_outcome_matrix_marks_crosses_and_totals_columns() -> None:
    table = ReportTable(name="outcomes", title="Outcomes", dimensions=["ref", "outcome"], total=2, marks=True,
                        rows=[{"ref": "AA", "outcome": "health_care", "count": 1},
                              {"ref": "AA", "outcome": "social_services", "count": 1},
                              {"ref": "BB", "outcome": "health_care", "count": 1}],
                        labels={"outcome": {"health_care": "Sjukvård", "social_services": "Socialtjänsten",
                                            "work": "Arbete"}})
    header, rows = render.grid(table, min_cell=3)                   # never suppressed
    assert header == ["ref", "Sjukvård", "Socialtjänsten"]
    assert rows == [["AA", "X", "X"], ["BB", "X", ""], ["Total (2)", 2, 1]]


def test_workbook_has_a_sheet_per_table_with_numbers_as_numbers(tmp_path: Path) -> None:
    exits = ReportTable(name="exits", title="Exits", dimensions=["reason"], total=1,
                        rows=[{"reason": "work", "count": 1}])
    path = tmp_path / "rapport.xlsx"
    render.write_xlsx([crosstab(), exits], path, min_cell=0)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["participants_age_band_gender", "exits_reason"]
    sheet = workbook["participants_age_band_gender"]
    assert sheet["A1"].value.startswith("Participants · utrikesfodda · 2009-02-01 – 2010-12-31")
    assert [c.value for c in sheet[2]] == ["age_band \\ gender", "Kvinna", "Man", "Total", "%"]
    assert [c.value for c in sheet[4]][:4] == ["30-39", 29, 24, 53]
    share = sheet.cell(row=4, column=5)
    assert abs(share.value - 53 / 56) < 1e-9 and share.number_format == "0.0%"   # a number Excel can sum


def test_sheet_names_fit_excel_rules() -> None:
    used: set[str] = set()
    long = "participants_referring_agency_gender_education"
    first, second = render._sheet_name(long, used), render._sheet_name(long, used)
    assert len(first) <= 31 and len(second) <= 31 and first != second


def test_people_counts_among_measures_are_suppressed_but_days_and_goals_are_not() -> None:
    flow = ReportTable(name="flow", title="Flow", dimensions=["step"], measures=["entered", "median_days"],
                       rows=[{"step": "referral", "entered": 2, "median_days": 1.5}], total=5,
                       suppressible=["entered"])
    assert render.grid(flow, min_cell=3)[1] == [["referral", "<3", 1.5]]
    assert render.grid(flow, min_cell=0)[1] == [["referral", 2, 1.5]]
    goals = ReportTable(name="goals", title="Goals", dimensions=["goal"], measures=["numerator", "met"],
                        rows=[{"goal": "g", "numerator": 1, "met": False}], total=1)
    assert render.grid(goals, min_cell=3)[1] == [["g", 1, "no"]]
