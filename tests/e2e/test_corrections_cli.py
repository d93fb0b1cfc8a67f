"""`pathway participant correct|reopen|void` and `pathway report corrections` from the command line."""

from __future__ import annotations

import json

from tests.e2e.conftest import Cli


def ok(result):  # type: ignore[no-untyped-def]
    assert result.code == 0, result.stderr
    return result


def walk(cli: Cli) -> None:
    """S-1 enrolled, accepted into mapping on 3 March."""
    ok(cli("participant", "enrol", "small", "--ref", "S-1", "--attr", "stable_housing=true", "--attr", "gender=female"))
    ok(cli("participant", "fire", "S-1", "accept", "--data", "meeting_date=2026-03-03", now="2026-03-03T09:00"))


def test_undo_last_reopen_and_void_as_subprocesses(cli: Cli) -> None:
    """correct, reopen, void and report corrections each once in a fresh interpreter (the rest in-process:
    test_subprocess.py runs those commands so): undo the accept, exit, correct the reason, reopen, void;
    history strikes."""
    def fresh(*args: str, now: str | None = None):  # type: ignore[no-untyped-def]
        cli.subprocess = True
        try:
            return ok(cli(*args, now=now))
        finally:
            cli.subprocess = False

    walk(cli)
    undone = fresh("participant", "correct", "S-1", "--undo-last", "--reason", "accepted the wrong person",
                   now="2026-03-03T10:00")
    assert undone.stdout.splitlines() == ["1: undo recorded as #3 (struck: #2) — step referral, open",
                                          "  step: mapping → referral"]
    ok(cli("participant", "fire", "S-1", "exit", "--data", "reason=work", now="2026-03-04T09:00"))
    fixed = ok(cli("participant", "correct", "S-1", "--exit-data", "reason=moved", "--reason", "moved to Malmö",
                   "--format", "json", now="2026-03-05T09:00"))
    assert (fixed.json()["kind"], fixed.json()["previous"], fixed.json()["changed"]) == (  # type: ignore[index]
        "exit", {"reason": "work"}, {"reason": "moved"})
    reopened = fresh("participant", "reopen", "S-1", "--reason", "not exited after all", now="2026-03-06T09:00")
    assert reopened.stdout.startswith("1: reopen recorded as #6 (struck: #5) — step referral, open")
    voided = fresh("participant", "void", "S-1", "--reason", "felregistrering", now="2026-03-06T09:05")
    assert "void recorded as #7" in voided.stdout and "voided" in voided.stdout
    history = json.loads(ok(cli("participant", "history", "S-1", "--format", "json")).stdout)
    assert [(e["seq"], e["type"], e["struck"], e["corrected_by"]) for e in history] == [
        (1, "enrolled", False, None), (2, "transition", True, 3), (3, "corrected", False, None),
        (4, "transition", True, 5), (5, "corrected", True, 6), (6, "corrected", False, None),
        (7, "corrected", False, None)]
    table = ok(cli("participant", "history", "S-1")).stdout
    assert "transition ✗ struck by #3" in table and "corrected: undo" in table
    report = fresh("report", "corrections", "--workflow", "small", "--format", "json", now="2026-03-07T09:00")
    assert [r["kind"] for r in report.json()["rows"]] == ["undo", "exit", "reopen", "void"]  # type: ignore[index]
    reopen_row = report.json()["rows"][2]  # type: ignore[index]
    assert "exited_at=2026-03-04" in reopen_row["previous"] and "T" not in reopen_row["previous"].split("exited_at=")[1]
    participants = ok(cli("report", "participants", "--workflow", "small", "--by", "gender", "--format", "json",
                          now="2026-03-07T09:00"))
    assert participants.json()["total"] == 0  # type: ignore[index]


def test_correct_refusals_are_one_line_and_write_nothing(cli: Cli) -> None:
    """No reason, two modes at once, an unknown attribute: exit 2, one line, nothing written; nothing to undo: exit 1."""
    walk(cli)
    before = cli.snapshot()
    for args, code, needle in [
        (("--undo-last",), 2, "needs --reason"),
        (("--undo-last", "--attr", "gender=male", "--reason", "x"), 2, "exactly one of"),
        (("--attr", "colour=red", "--reason", "x"), 2, "unknown attribute 'colour'"),
        (("--exit-data", "reason=work", "--reason", "x"), 1, "has not exited"),
        (("--event", "1", "--set", "what=x", "--reason", "x"), 2, "placement or intervention entry"),
    ]:
        result = cli("participant", "correct", "S-1", *args)
        assert result.code == code, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and needle in result.stderr and "Traceback" not in result.stderr
    assert cli.snapshot() == before


