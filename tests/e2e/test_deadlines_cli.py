"""`pathway deadlines check|list` and `pathway scheduler run` on a temporary database (the scheduler, which
stops on a signal, as a subprocess; the rest through the console script's main() in this interpreter)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, SMALL_WORKFLOW, Cli, Result, run_in_process

RULE = "first_meeting_within_14_days"
CHECK_FIELDS = {"participant_id", "ref", "workflow", "rule", "title", "kind", "level", "role", "due_at", "due_date",
                "action_at", "event_seq"}
BOARD_FIELDS = {"participant_id", "ref", "workflow", "step", "rule", "title", "status", "due_date", "due_at",
                "days_overdue", "level", "owner"}


def make_cli(home: Path) -> Cli:
    """A CLI whose workflows folder holds the test workflow `small` and the shipped Flen workflow."""
    workflows = home / "workflows"
    workflows.mkdir()
    (workflows / "small.yaml").write_text(SMALL_WORKFLOW, encoding="utf-8")
    shutil.copy(REPO / "workflows" / "flen_tripartite.yaml", workflows / "flen_tripartite.yaml")
    return Cli(home, home / "pathway.db", workflows)


def ok(result: Result) -> Result:
    assert result.code == 0, result.stderr
    return result


def assert_one_line_error(result: Result, *needles: str) -> None:
    assert result.code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """Three deadlines, checked on 18 Mar: F-1 (Flen, due 16 Mar, level 1), S-1 (small, due 16 Mar), F-2 (due 3 Apr)."""
    cli = make_cli(tmp_path_factory.mktemp("board"))
    ok(cli("participant", "enrol", "flen_tripartite", "--ref", "F-1", "--attr", "application_date=2026-03-02"))
    ok(cli("participant", "enrol", "small", "--ref", "S-1", "--attr", "stable_housing=true"))
    ok(cli("participant", "fire", "S-1", "accept", "--data", "meeting_date=2026-03-02"))
    ok(cli("participant", "enrol", "flen_tripartite", "--ref", "F-2", "--attr", "application_date=2026-03-20"))
    ok(cli("deadlines", "check", now="2026-03-18T09:00"))
    cli.now = "2026-03-18T09:00"
    return cli


def listed(cli: Cli, *options: str) -> list[dict]:
    rows = ok(cli("deadlines", "list", *options, "--format", "json")).json()
    assert isinstance(rows, list)
    return rows


def test_list_json_contract(board: Cli) -> None:
    """`deadlines list --format json`: every open deadline, soonest first, with the documented fields."""
    rows = listed(board)
    for row in rows:
        assert BOARD_FIELDS <= set(row)
    assert [(r["ref"], r["step"], r["rule"], r["due_date"], r["days_overdue"], r["level"], r["owner"]) for r in rows] == [
        ("F-1", "application", RULE, "2026-03-16", 2, 1, "caseworker"),
        ("S-1", "mapping", "limit:mapping", "2026-03-16", 2, 0, "coordinator"),
        ("F-2", "application", RULE, "2026-04-03", 0, 0, "caseworker"),
    ]
    assert rows[0]["due_at"] == "2026-03-17T00:00:00+01:00"
    assert rows[2]["due_at"] == "2026-04-04T00:00:00+02:00"  # summer time by then
    assert all(r["status"] == "open" and isinstance(r["participant_id"], int) for r in rows)


def test_list_overdue(board: Cli) -> None:
    """--overdue keeps only deadlines already missed."""
    assert [r["ref"] for r in listed(board, "--overdue")] == ["F-1", "S-1"]


def test_list_due_within(board: Cli) -> None:
    """--due-within 7d keeps what is due by a week from today (overdue included); 3w reaches F-2 too."""
    assert [r["ref"] for r in listed(board, "--due-within", "7d")] == ["F-1", "S-1"]
    assert [r["ref"] for r in listed(board, "--due-within", "3w")] == ["F-1", "S-1", "F-2"]


def test_list_role_and_workflow(board: Cli) -> None:
    """--role keeps what a role holds now (owner or escalation level); --workflow keeps one workflow."""
    assert [r["ref"] for r in listed(board, "--role", "coordinator")] == ["S-1"]
    assert [r["ref"] for r in listed(board, "--role", "caseworker")] == ["F-1", "F-2"]
    assert [r["ref"] for r in listed(board, "--workflow", "small")] == ["S-1"]
    assert [r["ref"] for r in listed(board, "--workflow", "flen_tripartite", "--overdue")] == ["F-1"]
    assert listed(board, "--role", "steering_group") == []


def test_list_bad_due_within_is_one_line_exit_2(board: Cli) -> None:
    """A malformed --due-within (7x) exits 2 with one error line naming the value and the accepted forms."""
    assert_one_line_error(board("deadlines", "list", "--due-within", "7x"), "--due-within", "7x", "wd")


def test_list_table_and_participant_show(board: Cli) -> None:
    """The table names the rules; `participant show --format json` lists the participant's open deadlines."""
    table = ok(board("deadlines", "list"))
    assert "Open deadlines (3)" in table.stdout and "limit:mapping" in table.stdout
    shown = ok(board("participant", "show", "F-1", "--format", "json")).json()
    assert [(d["rule"], d["due_date"], d["days_overdue"], d["level"], d["owner"]) for d in shown["deadlines"]] == [
        (RULE, "2026-03-16", 2, 1, "caseworker")]


