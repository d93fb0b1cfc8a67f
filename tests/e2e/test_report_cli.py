"""`pathway report …` as a subprocess on the shipped Utrikesfödda workflow."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import Cli

NOW = "2011-01-15T10:00"
ATTRIBUTES = ["--attr", "education=compulsory", "--attr", "household=single_no_children",
              "--attr", "income_source=social_assistance", "--attr", "referring_agency=soc",
              "--attr", "born_abroad=true", "--attr", "unemployed=true", "--attr", "af_code=af_11"]


@pytest.fixture
def history(shipped_cli: Cli) -> Cli:
    shipped_cli.now = NOW
    people = [("U1", "female", "1975-05-01", "2009-03-02"), ("U2", "male", "1982-01-20", "2009-09-14"),
              ("U3", "male", "1966-11-30", "2010-04-06"), ("U4", "female", "1979-02-02", "2010-08-23")]
    for ref, gender, born, at in people:
        result = shipped_cli("participant", "enrol", "utrikesfodda", "--ref", ref, "--attr", f"gender={gender}",
                             "--attr", f"birth_date={born}", *ATTRIBUTES, "--at", at, "--reason", "from the old sheet")
        assert result.code == 0, result.stderr
    result = shipped_cli("participant", "fire", "U1", "exit", "--data", "reason=work", "--data",
                         "income_source_at_exit=salary", "--at", "2010-06-01", "--reason", "from the old sheet")
    assert result.code == 0, result.stderr
    return shipped_cli


def test_participants_json_is_the_documented_contract(history: Cli) -> None:
    result = history("report", "participants", "--workflow", "utrikesfodda", "--by", "age_band,gender",
                     "--from", "2009-02-01", "--to", "2010-12-31", "--format", "json")
    assert result.code == 0, result.stderr
    body = result.json()
    assert body["dimensions"] == ["age_band", "gender"]
    assert body["total"] == 4
    assert {"age_band": "30-39", "gender": "female", "count": 2} in body["rows"]
    assert {"age_band": "40-49", "gender": "male", "count": 1} in body["rows"]
    assert {"age_band": "25-29", "gender": "male", "count": 1} in body["rows"]
    assert body["from"] == "2009-02-01" and body["to"] == "2010-12-31" and body["as_of"] == "2011-01-15"


def test_csv_export_hides_small_counts_unless_told(history: Cli) -> None:
    result = history("report", "exits", "--workflow", "utrikesfodda", "--by", "reason", "--to", "2010-12-31",
                     "--with-open", "--format", "csv")
    lines = list(csv.reader(io.StringIO(result.stdout)))
    assert lines[0] == ["reason", "count", "%"]
    # the one exit is hidden, and the 3 still in too: else 4 - 3 would give the <3 away
    assert ["Still in the project at the end of the period", "..", ""] in lines
    assert any(line[1] == "<3" for line in lines if line and line[0].startswith("Arbete"))
    shown = history("report", "exits", "--workflow", "utrikesfodda", "--by", "reason", "--format", "csv",
                    "--min-cell", "0")
    assert any(line[:2] == [line[0], "1"] and line[0].startswith("Arbete")
               for line in csv.reader(io.StringIO(shown.stdout)) if line)


def test_all_tables_into_one_workbook(history: Cli, tmp_path: Path) -> None:
    target = tmp_path / "rapport.xlsx"
    result = history("report", "all", "--workflow", "utrikesfodda", "--to", "2010-12-31", "--output", str(target))
    assert result.code == 0, result.stderr
    workbook = load_workbook(target)
    for sheet in ("Deltagare – Ålder, Kön", "Deltagare – År, Kön", "Avslut – Orsak till avslut, Kön", "Resultatmål",
                  "Flöde genom stegen", "Före och efter"):
        assert sheet in workbook.sheetnames
    markdown = history("report", "goals", "--workflow", "utrikesfodda", "--format", "markdown")
    assert markdown.code == 0 and "| Minst 50 % av deltagarna" in markdown.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["participants", "--workflow", "utrikesfodda", "--by", "shoe_size"], "--by 'shoe_size'"),
    (["participants", "--workflow", "nowhere"], "unknown workflow 'nowhere'"),
    (["exits", "--workflow", "utrikesfodda", "--from", "2010-13-01"], "give a date as YYYY-MM-DD"),
    (["all", "--workflow", "utrikesfodda"], "give the file with --output FILE.xlsx"),
    (["participants", "--workflow", "utrikesfodda", "--age-bands", "30,20"], "rising whole ages"),
])
def test_bad_requests_get_one_line_and_exit_2(history: Cli, args: list[str], message: str) -> None:
    before = history.snapshot()
    result = history("report", *args)
    assert result.code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert history.snapshot() == before


def test_recorded_dimensions_flow_by_and_ongoing_outcomes_from_the_command_line(history: Cli) -> None:
    """--by intervention after 'intervention start', flow --by gender, outcomes marking the open as ongoing."""
    started = history("intervention", "start", "U2", "cbt", "--at", "2010-01-10", "--reason", "from the old sheet")
    assert started.code == 0, started.stderr
    kinds = history("report", "participants", "--workflow", "utrikesfodda", "--by", "intervention", "--format", "json")
    assert kinds.code == 0, kinds.stderr
    assert {"intervention": "cbt", "count": 1} in kinds.json()["rows"]
    flow = history("report", "flow", "--workflow", "utrikesfodda", "--by", "gender", "--format", "json").json()
    assert flow["dimensions"] == ["step", "gender"]
    assert {r["gender"] for r in flow["rows"]} >= {"female", "male"}
    outcomes = history("report", "outcomes", "--workflow", "utrikesfodda", "--format", "json").json()
    assert outcomes["dimensions"] == ["outcome"] and outcomes["total"] == 4
    assert {"outcome": "ongoing", "count": 3} in outcomes["rows"] and {"outcome": "work", "count": 1} in outcomes["rows"]
    exited = history("report", "outcomes", "--workflow", "utrikesfodda", "--exited-only", "--format", "json").json()
    assert exited["total"] == 1 and [r for r in exited["rows"] if r["count"]] == [{"outcome": "work", "count": 1}]
    bad = history("report", "participants", "--workflow", "utrikesfodda", "--by", "deadline")
    assert bad.code == 2 and "has none" in bad.stderr
