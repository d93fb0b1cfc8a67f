"""The access log through the CLI: every read command leaves a row; 'audit access' is the dpo's.

The walk below lists every command of the CLI: a command that reads participants' data must be in
READS (and leave a row), every other one in NOT_READS with why. A new command that is in neither
fails the test, so nobody adds a read path that the log does not see.
"""

from __future__ import annotations

import sqlite3

import pytest
import typer

from .conftest import Cli
from .test_users_cli import run

NUMBER = "19121212-1212"

#: command → (who runs it, its arguments; {p} is the participant id), each a read of participants' data
READS: dict[str, tuple[str, list[str]]] = {
    "participant show": ("anna", ["{p}"]),
    "participant history": ("anna", ["{p}"]),
    "participant handover": ("anna", ["{p}", "--to", "af"]),
    "participant list": ("anna", []),
    "plan show": ("anna", ["{p}"]),
    "meeting list": ("anna", ["{p}"]),
    "caseload": ("anna", []),
    "today": ("anna", []),
    "deadlines list": ("anna", []),
    "workflow diagram": ("anna", ["--participant", "{p}"]),
    "report participants": ("anna", ["--workflow", "small", "--by", "gender"]),
    "report exits": ("anna", ["--workflow", "small", "--by", "reason"]),
    "report outcomes": ("anna", ["--workflow", "small"]),
    "report goals": ("anna", ["--workflow", "small"]),
    "report flow": ("anna", ["--workflow", "small"]),
    "report before-after": ("anna", ["--workflow", "small"]),
    "report all": ("anna", ["--workflow", "small", "--output", "all.xlsx"]),
    "report circulation": ("anna", []),
    "report corrections": ("anna", ["--workflow", "small"]),
    "person find": ("anna", [NUMBER]),
    "person extract": ("dora", [NUMBER]),
    "db backup": ("root", ["backup.db"]),
}

#: reads this walk cannot run on the small workflow, with where their row is written
READS_ELSEWHERE = {
    "export finsam": "needs a national_followup mapping in the workflow; services.reporting.finsam logs one row",
    "group show": "needs a group_activity step; services.groups.show_group logs one row per member shown",
}

#: the one-participant reads: exactly one row each
EXACTLY_ONE = {"participant show", "participant history", "participant handover", "plan show", "meeting list",
               "person find", "workflow diagram",
               "person extract"}

#: every other command, and why it is not a read of participants' data
NOT_READS = {
    # writes (in the history already) and their administration
    "import", "participant enrol", "participant fire", "participant set", "participant redact",
    "participant assign", "participant reassign", "participant correct", "participant reopen", "participant void", "consent give", "consent confirm", "consent withdraw",
    "plan add-goal", "plan add-subgoal", "plan update", "placement start", "placement followup", "placement end",
    "intervention start", "intervention end", "deadlines check", "scheduler run", "workflow migrate",
    "retention run", "meeting record", "meeting no-show", "group create", "group add", "group remove",
    "group session", "group move",
    # workflow files, schema, keys, users, sessions: no participant data
    "group list",  # group names, steps and places taken: no participant's data
    "workflow validate", "workflow schema", "workflow new", "workflow simulate", "workflow list", "workflow show",
    "db upgrade", "db init", "db current", "identity new-key", "identity rotate-key",
    "user add", "user list", "user show", "user update", "user disable", "user set-password", "user end-sessions",
    "user sso", "user token create", "user token list", "user token revoke", "serve",
    # the access log itself: who read, not what was read
    "audit access",
}


def _commands() -> list[str]:
    from pathway.cli.app import app

    root = typer.main.get_command(app)
    ctx = type(root).context_class(root)  # type: ignore[attr-defined]

    def walk(cmd: object, path: list[str]) -> list[str]:
        if hasattr(cmd, "list_commands"):
            return [leaf for name in cmd.list_commands(ctx)  # type: ignore[attr-defined]
                    for leaf in walk(cmd.get_command(ctx, name), path + [name])]  # type: ignore[attr-defined]
        return [" ".join(path)]

    return walk(root, [])