def test_check_json_contract_and_exactly_once(tmp_path: Path) -> None:
    """`deadlines check --format json` lists each action done (participant_id, rule, kind, level, due_at …) once."""
    cli = make_cli(tmp_path)
    pid = int(ok(cli("participant", "enrol", "flen_tripartite", "--ref", "F-9",
                     "--attr", "application_date=2026-03-02")).stdout)
    assert ok(cli("deadlines", "check", "--format", "json", now="2026-03-10T09:00")).json() == []
    actions = ok(cli("deadlines", "check", "--format", "json", now="2026-03-19T09:00")).json()
    for action in actions:
        assert CHECK_FIELDS <= set(action)
    assert [(a["participant_id"], a["ref"], a["rule"], a["kind"], a["level"], a["role"]) for a in actions] == [
        (pid, "F-9", RULE, "deadline_missed", 0, "caseworker"),
        (pid, "F-9", RULE, "escalated", 1, "caseworker"),
        (pid, "F-9", RULE, "escalated", 2, "coordinator"),
    ]
    assert {a["due_at"] for a in actions} == {"2026-03-17T00:00:00+01:00"}
    assert [a["event_seq"] for a in actions] == [2, 3, 4]
    assert ok(cli("deadlines", "check", "--format", "json", now="2026-03-19T09:00")).json() == []
    events = ok(cli("participant", "history", "F-9", "--format", "json")).json()
    assert [e["type"] for e in events] == ["enrolled", "deadline_missed", "escalated", "escalated"]
    assert events[1]["effective_at"] == "2026-03-17T00:00:00+01:00"


