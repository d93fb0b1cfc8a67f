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
    """Each new command in a fresh interpreter: undo the accept, exit, correct the reason, reopen, void; history strikes."""
    cli.subprocess = True
    walk(cli)
    undone = ok(cli("participant", "correct", "S-1", "--undo-last", "--reason", "accepted the wrong person",
                    now="2026-03-03T10:00"))
    assert undone.stdout.splitlines() == ["1: undo recorded as #3 (struck: #2) — step referral, open",
                                          "  step: mapping → referral"]
    ok(cli("participant", "fire", "S-1", "exit", "--data", "reason=work", now="2026-03-04T09:00"))
    fixed = ok(cli("participant", "correct", "S-1", "--exit-data", "reason=moved", "--reason", "moved to Malmö",
                   "--format", "json", now="2026-03-05T09:00"))
    assert (fixed.json()["kind"], fixed.json()["previous"], fixed.json()["changed"]) == (  # type: ignore[index]
        "exit", {"reason": "work"}, {"reason": "moved"})
    reopened = ok(cli("participant", "reopen", "S-1", "--reason", "not exited after all", now="2026-03-06T09:00"))
    assert reopened.stdout.startswith("1: reopen recorded as #6 (struck: #5) — step referral, open")
    voided = ok(cli("participant", "void", "S-1", "--reason", "felregistrering", now="2026-03-06T09:05"))
    assert "void recorded as #7" in voided.stdout and "voided" in voided.stdout
    history = json.loads(ok(cli("participant", "history", "S-1", "--format", "json")).stdout)
    assert [(e["seq"], e["type"], e["struck"], e["corrected_by"]) for e in history] == [
        (1, "enrolled", False, None), (2, "transition", True, 3), (3, "corrected", False, None),
        (4, "transition", True, 5), (5, "corrected", True, 6), (6, "corrected", False, None),
        (7, "corrected", False, None)]
    table = ok(cli("participant", "history", "S-1")).stdout
    assert "transition ✗ struck by #3" in table and "corrected: undo" in table
    report = ok(cli("report", "corrections", "--workflow", "small", "--format", "json", now="2026-03-07T09:00"))
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
        (("--event", "1", "--set", "what=x", "--reason", "x"), 2, "consent or plan entry"),
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
