"""The caseworker's CLI, run as a subprocess exactly as a user runs it."""

from __future__ import annotations

import csv
import io

import pytest

from pathway.store.migrate import SCHEMA_HEAD
from tests.e2e.conftest import Cli


def enrol_small(cli: Cli, *extra: str) -> str:
    result = cli("participant", "enrol", "small", "--ref", "LU-1", "--attr", "gender=female", *extra)
    assert result.code == 0, result.stderr
    return result.stdout.strip()


def test_enrol_prints_the_new_id_and_json_gives_it_as_id(cli: Cli) -> None:
    """`participant enrol` prints the id; with --format json it prints {"id": …}."""
    assert enrol_small(cli) == "1"
    result = cli("participant", "enrol", "small", "--format", "json")
    assert result.code == 0
    assert result.json() == {"id": 2}


def test_walk_to_exit_and_history_contract(cli: Cli) -> None:
    """A participant walks to an exit; history JSON carries the documented fields in order."""
    pid = enrol_small(cli, "--attr", "stable_housing=yes")
    assert cli("participant", "fire", pid, "accept", "--data", "meeting_date=2026-03-02").code == 0
    done = cli("participant", "fire", pid, "exit", "--data", "reason=work", "--format", "json", now="2026-03-03T10:00")
    assert done.code == 0, done.stderr
    assert done.json()["to_step"] == "exited" and done.json()["status"] == "exited"
    events = cli("participant", "history", pid, "--format", "json").json()
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert [e["type"] for e in events] == ["enrolled", "transition", "transition"]
    required = {"seq", "type", "trigger", "from_step", "to_step", "effective_at", "recorded_at", "actor", "data"}
    assert all(required <= set(e) for e in events)
    assert events[2]["trigger"] == "exit" and events[2]["data"] == {"reason": "work"}
    assert events[2]["effective_at"].startswith("2026-03-03T10:00") and events[2]["actor"] == "e2e"
    assert events[1]["data"] == {"meeting_date": "2026-03-02"}


def test_show_json_contract_lists_allowed_and_blocked_triggers(cli: Cli) -> None:
    """`participant show --format json` has the documented keys and says why a trigger is blocked."""
    pid = enrol_small(cli)
    shown = cli("participant", "show", pid, "--format", "json").json()
    for key in ("id", "ref", "workflow", "workflow_version", "step", "status", "allowed_triggers",
                "blocked_triggers", "attributes"):
        assert key in shown
    assert shown["step"] == "referral" and shown["status"] == "open" and shown["ref"] == "LU-1"
    assert shown["allowed_triggers"] == ["exit"]
    assert "stable_housing" in shown["blocked_triggers"]["accept"][0]
    assert shown["attributes"] == {"gender": "female"}


def test_set_attributes_unblocks_a_guard(cli: Cli) -> None:
    """Recording an attribute with `participant set` is an event and can open a guarded trigger."""
    pid = enrol_small(cli)
    assert cli("participant", "set", pid, "stable_housing=true").code == 0
    shown = cli("participant", "show", "LU-1", "--format", "json").json()
    assert "accept" in shown["allowed_triggers"]
    history = cli("participant", "history", pid, "--format", "json").json()
    assert history[-1]["type"] == "attributes_set"
    assert history[-1]["data"] == {"set": {"stable_housing": True}, "previous": {"stable_housing": None}}


def test_backdated_event_needs_reason_and_keeps_effective_time(cli: Cli) -> None:
    """--at in the past needs --reason; the event keeps the effective time and the reason."""
    pid = enrol_small(cli, "--attr", "stable_housing=true", "--at", "2026-02-01", "--reason", "paper referral")
    result = cli("participant", "fire", pid, "accept", "--data", "meeting_date=2026-02-10",
                 "--at", "2026-02-10T13:00", "--reason", "recorded after the meeting")
    assert result.code == 0, result.stderr
    event = cli("participant", "history", pid, "--format", "json").json()[1]
    assert event["effective_at"] == "2026-02-10T13:00:00+01:00"
    assert event["recorded_at"].startswith("2026-03-02T09:00")
    assert event["reason"] == "recorded after the meeting"