def _cli_env(cli: Cli, now: str) -> dict[str, str]:
    """The environment Cli gives its subprocesses, for commands run with Popen or extra settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    env.update({"PATHWAY_DATABASE_URL": f"sqlite:///{cli.db_path}", "PATHWAY_WORKFLOWS": str(cli.workflows),
                "PATHWAY_NOW": now, "PATHWAY_ACTOR": "e2e"})
    return env


def test_check_with_the_command_option_now_and_the_outbox_setting(tmp_path: Path) -> None:
    """`deadlines check --now` checks as of that time; PATHWAY_NOTIFY_OUTBOX gets one JSON line per action."""
    cli = make_cli(tmp_path)
    ok(cli("participant", "enrol", "flen_tripartite", "--attr", "application_date=2026-03-02"))
    outbox = tmp_path / "outbox.jsonl"
    env = {**_cli_env(cli, "2026-03-02T09:00"), "PATHWAY_NOTIFY_OUTBOX": str(outbox)}
    proc = run_in_process(["deadlines", "check", "--now", "2026-03-11T09:00"], env, tmp_path)
    assert proc.code == 0, proc.stderr
    assert "Deadline actions (1)" in proc.stdout and "reminder" in proc.stdout
    (line,) = outbox.read_text(encoding="utf-8").splitlines()
    note = json.loads(line)
    assert (note["kind"], note["rule"], note["level"], note["due_at"]) == ("reminder", RULE, 0, "2026-03-17T00:00:00+01:00")


def test_check_exits_4_and_counts_failed_deliveries(tmp_path: Path) -> None:
    """A webhook that refuses: the actions stand, stderr says how many deliveries failed, exit 4; the next run tries the row left over; within the back-off nothing is tried: 0."""
    import socket

    cli = make_cli(tmp_path)
    ok(cli("participant", "enrol", "flen_tripartite", "--attr", "application_date=2026-03-02"))
    ok(cli("participant", "enrol", "flen_tripartite", "--attr", "application_date=2026-03-02"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**_cli_env(cli, "2026-03-11T09:00"), "PATHWAY_NOTIFY_WEBHOOK": f"http://127.0.0.1:{port}/x",
           "PATHWAY_NOTIFY_WEBHOOK_CONNECT_TIMEOUT": "1"}
    proc = run_in_process(["deadlines", "check"], env, tmp_path)
    assert proc.code == 4, proc.stderr
    assert "Deadline actions (2)" in proc.stdout
    assert "1 delivery(ies) failed (1 more for the same sink(s) not tried in this run)" in proc.stderr
    assert "the next check retries them" in proc.stderr and "Traceback" not in proc.stderr
    runs = [run_in_process(["deadlines", "check"], env, tmp_path) for _ in range(2)]
    assert runs[0].code == 4 and "1 delivery(ies) failed;" in runs[0].stderr  # the one not tried before
    assert runs[1].code == 0 and "failed" not in runs[1].stderr  # both wait for their back-off: nothing tried
    assert "Deadline actions (0)" in runs[1].stdout


def test_check_bad_now_is_one_line_exit_2(tmp_path: Path) -> None:
    """A malformed `deadlines check --now` exits 2 with one error line."""
    cli = make_cli(tmp_path)
    assert_one_line_error(cli("deadlines", "check", "--now", "next tuesday"), "next tuesday")


# -- the scheduler --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_scheduler_runs_a_check_and_stops_cleanly_on_a_signal(tmp_path: Path, stop_signal: signal.Signals) -> None:
    """`scheduler run --interval 1s` logs a structured deadline_check line, then exits 0 on SIGTERM/SIGINT."""
    cli = make_cli(tmp_path)
    ok(cli("participant", "enrol", "flen_tripartite", "--ref", "F-1", "--attr", "application_date=2026-03-02"))
    proc = subprocess.Popen([sys.executable, "-m", "pathway", "scheduler", "run", "--interval", "1s"],
                            cwd=tmp_path, env=_cli_env(cli, "2026-03-19T09:00"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True)  # type: ignore[union-attr]
    reader.start()
    first_check = None
    deadline = time.monotonic() + 60  # a fresh interpreter's start-up on a machine busy with other test workers
    try:
        while first_check is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == "deadline_check":
                first_check = record
        assert first_check is not None, f"no deadline_check log line within 60 s: {seen}"
        assert first_check["actions"] == 3 and first_check["level"] == "info" and "timestamp" in first_check
        proc.send_signal(stop_signal)
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=5)
    while not lines.empty():
        seen.append(lines.get())
    events = [json.loads(line).get("event") for line in seen if line.startswith("{")]
    assert code == 0, seen
    assert "Traceback" not in "".join(seen)
    assert events[0] == "scheduler_started" and events[-2:] == ["scheduler_stopping", "scheduler_stopped"]
    history = ok(cli("participant", "history", "F-1", "--format", "json")).json()
    assert [e["type"] for e in history] == ["enrolled", "deadline_missed", "escalated", "escalated"]  # once, however many runs


def test_scheduler_bad_interval_is_one_line_exit_2(tmp_path: Path) -> None:
    """`scheduler run --interval 5x` exits 2 at once with one error line naming the value."""
    cli = make_cli(tmp_path)
    assert_one_line_error(cli("scheduler", "run", "--interval", "5x"), "--interval", "5x", "30s")


def test_list_shows_the_unwatched_participants(tmp_path: Path) -> None:
    """In-process: a Flen participant enrolled without the application date has no 14-day clock: the board lists
    them under "Unwatched"; --unwatched lists only them (JSON too); a filter with it is refused, nothing written."""
    cli = make_cli(tmp_path)
    ok(cli("participant", "enrol", "flen_tripartite", "--ref", "F-1", "--attr", "application_date=2026-03-02"))
    ok(cli("participant", "enrol", "flen_tripartite", "--ref", "F-9"))
    table = ok(cli("deadlines", "list")).stdout
    assert "Open deadlines (1)" in table and "Unwatched" in table and "application_date" in table
    assert "F-9" in table.split("Unwatched")[1]
    rows = ok(cli("deadlines", "list", "--unwatched", "--format", "json")).json()
    assert rows == [{"participant_id": 2, "ref": "F-9", "workflow": "flen_tripartite", "step": "application",
                     "rule": RULE, "title": rows[0]["title"], "attribute": "application_date"}]  # type: ignore[index]
    assert [r["ref"] for r in listed(cli)] == ["F-1"]  # the JSON board keeps its contract
    before = cli.snapshot()
    assert_one_line_error(cli("deadlines", "list", "--unwatched", "--overdue"), "--unwatched", "alone")
    assert cli.snapshot() == before
    ok(cli("participant", "set", "F-9", "application_date=2026-03-03"))
    assert ok(cli("deadlines", "list", "--unwatched", "--format", "json")).json() == []
    assert "Unwatched" not in ok(cli("deadlines", "list")).stdout