def test_correct_an_attribute_and_a_plan_entry(cli: Cli) -> None:
    """--attr corrects with the previous value; --event SEQ --set corrects a plan goal's date."""
    walk(cli)
    fixed = ok(cli("participant", "correct", "S-1", "--attr", "gender=male", "--reason", "mistyped"))
    assert fixed.stdout.splitlines()[1] == "  gender: female → male"
    ok(cli("plan", "add-goal", "S-1", "--what", "Arbete", "--by", "2026-05-01"))
    ok(cli("participant", "correct", "S-1", "--event", "4", "--set", "by=2026-06-01", "--reason", "agreed date"))
    plan = json.loads(ok(cli("plan", "show", "S-1", "--format", "json")).stdout)
    assert plan[0]["by"] == "2026-06-01"


def test_correct_and_strike_placement_and_intervention_entries(cli: Cli) -> None:
    """--event SEQ --set corrects a placement's employer and an end date (at=); --strike strikes an intervention
    started by mistake with its end; refusals are one line and write nothing."""
    walk(cli)
    ok(cli("placement", "start", "S-1", "--type", "internship", "--employer", "Fel AB", "--start", "2026-03-03",
           now="2026-03-03T10:00"))
    ok(cli("placement", "end", "S-1", "p1", now="2026-03-20T10:00"))
    ok(cli("intervention", "start", "S-1", "health_care", now="2026-03-04T10:00"))
    ok(cli("intervention", "end", "S-1", "i1", now="2026-03-05T10:00"))
    seqs = {e["type"]: e["seq"] for e in json.loads(ok(cli("participant", "history", "S-1", "--format", "json")).stdout)}
    fixed = ok(cli("participant", "correct", "S-1", "--event", str(seqs["placement_started"]),
                   "--set", "employer=Rätt AB", "--reason", "wrong employer", now="2026-03-21T09:00"))
    assert fixed.stdout.splitlines()[1] == "  employer: Fel AB → Rätt AB"
    moved = ok(cli("participant", "correct", "S-1", "--event", str(seqs["placement_ended"]), "--set",
                   "at=2026-03-18T16:00", "--reason", "the last day was the 18th", "--format", "json",
                   now="2026-03-21T09:00"))
    assert moved.json()["changed"]["at"].startswith("2026-03-18T15:00")  # type: ignore[index]
    struck = ok(cli("participant", "correct", "S-1", "--event", str(seqs["intervention_started"]), "--strike",
                    "--reason", "another participant's", now="2026-03-21T09:00"))
    assert f"(struck: #{seqs['intervention_started']}, #{seqs['intervention_ended']})" in struck.stdout
    shown = json.loads(ok(cli("participant", "show", "S-1", "--format", "json", now="2026-03-21T09:00")).stdout)
    assert shown["placements"][0]["employer"] == "Rätt AB" and shown["interventions"] == []
    report = ok(cli("report", "corrections", "--workflow", "small", "--format", "json", now="2026-03-21T09:00"))
    assert [(r["kind"], r["corrected"]) for r in report.json()["rows"]][-1] == (  # type: ignore[index]
        "strike", "id=struck; kind=struck; agency=struck")
    before = cli.snapshot()
    for args, code, needle in [
        (("--event", str(seqs["placement_started"]), "--reason", "x"), 2, "one of --set KEY=VALUE"),
        (("--strike", "--reason", "x"), 2, "--strike needs --event SEQ"),
        (("--event", str(seqs["placement_started"]), "--set", "hours_per_week=99", "--reason", "x"), 2,
         "between 0 and 60"),
        (("--event", str(seqs["intervention_started"]), "--strike", "--reason", "x"), 1, "was struck by correction"),
        (("--event", "1", "--strike", "--reason", "x"), 2, "placement or intervention entry"),
    ]:
        result = cli("participant", "correct", "S-1", *args, now="2026-03-21T09:00")
        assert result.code == code, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and needle in result.stderr and "Traceback" not in result.stderr
    assert cli.snapshot() == before
