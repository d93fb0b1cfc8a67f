"""`pathway person find` and `pathway report circulation` through the real CLI, on the shipped workflows."""

from __future__ import annotations

import json

from tests.e2e.conftest import Cli

NUMBER = "19121212-1212"


def _two_projects(cli: Cli) -> None:
    assert cli("participant", "enrol", "kraft", "--ref", "LU-3", "--personnummer", NUMBER,
               "--attr", "referring_agency=soc", now="2026-01-12T09:00").code == 0
    assert cli("participant", "fire", "LU-3", "exit", "--data", "reason=ended", now="2026-02-27T09:00").code == 0


def test_person_find_shows_enrolments_and_withholds_uncovered_ones(shipped_cli: Cli) -> None:
    """The second enrolment warns of the first (rundgång); find --agency af shows Flen (consent for af) and hides Kraft."""
    cli = shipped_cli
    _two_projects(cli)
    enrolled = cli("participant", "enrol", "flen_tripartite", "--ref", "FL-21", "--personnummer", "121212+1212",
                   "--attr", "application_date=2026-02-26", now="2026-03-02T09:00")
    assert enrolled.code == 0, enrolled.stderr
    assert "note: the same person left 'kraft' (participant 1) on 2026-02-27, reason ended" in enrolled.stderr
    assert cli("consent", "give", "FL-21", "--agencies", "soc,af", now="2026-03-03T09:00").code == 0
    found = cli("person", "find", NUMBER, "--agency", "af", "--format", "json", now="2026-03-04T09:00")
    assert found.code == 0, found.stderr
    rows = found.json()
    assert [(r["workflow"], r["covered"]) for r in rows] == [("kraft", False), ("flen_tripartite", True)]  # type: ignore[index]
    assert rows[0] == {"participant_id": 1, "workflow": "kraft", "status": "exited", "covered": False,  # type: ignore[index]
                       "withheld": "consent does not cover af: no consent has been given for af"}
    assert rows[1]["ref"] == "FL-21" and "1212" not in found.stdout  # type: ignore[index]
    table = cli("person", "find", NUMBER, "--agency", "af", now="2026-03-04T09:00")
    assert "2 enrolments of this person" in table.stdout and "FL-21" in table.stdout
    bad = cli("person", "find", "19121212-1213")
    assert bad.code == 2 and bad.stderr.startswith("error: invalid --personnummer: the check digit")


def test_report_circulation_counts_per_quarter_and_suppresses_in_exports(shipped_cli: Cli) -> None:
    """JSON gives true counts per quarter; CSV hides the small counts (as the other reports' exports do)."""
    cli = shipped_cli
    _two_projects(cli)
    assert cli("participant", "enrol", "flen_tripartite", "--personnummer", NUMBER,
               "--attr", "application_date=2026-02-26", now="2026-03-02T09:00").code == 0
    result = cli("report", "circulation", "--per", "quarter", "--from", "2026-01-01", "--to", "2026-06-30",
                 "--format", "json", now="2026-03-04T09:00")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["rows"] == [  # type: ignore[index]
        {"period": "2026-Q1", "people": 1, "in_several_projects": 1, "circulating": 1, "re_enrolled": 0, "handed_over": 0},
        {"period": "2026-Q2", "people": 0, "in_several_projects": 0, "circulating": 0, "re_enrolled": 0, "handed_over": 0}]
    csv = cli("report", "circulation", "--per", "quarter", "--from", "2026-01-01", "--to", "2026-06-30",
              "--format", "csv", now="2026-03-04T09:00")
    assert csv.code == 0 and "2026-Q1,1" not in csv.stdout, csv.stdout  # a single person is never printed
    assert csv.stdout.splitlines()[1].startswith("2026-Q1,") and ("<3" in csv.stdout or ".." in csv.stdout)
    bad = cli("report", "circulation", "--per", "week")
    assert bad.code == 2 and "use year, quarter or month" in bad.stderr


def test_person_extract_and_participant_redact(cli: Cli) -> None:
    """The extract as Markdown to a 0600 file and as JSON; a redacted reason is gone from both afterwards."""
    import stat

    assert cli("participant", "enrol", "small", "--ref", "LU-9", "--personnummer", NUMBER, now="2026-03-01T09:00").code == 0
    fired = cli("participant", "fire", "LU-9", "exit", "--data", "reason=work", "--at", "2026-03-02T08:00",
                "--reason", "hennes bror berättade om skulden")
    assert fired.code == 0, fired.stderr
    target = cli.home / "registerutdrag.md"
    made = cli("person", "extract", NUMBER, "--output", str(target))
    assert made.code == 0, made.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Registerutdrag") and "hennes bror" in text and "19121212-1212" in text
    done = cli("participant", "redact", "LU-9", "--event", "2", "--field", "reason", "--reason", "tredje person")
    assert done.code == 0 and done.stdout.strip() == "redacted reason of event 2 of participant 1"
    data = cli("person", "extract", NUMBER, "--format", "json").json()
    history = data["enrolments"][0]["history"]  # type: ignore[index]
    assert history[1]["reason"] == "(raderad)" and history[2]["type"] == "redacted"
    assert "hennes bror" not in json.dumps(data, ensure_ascii=False)
    bad = cli("participant", "redact", "LU-9", "--event", "1", "--field", "ref", "--reason", "x")
    assert bad.code == 2 and "free text in event 1: none" in bad.stderr
