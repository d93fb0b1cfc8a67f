"""What a funder gets from ``pathway report``: counts, never a participant's ref, name or personnummer."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import Cli, Result, run_in_process

REFS = ["PRIV-ALFA-01", "PRIV-BETA-02", "PRIV-GAMMA-03"]
#: the participants' numbers (valid check digits, matching birth date and gender)
NUMBERS = ["19750501-0020", "19820120-0030"]
NAME = "Signe Qvarnström"
ATTRIBUTES = ["--attr", "education=compulsory", "--attr", "household=single_no_children",
              "--attr", "income_source=social_assistance", "--attr", "referring_agency=soc",
              "--attr", "born_abroad=true", "--attr", "unemployed=true", "--attr", "af_code=af_11"]
FORMATS = ["table", "csv", "json", "markdown", "xlsx"]
REPORTS = [
    ["participants", "--by", "age_band,gender"], ["participants", "--by", "intervention"],
    ["exits", "--by", "reason,gender", "--with-open"], ["outcomes"], ["outcomes", "--exited-only"],
    ["goals"], ["flow"], ["flow", "--by", "intervention"], ["before-after"], ["all"],
]


def as_user(cli: Cli, user: str, *args: str) -> Result:
    env = cli.env()
    env.pop("PATHWAY_ACTOR")
    env["PATHWAY_USER"] = user
    return run_in_process(list(args), env, cli.home)


@pytest.fixture(scope="module")
def funded(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """Three participants (two exited, one with a personnummer and a name in free text), then users."""
    from tests.e2e.conftest import REPO

    home = tmp_path_factory.mktemp("privacy")
    cli = Cli(home, home / "pathway.db", REPO / "workflows", now="2011-01-15T10:00")
    people = [(REFS[0], "female", "1975-05-01", "2009-03-02", NUMBERS[0]), (REFS[1], "male", "1982-01-20",
              "2009-09-14", NUMBERS[1]), (REFS[2], "male", "1966-11-30", "2010-04-06", None)]
    for ref, gender, born, at, number in people:
        identity = ["--personnummer", number] if number else []
        result = cli("participant", "enrol", "utrikesfodda", "--ref", ref, "--attr", f"gender={gender}",
                     "--attr", f"birth_date={born}", *ATTRIBUTES, *identity, "--at", at, "--reason", "old sheet")
        assert result.code == 0, result.stderr
    started = cli("intervention", "start", REFS[1], "cbt", "--at", "2010-01-10", "--reason", f"samtal med {NAME}")
    assert started.code == 0, started.stderr
    for ref, reason in ((REFS[0], "work"), (REFS[1], "studies")):
        result = cli("participant", "fire", ref, "exit", "--data", f"reason={reason}", "--at", "2010-06-01",
                     "--reason", f"enligt {NAME}")
        assert result.code == 0, result.stderr
    for user, role in (("rut", ["--admin", "--role", "coordinator"]), ("frida", ["--role", "funder"])):
        added = as_user(cli, "rut", "user", "add", user, "--name", user.title(), "--agency", "coordination",
                        *role, "--workflow", "utrikesfodda")
        assert added.code == 0, added.stderr
    return cli


def _xlsx_text(path: Path) -> str:
    workbook = load_workbook(path)
    return "\n".join(str(cell.value) for sheet in workbook.worksheets for row in sheet.iter_rows()
                     for cell in row if cell.value is not None)


def _leaks(text: str) -> list[str]:
    digits = text.replace("-", "")
    found = [ref for ref in REFS if ref in text] + ([NAME] if NAME in text else [])
    for number in NUMBERS:
        twelve = number.replace("-", "")
        if twelve in digits or twelve[2:] in digits:
            found.append(number)
    return found


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("args", REPORTS, ids=lambda a: "-".join(a).replace("--", ""))
def test_funder_reports_hold_no_ref_name_or_personnummer(funded: Cli, args: list[str], fmt: str,
                                                          tmp_path: Path) -> None:
    """Every report a funder may run, in every format: it runs, and holds no participant's identity."""
    output = ["--output", str(tmp_path / "out.xlsx")] if fmt == "xlsx" else []
    result = as_user(funded, "frida", "report", *args, "--workflow", "utrikesfodda", "--format", fmt, *output)
    assert result.code == 0, result.stderr
    text = result.stdout + result.stderr + (_xlsx_text(tmp_path / "out.xlsx") if fmt == "xlsx" else "")
    assert _leaks(text) == []


def test_the_check_would_see_a_ref(funded: Cli) -> None:
    """The leak check is not vacuous: a coordinator's participant list shows the refs."""
    listed = as_user(funded, "rut", "participant", "list", "--workflow", "utrikesfodda")
    assert listed.code == 0, listed.stderr
    assert _leaks(listed.stdout) != []


def test_corrections_list_entries_so_funders_are_refused(funded: Cli) -> None:
    """report corrections lists participants' entries: exit 3 for a funder, allowed to staff."""
    refused = as_user(funded, "frida", "report", "corrections", "--workflow", "utrikesfodda")
    assert refused.code == 3 and "report.records" in refused.stderr
    assert "Traceback" not in refused.stderr
    allowed = as_user(funded, "rut", "report", "corrections", "--workflow", "utrikesfodda", "--format", "json")
    assert allowed.code == 0, allowed.stderr