def _rows(cli: Cli) -> int:
    with sqlite3.connect(cli.db_path) as conn:
        return conn.execute("SELECT count(*) FROM access_log").fetchone()[0]


def test_every_command_is_classified_as_a_read_or_not() -> None:
    """A command missing from both lists fails here: say whether it reads participants' data."""
    commands = set(_commands())
    assert commands - set(READS) - set(READS_ELSEWHERE) - NOT_READS == set()
    assert set(READS) - commands == set() and NOT_READS - commands == set()


def test_every_read_command_leaves_a_row_in_the_access_log(cli: Cli) -> None:
    """Each read command, run by a registered user, appends its row(s); the dpo reads them back."""
    run(cli, "db", "init", user="root")
    for args in (["root", "--name", "Root", "--agency", "coordination", "--admin"],
                 ["anna", "--name", "Anna Berg", "--agency", "soc", "--role", "caseworker,coordinator",
                  "--workflow", "small"],
                 ["dora", "--name", "Dora Dpo", "--agency", "coordination", "--role", "dpo"]):
        assert run(cli, "user", "add", *args, user="root").code == 0
    pid = run(cli, "participant", "enrol", "small", "--ref", "A-1", "--personnummer", NUMBER, user="anna").stdout.strip()
    assert pid.isdigit()
    silent = []
    for command, (user, args) in READS.items():
        before = _rows(cli)
        result = run(cli, *command.split(), *[a.format(p=pid) for a in args], user=user)
        assert result.code == 0, f"{command}: {result.stderr}"
        added = _rows(cli) - before
        if added == 0 or (command in EXACTLY_ONE and added != 1):
            silent.append(f"{command}: {added} rows")
    assert silent == []
    log = run(cli, "audit", "access", "--participant", pid, "--format", "json", user="dora").json()
    assert {"show", "history", "handover to af", "plan"} <= {r["what"] for r in log}  # type: ignore[index]
    assert all(r["login"] in ("anna", "dora") and r["participant_id"] == int(pid) for r in log)  # type: ignore[index]
    assert NUMBER.replace("-", "") not in str(log) and "Anna Berg" not in str(log)
    assert run(cli, "--purpose", "uppföljning", "participant", "show", pid, user="anna").code == 0
    last = run(cli, "audit", "access", "--participant", pid, "--format", "json", user="dora").json()[-1]  # type: ignore[index]
    assert (last["what"], last["purpose"]) == ("show", "uppföljning")
    refused = run(cli, "audit", "access", "--user", "anna", user="anna")
    assert refused.code == 3 and "audit.read" in refused.stderr
    by_user = run(cli, "audit", "access", "--user", "anna", "--from", "2026-03-01", "--to", "2026-03-02",
                  "--format", "csv", user="root")
    annas = sum(1 for user, _ in READS.values() if user == "anna") + 1  # and the show with a purpose
    assert by_user.code == 0 and by_user.stdout.count("\n") - 1 >= annas


@pytest.mark.parametrize(("purpose", "says"), [
    ("uppföljning av 19121212-1212", "--personnummer"),
    ("rad ett\nrad två", "control"),
    ("x" * 501, "at most 500 characters"),
])
def test_a_purpose_beyond_the_limits_is_refused_and_nothing_is_logged(cli: Cli, purpose: str, says: str) -> None:
    """The purpose is kept in the access log for years: one line, bounded, and never a personnummer."""
    assert cli("participant", "enrol", "small", "--ref", "A-1").code == 0
    before = cli.snapshot()
    result = cli("--purpose", purpose, "participant", "show", "A-1")
    assert result.code == 2 and says in result.stderr, result.stderr
    assert "19121212" not in result.stderr
    assert cli.snapshot() == before
