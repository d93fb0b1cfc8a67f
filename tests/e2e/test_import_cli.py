"""`pathway import FILE.jsonl` through the real CLI, on a temporary SQLite database (the `small` workflow)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import Cli

DATA = Path(__file__).resolve().parents[1] / "data" / "import"
OK = DATA / "small_ok.jsonl"
BAD = DATA / "small_bad.jsonl"


def test_import_prints_what_it_imported(cli: Cli) -> None:
    """Success: one line on stdout, nothing on stderr, and the participants are where the file says."""
    result = cli("import", str(OK))
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == (
        f"imported 2 participants (6 events) from {OK}\n"
        "1 passed deadline event(s) (reminders, misses, escalations) recorded with their own times; "
        "nobody is notified of them (see 'pathway deadlines list --overdue')\n")
    listed = {p["ref"]: p for p in cli("participant", "list", "--format", "json").json()}  # type: ignore[union-attr]
    assert (listed["S-1"]["step"], listed["S-1"]["status"], listed["S-1"]["exit_reason"]) == ("exited", "exited", "work")
    assert (listed["S-2"]["step"], listed["S-2"]["status"]) == ("mapping", "open")
    history = cli("participant", "history", "S-2", "--format", "json").json()
    imported = [e for e in history if e["reason"]]  # type: ignore[union-attr]
    assert [e["effective_at"] for e in imported] == [
        "2026-02-02T00:00:00+01:00", "2026-02-09T00:00:00+01:00", "2026-02-10T00:00:00+01:00"]
    assert {e["reason"] for e in imported} == {"imported from small_ok.jsonl line 2"}
    # S-2 has stalled in 'mapping' past its limit before the import: recorded then, notified never
    passed = [e for e in history if not e["reason"]]  # type: ignore[union-attr]
    assert [e["type"] for e in passed] == ["deadline_missed"] and passed[0]["effective_at"] < "2026-03-02"


def test_failing_lines_are_reported_with_their_numbers_and_nothing_is_imported(cli: Cli) -> None:
    """Each bad line as FILE:LINE: error: …, then the summary; exit 2 (a malformed line); no rows written."""
    result = cli("import", str(BAD))
    assert result.code == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{BAD}:2: error: events[0] (trigger 'accept'): trigger 'accept' refused in step 'referral': "
        "guard 'attributes_true': attribute 'stable_housing' must be true (not recorded)",
        f"{BAD}:3: error: malformed JSON: Expecting value at column 52",
        "2 of 4 lines failed; nothing was imported",
    ]
    assert all(rows == [] for rows in cli.snapshot().values())


def test_only_refused_lines_exit_1(cli: Cli, tmp_path: Path) -> None:
    """When every failing line is refused by a pathway rule (none malformed), the exit code is 1."""
    lines = BAD.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "refused.jsonl"
    path.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    result = cli("import", str(path))
    assert result.code == 1
    assert result.stderr.splitlines()[-1] == "1 of 2 lines failed; nothing was imported"


def test_importing_a_file_again_is_refused(cli: Cli) -> None:
    """The refs are taken: every line is refused (exit 1) and the database is as the first import left it."""
    assert cli("import", str(OK)).code == 0
    before = cli.snapshot()
    result = cli("import", str(OK))
    assert result.code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{OK}:1: error: ref 'S-1' is already used in workflow 'small' by participant 1; was this file imported already?",
        f"{OK}:2: error: ref 'S-2' is already used in workflow 'small' by participant 2; was this file imported already?",
        "2 of 2 lines failed; nothing was imported",
    ]
    assert cli.snapshot() == before


def test_dry_run_writes_nothing(cli: Cli) -> None:
    """--dry-run says what would be imported and leaves every table empty; the real import then works."""
    result = cli("import", str(OK), "--dry-run")
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == (
        f"dry run: 2 participants (6 events) would be imported from {OK}; nothing was written\n"
        "1 passed deadline event(s) (reminders, misses, escalations) would be recorded with their own times; "
        "nobody is notified of them (see 'pathway deadlines list --overdue')\n")
    assert all(rows == [] for rows in cli.snapshot().values())
    assert cli("import", str(OK)).code == 0


def test_a_missing_file_is_one_error(cli: Cli, tmp_path: Path) -> None:
    """No such file: one line on stderr, exit 2, no traceback."""
    result = cli("import", str(tmp_path / "missing.jsonl"))
    assert result.code == 2
    assert result.stderr.splitlines() == [f"error: cannot read {tmp_path / 'missing.jsonl'}: No such file or directory"]


def test_the_personnummer_is_not_printed_or_stored_in_the_history(cli: Cli) -> None:
    """The personnummer of an imported line is kept apart, as with 'participant enrol --personnummer'."""
    cli("import", str(OK))
    shown = json.dumps([cli("participant", "show", "S-1", "--format", "json").json(),
                        cli("participant", "history", "S-1", "--format", "json").json()])
    assert "1212" not in shown  # the birth date shows as 1912-12-12, the number nowhere
    assert '"gender": "male"' in shown and '"birth_date": "1912-12-12"' in shown  # taken from the number


def test_a_bad_personnummer_is_named_as_the_import_key_on_a_line_and_as_the_flag_on_the_command_line(
        cli: Cli, tmp_path: Path) -> None:
    """The service names the field; an import line is told its JSON key ``personnummer``, never the CLI's
    ``--personnummer`` (nor ``--at`` for its ``enrolled_at``); the CLI is told its flag."""
    bad = tmp_path / "bad.jsonl"
    line = {"ref": "P-1", "workflow": "small", "enrolled_at": "2026-03-01T09:00", "personnummer": "19121212-1213",
            "attributes": {"stable_housing": True}}
    late = {**line, "ref": "P-2", "personnummer": None, "enrolled_at": "2027-01-01T09:00"}
    in_ref = {**line, "ref": "19121212-1212", "personnummer": None}
    bad.write_text("\n".join(json.dumps(x) for x in (line, late, in_ref)) + "\n", encoding="utf-8")
    imported = cli("import", str(bad))
    assert imported.code == 2
    assert "bad.jsonl:1: error: invalid personnummer: the check digit (the last digit) is wrong" in imported.stderr
    assert "bad.jsonl:2: error: invalid enrolled_at '2027-01-01 09:00': it is after now" in imported.stderr
    assert "bad.jsonl:3: error: ref looks like a personal identity number" in imported.stderr
    assert "give the number as personnummer and leave it out of the text\n" in imported.stderr  # no CLI hint
    assert "--" not in imported.stderr
    typed = cli("participant", "enrol", "small", "--ref", "P-1", "--personnummer", "19121212-1213",
                "--attr", "stable_housing=true")
    assert typed.code == 2
    assert typed.stderr.startswith("error: invalid --personnummer: the check digit (the last digit) is wrong")


def test_bad_consent_on_an_import_line_names_its_keys_and_the_command_line_names_the_flags(
        cli: Cli, tmp_path: Path) -> None:
    """records names the fields agencies and until (a meeting its attendees); an import line's entry is told
    its keys (``consent.give``, ``consent.until``, ``meeting.attendees``), never ``--agencies``/``--until``/
    ``--attendee``; the CLI is told its flags."""
    bad = tmp_path / "consent.jsonl"
    base = {"workflow": "small", "enrolled_at": "2026-03-01T09:00", "attributes": {"stable_housing": True}}
    lines = [{**base, "ref": "C-1", "events": [{"consent": {"give": ["police"]}, "at": "2026-03-02T09:00"}]},
             {**base, "ref": "C-2", "events": [{"consent": {"give": ["soc"], "until": "2026-02-01"},
                                                "at": "2026-03-02T09:00"}]},
             {**base, "ref": "C-3", "events": [{"meeting": {"type": "first", "attendees": ["af"]},
                                                "at": "2026-03-02T09:00"}]}]
    bad.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    imported = cli("import", str(bad))
    assert imported.code == 2
    assert "consent.jsonl:1: error: events[0] (consent): invalid consent.give 'police': use one or more of:" \
        in imported.stderr
    assert "consent.jsonl:2: error: events[0] (consent): invalid consent.until '2026-02-01': it is before" \
        in imported.stderr
    assert "consent.jsonl:3: error: events[0] (meeting 'first'): invalid meeting.attendees 'af': name who took part" \
        in imported.stderr
    assert "--" not in imported.stderr
    pid = cli("participant", "enrol", "small", "--attr", "stable_housing=true").stdout.strip()
    typed = cli("consent", "give", pid, "--agencies", "police")
    assert typed.stderr.startswith("error: invalid --agencies 'police': use one or more of:")
    typed = cli("consent", "give", pid, "--agencies", "soc", "--until", "1999-01-01")
    assert typed.stderr.startswith("error: invalid --until '1999-01-01'")
    typed = cli("meeting", "record", pid, "--type", "first", "--attendee", "af")
    assert typed.stderr.startswith("error: invalid --attendee 'af': name who took part")