def test_list_filters_and_csv(cli: Cli) -> None:
    """`participant list` filters by status and step and prints CSV with a header."""
    a = enrol_small(cli)
    cli("participant", "enrol", "small", "--ref", "LU-2")
    cli("participant", "fire", a, "exit", "--data", "reason=moved")
    open_ones = cli("participant", "list", "--status", "open", "--format", "json").json()
    assert [p["ref"] for p in open_ones] == ["LU-2"]
    exited = cli("participant", "list", "--workflow", "small", "--step", "exited", "--format", "csv")
    lines = exited.stdout.strip().splitlines()
    assert lines[0].startswith("id,ref,workflow,step,status") and len(lines) == 2 and "moved" in lines[1]


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_written_as_text(cli: Cli) -> None:
    """A reason typed as a formula is written with a leading apostrophe in CSV (a spreadsheet shows it as
    typed and does not run it); JSON, the programs' contract, keeps the text as typed; numbers stay numbers."""
    a = enrol_small(cli)
    typed = '=HYPERLINK("http://example.org/x","Klicka")'
    fired = cli("participant", "fire", a, "exit", "--data", "reason=moved", "--reason", typed)
    assert fired.code == 0, fired.stderr
    rows = list(csv.reader(io.StringIO(cli("participant", "history", a, "--format", "csv").stdout)))
    reasons = [row[rows[0].index("reason")] for row in rows[1:]]
    assert "'" + typed in reasons and typed not in reasons
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert [row[rows[0].index("seq")] for row in rows[1:]] == ["1", "2"]
    history = cli("participant", "history", a, "--format", "json").json()
    assert typed in [e["reason"] for e in history]


def test_workflow_show_json_contract(cli: Cli) -> None:
    """`workflow show --format json` has steps, transitions (from as a list) and exit reasons."""
    shown = cli("workflow", "show", "small", "--format", "json").json()
    assert shown["id"] == "small" and shown["version"] == 1 and shown["title"] == "Liten testväg"
    assert {"id", "title", "kind", "owner", "terminal"} <= set(shown["steps"][0])
    exit_tr = next(t for t in shown["transitions"] if t["trigger"] == "exit")
    assert exit_tr["from"] == ["referral", "mapping"] and exit_tr["to"] == "exited"
    assert exit_tr["data"]["reason"] == {"type": "exit_reason", "required": True}
    assert shown["exit_reasons"][0] == {"code": "work", "label": "Arbete", "category": "work"}


def test_workflow_validate_reports_located_errors_and_exit_1(cli: Cli) -> None:
    """`workflow validate` prints FILE:LINE:COLUMN for every problem and exits 1."""
    bad = cli.workflows / "bad.yaml"
    bad.write_text((cli.workflows / "small.yaml").read_text().replace("owner: coordinator, limit", "owner: coordinatr, limit").replace("to: mapping", "to: mappin"))
    result = cli("workflow", "validate", str(bad), str(cli.workflows / "small.yaml"))
    assert result.code == 1
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith(f"{bad}:13:65:") and "unknown role 'coordinatr'" in line for line in lines)
    assert any(line.startswith(f"{bad}:18:9:") and "did you mean 'mapping'" in line for line in lines)
    assert any(line.startswith("ok: ") and "small.yaml" in line for line in lines)
    assert cli("workflow", "validate", str(cli.workflows / "small.yaml")).code == 0


def test_workflow_list_shows_files_and_registered_versions(cli: Cli) -> None:
    """`workflow list` shows each file and the versions participants are pinned to."""
    enrol_small(cli)
    rows = cli("workflow", "list", "--format", "json").json()
    assert rows == [{"id": "small", "title": "Liten testväg", "file": str(cli.workflows / "small.yaml"),
                     "valid": True, "versions": [1]}]


