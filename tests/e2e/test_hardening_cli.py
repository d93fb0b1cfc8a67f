"""Issue 14 through the real CLI: hostile or careless input ends in one line and an exit code,
never a traceback, and a refusal writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

WORKFLOW_HEAD = """\
id: {id}
version: {version}
title: T
roles: [{{id: coach, title: C}}]
steps:
  - {{id: a, title: A, kind: referral, owner: coach, initial: true, limit: {{within: {within}}}}}
  - {{id: z, title: Z, kind: exit, owner: coach, terminal: true}}
transitions:
  - trigger: go
    from: a
    to: z
    guards: {guards}
    data: {{reason: {{type: exit_reason, required: true}}}}
exit_reasons: [{{code: work, label: W, category: work}}]
"""


def workflow(**fields: object) -> str:
    values = {"id": "w", "version": 1, "within": "14d", "guards": "[]", **fields}
    return WORKFLOW_HEAD.format(**values)


def assert_clean_refusal(result, code: int = 2) -> None:  # type: ignore[no-untyped-def]
    assert result.code == code, (result.code, result.stderr)
    assert "Traceback" not in result.stderr
    assert "error: " in result.stderr.splitlines()[0], result.stderr


@pytest.mark.parametrize("args", [
    ("--now", "0001-01-01", "participant", "list"),
    ("participant", "enrol", "small", "--at", "0001-01-01T00:30", "--reason", "x"),
    ("participant", "enrol", "small", "--at", "9999-12-31T23:59-12:00", "--reason", "x"),
    ("deadlines", "list", "--due-within", "99999999999d"),
    ("workflow", "show", "small", "--version", "99999999999999999999"),
    ("participant", "enrol", "small", "--ref", "R" * 101),
    ("participant", "enrol", "small", "--ref", "A\x1b[2JB"),
    ("participant", "enrol", "small", "--ref", "LU 19811218-9876"),
    ("participant", "enrol", "small", "--attr", "birth_date=2030-01-01"),
    ("--actor", "a" * 101, "participant", "list"),
    ("participant", "show", "99999999999999999999999"),
])
def test_each_reproduction_is_one_line_and_exit_2(cli: Cli, args: tuple[str, ...]) -> None:
    """Every input from the issue's fuzz run that used to end in a traceback is one error line, exit 2."""
    assert cli("db", "upgrade").code == 0
    before = cli.snapshot()
    result = cli(*args)
    assert_clean_refusal(result)
    assert len(result.stderr.strip().splitlines()) == 1
    assert cli.snapshot() == before


def test_a_repeated_data_key_is_refused(cli: Cli) -> None:
    """`--data reason=a --data reason=b` is refused (the last no longer silently wins)."""
    cli("participant", "enrol", "small", "--ref", "LU-1")
    before = cli.snapshot()
    result = cli("participant", "fire", "LU-1", "exit", "--data", "reason=moved", "--data", "reason=work")
    assert_clean_refusal(result)
    assert "reason=… is given twice" in result.stderr
    assert cli.snapshot() == before


