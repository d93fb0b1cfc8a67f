"""Case ownership through the CLI: participant assign / reassign, caseload, today (exit codes, JSON)."""

from __future__ import annotations

from .conftest import Cli
from .test_users_cli import run


def _team(cli: Cli) -> None:
    run(cli, "db", "init", user="root")
    for args in (["root", "--name", "Root", "--agency", "coordination", "--admin"],
                 ["anna", "--name", "Anna Berg", "--agency", "soc", "--role", "caseworker", "--workflow", "small"],
                 ["nils", "--name", "Nils Ek", "--agency", "af", "--role", "caseworker", "--workflow", "small"],
                 ["cora", "--name", "Cora", "--agency", "coordination", "--role", "coordinator", "--workflow", "small"]):
        assert run(cli, "user", "add", *args, user="root").code == 0


def test_caseload_assign_reassign_and_today(cli: Cli) -> None:
    """anna enrols (her case), cora assigns one to nils, reassigns anna's caseload, and each sees theirs."""
    _team(cli)
    first = run(cli, "participant", "enrol", "small", "--ref", "A-1", user="anna").stdout.strip()
    second = run(cli, "participant", "enrol", "small", "--ref", "A-2", user="anna").stdout.strip()
    mine = run(cli, "caseload", "--format", "json", user="anna").json()
    assert [r["participant_id"] for r in mine] == [int(first), int(second)]  # type: ignore[index]
    assigned = run(cli, "participant", "assign", second, "--user", "nils", user="cora")
    assert assigned.code == 0 and "responsible → nils (was anna)" in assigned.stdout
    dry = run(cli, "participant", "reassign", "--from", "anna", "--to", "nils", "--reason", "Anna slutar",
              "--dry-run", user="cora")
    assert dry.code == 0 and dry.stdout.startswith("would move 1 participant(s)")
    refused = run(cli, "participant", "reassign", "--from", "anna", "--to", "nils", "--reason", "x", user="anna")
    assert refused.code == 3 and "participant.reassign" in refused.stderr
    moved = run(cli, "participant", "reassign", "--from", "anna", "--to", "nils", "--reason", "Anna slutar",
                "--format", "json", user="cora")
    assert moved.json() == {"from": "anna", "to": "nils", "participants": [int(first)], "dry_run": False}
    empty = run(cli, "participant", "reassign", "--from", "anna", "--to", "nils", "--reason", "again", user="cora")
    assert empty.code == 2 and "no open participant" in empty.stderr and len(empty.stderr.splitlines()) == 1
    assert run(cli, "caseload", "--format", "json", user="anna").json() == []
    theirs = run(cli, "caseload", "--user", "nils", user="cora")
    assert theirs.code == 0 and "A-1" in theirs.stdout and "A-2" in theirs.stdout
    todo = run(cli, "today", "--format", "json", user="nils")
    assert todo.code == 0 and todo.json() == []  # the small workflow's referral step has no deadline
    ghost = run(cli, "caseload", "--user", "ghost", user="cora")
    assert ghost.code == 2 and "user 'ghost'" in ghost.stderr
