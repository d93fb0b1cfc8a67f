"""``pathway user …`` and who is acting, through the real CLI: single-user mode, its end, exit code 3."""

from __future__ import annotations

import pytest

from pathlib import Path

from .conftest import Cli, Result, run_in_process


def run(cli: Cli, *args: str, user: str | None = None) -> Result:
    """The CLI as PATHWAY_USER=user (no PATHWAY_ACTOR: nobody acts on behalf of anyone)."""
    env = cli.env()
    env.pop("PATHWAY_ACTOR")
    if user is not None:
        env["PATHWAY_USER"] = user
    return run_in_process(list(args), env, cli.home)


def users_of(db: Path) -> list[tuple[str, ...]]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT login, agency FROM users ORDER BY login").fetchall()


@pytest.mark.fresh_database  # checks what a command that creates the database says
def test_single_user_mode_is_said_once_and_ended_by_an_admin(cli: Cli) -> None:
    """'db init' says single-user mode, later commands do not; 'user add --admin' ends it; strangers get exit 3."""
    first = run(cli, "db", "init", user="root")
    assert first.code == 0 and "single-user mode" in first.stderr
    not_admin = run(cli, "user", "add", "root", "--name", " ", "--agency", "coordination", user="root")
    assert not_admin.code == 2 and "invalid --name ' '" in not_admin.stderr  # the field display_name, as its flag
    not_admin = run(cli, "user", "add", "root", "--name", "Rut Root", "--agency", "coordination", user="root")
    assert not_admin.code == 1 and "(add --admin)" in not_admin.stderr
    listed = run(cli, "participant", "list", user="root")
    assert listed.code == 0 and "single-user mode" not in listed.stderr
    added = run(cli, "user", "add", "root", "--name", "Rut Root", "--agency", "coordination", "--admin", user="root")
    assert added.code == 0, added.stderr
    assert "single-user mode has ended" in added.stderr
    refused = run(cli, "participant", "list", user="eve")
    assert refused.code == 3
    assert refused.stderr.strip().splitlines() == [refused.stderr.strip()]  # one line
    assert "unknown user 'eve'" in refused.stderr and "root" in refused.stderr


def test_user_commands_are_admin_only_and_refusals_write_nothing(cli: Cli) -> None:
    """A caseworker's 'user add' is refused with exit 3 and no row; the admin's add, update, disable work."""
    run(cli, "user", "add", "root", "--name", "Root", "--agency", "coordination", "--admin", user="root")
    ok = run(cli, "user", "add", "anna", "--name", "Anna Berg", "--agency", "soc", "--role", "caseworker",
             "--workflow", "small", user="root")
    assert ok.code == 0, ok.stderr
    refused = run(cli, "user", "add", "mallory", "--name", "M", "--agency", "soc", user="anna")
    assert refused.code == 3 and "permission user.manage" in refused.stderr
    assert users_of(cli.db_path) == [("anna", "soc"), ("root", "coordination")]
    bad = run(cli, "user", "update", "anna", "--agency", "police", user="root")
    assert bad.code == 2 and "invalid agency 'police'" in bad.stderr
    assert run(cli, "user", "disable", "anna", user="root").code == 0
    disabled = run(cli, "participant", "list", user="anna")
    assert disabled.code == 3 and "disabled" in disabled.stderr
    shown = run(cli, "user", "show", "anna", "--format", "json", user="root")
    assert [c["change"] for c in shown.json()["changes"]] == ["added", "disabled"]  # the refused update wrote nothing