BAD_INPUTS = [
    (["participant", "enrol", "nosuch"], 2, "unknown workflow 'nosuch'; known workflows: small"),
    (["participant", "show", "42"], 2, "unknown participant '42'"),
    (["participant", "fire", "1", "fly"], 1, "trigger 'fly' is not allowed from step 'referral'; allowed now: accept, exit"),
    (["participant", "fire", "1", "accept", "--data", "meeting_date=2026-03-02"], 1,
     "guard 'attributes_true': attribute 'stable_housing' must be true (not recorded)"),
    (["participant", "fire", "1", "exit"], 2, "trigger 'exit' needs data 'reason' (work, moved)"),
    (["participant", "fire", "1", "exit", "--data", "reason=lost"], 2, "invalid data 'reason' 'lost': use one of the exit reasons: work, moved"),
    (["participant", "fire", "1", "exit", "--data", "reason"], 2, "invalid --data 'reason': use KEY=VALUE"),
    (["participant", "fire", "1", "exit", "--data", "reason=work", "--at", "yesterday"], 2, "invalid --at 'yesterday'"),
    (["participant", "fire", "1", "exit", "--data", "reason=work", "--at", "2026-03-01"], 2, "say why with --reason"),
    (["participant", "fire", "1", "exit", "--data", "reason=work", "--at", "2027-01-01", "--reason", "x"], 2, "it is after now"),
    (["participant", "fire", "1", "exit", "--data", "reason=work", "--at", "2026-01-01", "--reason", "x"], 2, "it is before the participant's last step change"),
    (["participant", "enrol", "small", "--attr", "gender=woman"], 2, "invalid attribute 'gender' 'woman': use one of: female, male, other"),
    (["participant", "enrol", "small", "--attr", "shoe_size=42"], 2, "unknown attribute 'shoe_size'"),
    (["participant", "enrol", "small", "--attr", "birth_date=1990-13-01"], 2, "invalid attribute 'birth_date' '1990-13-01'"),
    (["participant", "enrol", "small", "--ref", "LU-1"], 1, "ref 'LU-1' is already used in workflow 'small' by participant 1"),
    (["participant", "list", "--status", "closed"], 2, "invalid --status 'closed': use open, exited or voided"),
    (["--now", "soon", "participant", "list"], 2, "invalid --now / PATHWAY_NOW 'soon'"),
    (["--db", "mysql://x/y", "participant", "list"], 2, "invalid database URL"),
    (["participant", "set", "1", "stable_housing=maybe"], 2, "use true or false"),
    (["workflow", "validate", "missing.yaml"], 2, "no such file"),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD_INPUTS, ids=[" ".join(a[0][:4]) for a in BAD_INPUTS])
def test_bad_input_one_line_error_exit_code_and_no_change(cli: Cli, args: list[str], code: int, message: str) -> None:
    """Each bad input: one-line error naming the value, the documented exit code, no traceback, no write."""
    enrol_small(cli)
    before = cli.snapshot()
    result = cli(*args)
    assert result.code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert cli.snapshot() == before


def test_exited_participant_cannot_be_fired(cli: Cli) -> None:
    """After the exit nothing more can be fired (exit 1) and show offers no triggers."""
    pid = enrol_small(cli)
    cli("participant", "fire", pid, "exit", "--data", "reason=work")
    result = cli("participant", "fire", pid, "exit", "--data", "reason=work")
    assert result.code == 1 and "has exited" in result.stderr
    shown = cli("participant", "show", pid, "--format", "json").json()
    assert shown["allowed_triggers"] == [] and shown["status"] == "exited" and shown["exit_reason"] == "work"


def test_malformed_workflow_file_refuses_enrolment_with_location(cli: Cli) -> None:
    """A broken workflow file stops enrolment with FILE:LINE:COLUMN and writes nothing."""
    (cli.workflows / "small.yaml").write_text("id: small\nsteps: [\n")
    result = cli("participant", "enrol", "small")
    assert result.code == 2 and "small.yaml:3:1: error[yaml]" in result.stderr
    assert cli.snapshot().get("participants", []) == []


@pytest.mark.fresh_database  # checks what a command that creates the database says
def test_db_upgrade_and_current(cli: Cli) -> None:
    """`db upgrade` creates the schema; `db current` reports it at head."""
    assert f"database at revision {SCHEMA_HEAD} (was empty)" in cli("db", "upgrade").stdout
    assert cli("db", "current").stdout.strip() == f"current: {SCHEMA_HEAD}  head: {SCHEMA_HEAD}"


def test_help_has_examples(cli: Cli) -> None:
    """Every caseworker command's --help shows an example."""
    for command in (["participant", "enrol"], ["participant", "fire"], ["participant", "show"],
                    ["participant", "history"], ["participant", "list"], ["participant", "set"],
                    ["workflow", "validate"], ["workflow", "list"], ["workflow", "show"], ["db", "upgrade"]):
        result = cli(*command, "--help")
        assert result.code == 0 and "Example:" in result.stdout, command
