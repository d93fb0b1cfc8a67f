"""Project designers' commands, run as a subprocess: new, schema, validate --format json."""

from __future__ import annotations

import pytest

import json

from tests.e2e.conftest import Cli


def test_new_writes_a_template_that_validates_and_enrols(cli: Cli) -> None:
    """`workflow new` writes NAME.yaml that validates cleanly and can take a participant."""
    result = cli("workflow", "new", "ljusnarsberg_rehab", "--title", "Rehabgruppen i Ljusnarsberg")
    assert result.code == 0, result.stderr
    path = cli.workflows / "ljusnarsberg_rehab.yaml"
    assert "title: Rehabgruppen i Ljusnarsberg" in path.read_text(encoding="utf-8")
    # the template's '$schema=../schema/workflow.schema.json' line resolves: the schema is written beside
    schema = json.loads((path.parent / ".." / "schema" / "workflow.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"].endswith("2020-12/schema")
    validated = cli("workflow", "validate", str(path), "--format", "json")
    assert validated.code == 0
    assert validated.json() == [{"file": str(path), "ok": True, "errors": 0, "warnings": 0, "problems": [],
                                 "diagnostics": []}]
    assert cli("participant", "enrol", "ljusnarsberg_rehab", "--attr", "application_date=2026-03-01").code == 0


def test_new_refuses_existing_file_and_bad_name(cli: Cli) -> None:
    """`workflow new` never overwrites a file and refuses a name that is not snake_case (exit 2)."""
    existing = cli("workflow", "new", "small")
    assert existing.code == 2 and "already exists" in existing.stderr
    bad = cli("workflow", "new", "Rehab-Grupp")
    assert bad.code == 2 and "use snake_case" in bad.stderr and "Traceback" not in bad.stderr


def test_schema_command_prints_the_json_schema(cli: Cli) -> None:
    """`workflow schema` prints a JSON Schema describing workflow files."""
    result = cli("workflow", "schema")
    schema = json.loads(result.stdout)
    assert result.code == 0 and schema["$schema"].endswith("2020-12/schema")
    assert {"id", "version", "title", "roles", "steps", "transitions"} <= set(schema["required"])


def test_validate_json_lists_errors_and_warnings(cli: Cli) -> None:
    """`workflow validate --format json` reports errors and warnings per file and exits 1 on errors."""
    bad = cli.workflows / "bad.yaml"
    bad.write_text((cli.workflows / "small.yaml").read_text().replace("owner: coordinator, limit", "owner: nobody, limit"))
    result = cli("workflow", "validate", str(bad), "--format", "json")
    assert result.code == 1
    [report] = result.json()
    assert report["ok"] is False and report["errors"] == 1
    assert report["problems"][0].startswith(f"{bad}:13:") and "error[unknown-role]" in report["problems"][0]


@pytest.mark.fresh_database  # checks that no database file is created
def test_simulate_writes_nothing_and_reports_deadlines(shipped_cli: Cli) -> None:
    """`workflow simulate` prints the dry run as JSON and never creates or touches the database."""
    result = shipped_cli("workflow", "simulate", "flen_tripartite", "--attr", "application_date=2026-03-02",
                         "--start", "2026-03-03T09:00", "--walk", "hold_first_meeting,write_plan",
                         "--consent", "soc,af,labour_unit",
                         "--every", "3w", "--format", "json")
    assert result.code == 0, result.stderr
    run = result.json()
    assert run["step"] == "action_plan" and run["completed"] is True
    assert ("reminder", "first_meeting_within_14_days → caseworker (due 2026-03-16)") in [
        (line["kind"], line["detail"]) for line in run["lines"]]
    assert not shipped_cli.db_path.exists()


def test_simulate_a_walk_from_the_test_scripts_and_refuse_bad_options(shipped_cli: Cli) -> None:
    """A walk file's named walk can be simulated; a walk that cannot complete exits 1; bad options exit 2."""
    from tests.e2e.conftest import REPO

    walks = str(REPO / "tests" / "workflows" / "walks" / "kraft.yaml")
    ok = shipped_cli("workflow", "simulate", "kraft", "--script", walks, "--format", "json")
    assert ok.code == 0 and ok.json()["status"] == "exited"
    stuck = shipped_cli("workflow", "simulate", "kraft", "--walk", "include")
    assert stuck.code == 1 and "could not be completed" in stuck.stdout
    for args, message in [(["--walk", "x", "--script", walks], "either --walk"),
                          (["--walk", "assess", "--every", "3m"], "use days or weeks"),
                          (["--script", walks, "--name", "nope"], "use one of the walks")]:
        bad = shipped_cli("workflow", "simulate", "kraft", *args)
        assert bad.code == 2 and message in bad.stderr and "Traceback" not in bad.stderr


def test_migrate_cli_dry_run_then_apply(cli: Cli) -> None:
    """`workflow migrate`: the dry run exits 1 while a step is unmapped; with --map it moves everyone."""
    pid = cli("participant", "enrol", "small", "--attr", "stable_housing=true").stdout.strip()
    assert cli("participant", "fire", pid, "accept", "--data", "meeting_date=2026-03-02").code == 0
    path = cli.workflows / "small.yaml"
    path.write_text(path.read_text().replace("version: 1", "version: 2").replace("id: mapping", "id: mapping_v2")
                    .replace("to: mapping", "to: mapping_v2"))
    dry = cli("workflow", "migrate", "small", "--to", "current", "--dry-run", "--format", "json")
    assert dry.code == 1
    [row] = dry.json()["participants"]
    assert row["can_move"] is False and "map it with --map mapping=STEP" in row["reason"]
    blocked = cli("workflow", "migrate", "small", "--to", "current")
    assert blocked.code == 1 and "nobody was moved" in blocked.stderr
    done = cli("workflow", "migrate", "small", "--to", "current", "--map", "mapping=mapping_v2", "--format", "json")
    assert done.code == 0 and done.json()["applied"] is True
    shown = cli("participant", "show", pid, "--format", "json").json()
    assert (shown["workflow_version"], shown["step"]) == (2, "mapping_v2")
