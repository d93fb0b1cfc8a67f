"""One real subprocess per top-level command (`python -m pathway …`, as a user runs it).

The other e2e tests run the same ``main()`` in-process (tests/e2e/conftest.py); these prove each
command also loads, runs, exits and prints as a fresh interpreter does. (``scheduler run`` has its
own subprocess test with signals in test_deadlines_cli.py; the README walkthrough runs the console
script.)
"""

from __future__ import annotations


from tests.e2e.conftest import REPO, Cli


def test_each_command_runs_as_a_subprocess(cli: Cli) -> None:
    """version, workflow, db, participant, consent, plan, placement, intervention, deadlines, import and
    report each run once in a fresh interpreter with their real exit codes and output."""
    cli.subprocess = True
    assert cli("--version").stdout.startswith("pathway ")
    assert cli("workflow", "validate", str(cli.workflows / "small.yaml")).code == 0
    assert cli("db", "upgrade").code == 0
    pid = cli("participant", "enrol", "small", "--ref", "SP-1").stdout.strip()
    assert pid == "1"
    refused = cli("participant", "fire", pid, "accept", "--data", "meeting_date=2026-03-02")
    assert refused.code == 1 and "stable_housing" in refused.stderr and "Traceback" not in refused.stderr
    assert cli("consent", "give", pid, "--agencies", "soc,af").code == 0
    assert cli("plan", "add-goal", pid, "--what", "Arbete", "--by", "2026-09-30").stdout.strip() == "g1"
    assert cli("placement", "start", pid, "--type", "work_trial", "--employer", "ICA", "--start",
               "2026-03-09").code == 0
    assert cli("intervention", "start", pid, "health_care", "--agency", "health").stdout.strip() == "i1"
    assert cli("deadlines", "check", now="2026-03-20T09:00").code == 0
    imported = cli("import", str(REPO / "tests" / "data" / "import" / "small_ok.jsonl"))
    assert imported.code == 0, imported.stderr
    report = cli("report", "participants", "--workflow", "small", "--by", "gender", "--format", "json")
    assert report.code == 0 and report.json()
    bad = cli("participant", "show", "nobody")
    assert bad.code == 2 and bad.stderr.startswith("error:")


def test_in_process_runs_match_a_subprocess(cli: Cli) -> None:
    """The in-process runner gives the same exit code, stdout and stderr as a subprocess."""
    args = ("participant", "enrol", "small", "--ref", "10")
    in_process = cli(*args)
    cli.subprocess = True
    assert (in_process.code, in_process.stdout, in_process.stderr) == (
        lambda r: (r.code, r.stdout, r.stderr))(cli(*args))
    assert in_process.code == 2


def test_privacy_commands_run_as_a_subprocess(cli: Cli) -> None:
    """identity, person, report circulation, db backup, retention, redact and export each run once in a fresh interpreter."""
    cli.subprocess = True
    assert len(cli("identity", "new-key").stdout.strip()) == 44
    assert cli("participant", "enrol", "small", "--personnummer", "19121212-1212").code == 0
    assert cli("identity", "rotate-key").stdout.startswith("re-encrypted 1 identity number")
    found = cli("person", "find", "19121212-1212", "--format", "json")
    assert found.code == 0 and [e["participant_id"] for e in found.json()] == [1]  # type: ignore[union-attr]
    circulation = cli("report", "circulation", "--format", "json")
    assert circulation.code == 0 and circulation.json()["total"] == 1  # type: ignore[index]
    backed_up = cli("db", "backup", str(cli.home / "copy.db"))
    assert backed_up.code == 0 and "integrity check ok" in backed_up.stdout
    assert cli("retention", "run", "--dry-run").stdout.startswith("would purge the personal data of 0 participants")
    assert cli("person", "extract", "19121212-1212").stdout.startswith("# Registerutdrag")
    assert cli("participant", "redact", "1", "--event", "1", "--field", "x", "--reason", "y").code == 2
    unmapped = cli("export", "finsam", "--workflow", "small")
    assert unmapped.code == 2 and "has no national_followup mapping" in unmapped.stderr
