"""Consent, plan, placement, intervention and handover commands, run as a subprocess."""

from __future__ import annotations

from tests.e2e.conftest import Cli


def test_record_commands_and_handover_end_to_end(cli: Cli) -> None:
    """Each command prints its id or result, show --format json carries the records, handover is Markdown."""
    pid = cli("participant", "enrol", "small", "--ref", "LU-9").stdout.strip()
    assert cli("consent", "give", pid, "--agencies", "soc,af", "--until", "2026-12-31").stdout.strip() == \
        "consent given for af, soc until 2026-12-31"
    assert cli("plan", "add-goal", pid, "--what", "Arbete inom lager", "--by", "2026-09-30").stdout.strip() == "g1"
    assert cli("plan", "add-subgoal", pid, "g1", "--what", "Truckkort", "--by", "2026-05-31").stdout.strip() == "g1.1"
    started = cli("placement", "start", pid, "--type", "work_trial", "--employer", "ICA Kvantum", "--start",
                  "2026-03-09", "--hours-per-week", "10", "--follow-up-every", "2w", "--format", "json")
    assert started.code == 0 and started.json()["id"] == "p1" and started.json()["follow_up_every"] == "2w"
    assert cli("intervention", "start", pid, "health_care", "--agency", "health").stdout.strip() == "i1"
    shown = cli("participant", "show", pid, "--format", "json").json()
    assert shown["consent"]["agencies_in_force"] == ["af", "soc"]
    assert [i["id"] for i in shown["plan"]] == ["g1", "g1.1"]
    assert shown["placements"][0]["employer"] == "ICA Kvantum" and shown["interventions"][0]["kind"] == "health_care"
    assert {d["rule"] for d in shown["deadlines"]} >= {"plan:g1", "plan:g1.1", "placement:p1"}
    handover = cli("participant", "handover", pid, "--to", "af")
    assert handover.code == 0 and handover.stdout.startswith("# Överlämning: deltagare 1 (ref LU-9)")
    assert "Truckkort" in handover.stdout and "health_care" not in handover.stdout


def test_record_commands_refuse_bad_input_with_one_line(cli: Cli) -> None:
    """Bad agencies, dates, ids and types: one line, exit 2 (or 1 when a rule refuses), nothing written."""
    pid = cli("participant", "enrol", "small").stdout.strip()
    before = cli.snapshot()
    for args, code, message in [
        (["consent", "give", pid, "--agencies", "police"], 2, "use one or more of: soc, af, fk, health, labour_unit"),
        (["consent", "withdraw", pid, "--agencies", "af"], 1, "no consent in force to withdraw for af"),
        (["plan", "add-goal", pid, "--what", "Jobb", "--by", "snart"], 2, "use an ISO date"),
        (["plan", "update", pid, "g1", "--status", "finished"], 2, "use one of: open, done, dropped"),
        (["placement", "start", pid, "--type", "vacation", "--employer", "X", "--start", "2026-03-09"], 2,
         "use one of: internship, work_training, work_trial"),
        (["placement", "followup", pid, "p7"], 2, "placements: none"),
        (["participant", "handover", pid, "--to", "police"], 2, "use one of: soc, af, fk, health, labour_unit"),
    ]:
        result = cli(*args)
        assert result.code == code, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr
    assert cli.snapshot() == before