def test_personnummer_can_come_from_standard_input(cli: Cli, tmp_path: Path) -> None:
    """`--personnummer -` reads the number from stdin, so it stays out of ps and the shell history."""
    import subprocess
    import sys

    env = cli.env()
    proc = subprocess.run([sys.executable, "-m", "pathway", "participant", "enrol", "small", "--ref", "LU-9",
                           "--personnummer", "-"], input="19121212-1212\n", cwd=cli.home, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    shown = cli("participant", "show", "LU-9", "--format", "json").json()
    assert shown["attributes"]["birth_date"] == "1912-12-12"  # type: ignore[index]
    empty = subprocess.run([sys.executable, "-m", "pathway", "participant", "enrol", "small", "--personnummer", "-"],
                           input="", cwd=cli.home, env=env, capture_output=True, text=True, timeout=120)
    assert empty.returncode == 2 and "standard input" in empty.stderr


@pytest.mark.parametrize("name,text,message", [
    ("recursive", "a: &a [*a]\n", "inside its own anchor"),
    ("deep", "a: " + "[" * 3000 + "]" * 3000 + "\n", "nested more than"),
    ("nul", "id: w\x00\n", "U+0000"),
    ("laughs", "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(9)),
     "aliases are expanded"),
    ("args", workflow(guards="[{name: attributes_true, args: {attributes: 5}}]"), "invalid-guard-args"),
    ("within", workflow(within="99999999999999d"), "too long"),
    ("within_m", workflow(within="999999999m"), "too long"),
    ("version", workflow(version="99999999999999999999999999"), "version"),
])
def test_workflow_files_beyond_the_bounds_are_located_errors(cli: Cli, tmp_path: Path, name: str, text: str,
                                                             message: str) -> None:
    """Recursive aliases, deep nesting, NUL, billion laughs, wrong argument types, durations and versions
    the calendar cannot count: each a FILE:LINE:COLUMN error from `workflow validate`, exit 1."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("workflow", "validate", str(path))
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert message in result.stdout
    assert result.stdout.startswith(f"{path}:")


def test_a_capitalised_unknown_key_is_a_located_error(cli: Cli, tmp_path: Path) -> None:
    """'Title:' instead of 'title:' is an unknown key at its place, with a hint (it was an internal error)."""
    path = tmp_path / "capital.yaml"
    path.write_text(workflow().replace("title: T", "Title: T"), encoding="utf-8")
    result = cli("workflow", "validate", str(path))
    assert result.code == 1, result.stderr
    assert f"{path}:3:1: error[unknown-key]: unknown key 'Title' (hint: did you mean 'title'?)" in result.stdout


def test_text_is_shown_as_typed_never_as_markup_or_emoji(cli: Cli) -> None:
    """A ref or reason holding Rich markup or an emoji code is printed as typed by list, show and
    history (a '[/bold]' in a ref was an internal error in 'participant list')."""
    assert cli("db", "upgrade").code == 0
    ref, reason = "LU[/bold][red]7", "met :thumbs_up: [b]"
    assert cli("participant", "enrol", "small", "--ref", ref, "--reason", reason).code == 0
    for args in (("participant", "list"), ("participant", "show", "1")):
        result = cli(*args)
        assert result.code == 0, (args, result.stderr)
        assert ref in result.stdout, (args, result.stdout)
    history = cli("participant", "history", "1")
    assert history.code == 0, history.stderr
    shown = "".join(line.strip("│ ") for line in history.stdout.splitlines())  # the reason may wrap
    assert "[b]" in shown and ":thumbs_u" in shown and "\N{THUMBS UP SIGN}" not in history.stdout


def test_a_workflow_title_is_shown_as_written(cli: Cli) -> None:
    """A title holding Rich markup is printed as written by 'workflow show' (it was read as markup)."""
    (cli.workflows / "w.yaml").write_text(workflow().replace("title: T", 'title: "T [/bold] [red]"'), encoding="utf-8")
    shown = cli("workflow", "show", "w")
    assert shown.code == 0, shown.stderr
    assert shown.stdout.startswith("T [/bold] [red]  (w, version 1)")


def test_validate_and_import_refuse_dev_zero(cli: Cli) -> None:
    """`workflow validate /dev/zero` and `import /dev/zero` are refused without exhausting memory."""
    validated = cli("workflow", "validate", "/dev/zero")
    assert_clean_refusal(validated)
    assert "larger than 1 MB" in validated.stderr
    imported = cli("import", "/dev/zero")
    assert_clean_refusal(imported)
    assert "longer than 1 MB" in imported.stderr


@pytest.mark.parametrize("line,message", [
    ('{"ref": "X-1", "workflow": "small", "enrolled_at": "2026-01-01", "attributes": {"gender": ' + "9" * 5000 + '}}',
     "too many digits"),
    ("[" * 100_000 + "]" * 100_000, "nested"),
    ('{"ref": "X-1", "workflow": "small", "enrolled_at": "0001-01-01"}', "1900-01-01 to 2100-12-31"),
    (json.dumps({"ref": "X-1", "workflow": "small", "enrolled_at": "2026-01-01",
                 "events": [{"set": {"stable_housing": True}, "at": "2026-01-02"}] * 10_000}), "at most 1000"),
    (json.dumps({"ref": "X-1", "workflow": "small", "enrolled_at": "2026-01-01",
                 "attributes": {"gender": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {}}}}}}}}}}}}),
     "nested more than"),
])
def test_import_lines_beyond_the_bounds_are_refused(cli: Cli, tmp_path: Path, line: str, message: str) -> None:
    """5 000 digits, 100 000-deep JSON, year 1, 10 000 events: each a FILE:LINE error, nothing imported."""
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    result = cli("import", str(path))
    assert_clean_refusal(result)
    assert message in result.stderr
    assert cli.snapshot().get("participants", []) == []


def test_validate_json_gives_each_problem_as_fields(cli: Cli, tmp_path: Path) -> None:
    """`workflow validate --format json`: problems as file/line/column/code/severity/message/hint (and the line)."""
    path = tmp_path / "w.yaml"
    path.write_text(workflow(within="99999999999999d"), encoding="utf-8")
    result = cli("workflow", "validate", str(path), "--format", "json")
    assert result.code == 1
    (report,) = result.json()  # type: ignore[misc]
    found = next(d for d in report["diagnostics"] if d["code"] == "invalid-duration")
    assert (found["file"], found["line"], found["severity"]) == (str(path), 6, "error")
    assert isinstance(found["column"], int) and "too long" in found["message"] and found["hint"]
    assert found["text"] in report["problems"]
    assert found["text"].startswith(f"{path}:6:{found['column']}: error[invalid-duration]: ")


def test_the_version_workflow_show_reports_is_one_migrate_accepts(cli: Cli) -> None:
    """After the file is bumped to version 2, `workflow show` says 2 and `workflow migrate --to 2` accepts it."""
    assert cli("participant", "enrol", "small", "--ref", "LU-1").code == 0
    path = cli.workflows / "small.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("version: 1", "version: 2")
                    .replace("title: Liten testväg", "title: Liten testväg 2"), encoding="utf-8")
    shown = cli("workflow", "show", "small", "--format", "json").json()
    assert shown["version"] == 2  # type: ignore[index]
    dry = cli("workflow", "migrate", "small", "--to", "2", "--dry-run")
    assert dry.code == 0, dry.stderr
    moved = cli("workflow", "migrate", "small", "--to", "2")
    assert moved.code == 0, moved.stderr
    assert cli("participant", "show", "LU-1", "--format", "json").json()["workflow_version"] == 2  # type: ignore[index]
