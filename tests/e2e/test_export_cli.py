"""`pathway export finsam` through the CLI on the shipped Kraft workflow."""

from __future__ import annotations

import csv
import stat

from tests.e2e.conftest import Cli


def test_export_finsam_writes_one_row_per_participant(shipped_cli: Cli) -> None:
    """CSV with the documented columns, national codes, 0600; a workflow without a mapping is refused."""
    cli = shipped_cli
    assert cli("participant", "enrol", "kraft", "--ref", "LU-1", "--personnummer", "19121212-1212",
               "--attr", "referring_agency=soc", "--attr", "income_source=social_assistance").code == 0
    assert cli("participant", "fire", "LU-1", "exit", "--data", "reason=work", "--data", "income_source_at_exit=salary",
               now="2026-06-01T09:00").code == 0
    target = cli.home / "finsam.csv"
    result = cli("export", "finsam", "--workflow", "kraft", "--from", "2026-01-01", "--to", "2026-12-31",
                 "--output", str(target), now="2026-06-02T09:00")
    assert result.code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [(r["ref"], r["start"], r["end"], r["situation_at_start"], r["situation_at_exit"], r["exit_reason"])
            for r in rows] == [("LU-1", "2026-03-02", "2026-06-01", "social_assistance", "none", "work")]
    assert "1212" not in target.read_text(encoding="utf-8").replace("LU-1", "")
    bad = cli("export", "finsam", "--workflow", "kraft", "--from", "2026-13-01")
    assert bad.code == 2 and "invalid --from" in bad.stderr


def test_export_finsam_csv_writes_a_ref_typed_as_a_formula_as_text(shipped_cli: Cli) -> None:
    """A ref a spreadsheet would run (``=…``) gets a leading apostrophe in the CSV; JSON keeps it as typed."""
    cli = shipped_cli
    ref = "=1+1"
    assert cli("participant", "enrol", "kraft", "--ref", ref, "--attr", "referring_agency=soc",
               "--attr", "income_source=social_assistance").code == 0
    target = cli.home / "finsam.csv"
    assert cli("export", "finsam", "--workflow", "kraft", "--output", str(target), now="2026-06-02T09:00").code == 0
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["ref"] for r in rows] == ["'=1+1"]
    assert [r["participant_id"] for r in rows] == ["1"]
    shown = cli("export", "finsam", "--workflow", "kraft", "--format", "json", now="2026-06-02T09:00")
    assert ref in shown.stdout and "'=1+1" not in shown.stdout

