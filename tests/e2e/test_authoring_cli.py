"""Project designers' commands, run as a subprocess: new, schema, validate --format json."""

from __future__ import annotations

import json

from tests.e2e.conftest import Cli


def test_new_writes_a_template_that_validates_and_enrols(cli: Cli) -> None:
    """`workflow new` writes NAME.yaml that validates cleanly and can take a participant."""
    result = cli("workflow", "new", "ljusnarsberg_rehab", "--title", "Rehabgruppen i Ljusnarsberg")
    assert result.code == 0, result.stderr
    path = cli.workflows / "ljusnarsberg_rehab.yaml"
    assert "title: Rehabgruppen i Ljusnarsberg" in path.read_text(encoding="utf-8")
    validated = cli("workflow", "validate", str(path), "--format", "json")
    assert validated.code == 0
    assert validated.json() == [{"file": str(path), "ok": True, "errors": 0, "warnings": 0, "problems": []}]
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
