"""`pathway identity new-key|rotate-key` and `pathway db backup` through the real CLI."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys

from tests.e2e.conftest import Cli
from tests.keys import OTHER_IDENTITY_KEY, TEST_IDENTITY_KEY

NUMBER = "19121212-1212"


def run(cli: Cli, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI with extra environment (the Cli fixture's key can be replaced or removed)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    full.update({"PATHWAY_DATABASE_URL": f"sqlite:///{cli.db_path}", "PATHWAY_WORKFLOWS": str(cli.workflows),
                 "PATHWAY_NOW": cli.now, "PATHWAY_ACTOR": "e2e"})
    full.update(env)
    return subprocess.run([sys.executable, "-m", "pathway", *args], cwd=cli.home, env=full,
                          capture_output=True, text=True, timeout=120)


def test_new_key_prints_a_usable_key(cli: Cli) -> None:
    """`identity new-key` prints a fresh key each time, accepted as PATHWAY_IDENTITY_KEY."""
    first, second = run(cli, "identity", "new-key"), run(cli, "identity", "new-key")
    assert first.returncode == 0 and first.stdout.strip() != second.stdout.strip()
    key = first.stdout.strip()
    enrolled = run(cli, "participant", "enrol", "small", "--personnummer", NUMBER, PATHWAY_IDENTITY_KEY=key)
    assert enrolled.returncode == 0, enrolled.stderr


def test_without_a_key_a_number_is_refused_in_one_line(cli: Cli) -> None:
    """No key: exit 2, one line naming PATHWAY_IDENTITY_KEY, and nothing enrolled."""
    result = run(cli, "participant", "enrol", "small", "--personnummer", NUMBER)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no identity key") and "PATHWAY_IDENTITY_KEY" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert run(cli, "participant", "list", "--format", "json").stdout.strip() == "[]"


def test_rotate_key_moves_every_number_to_the_new_key(cli: Cli) -> None:
    """After `identity rotate-key` the new key alone finds the person (a second enrolment is refused as a duplicate)."""
    assert cli("participant", "enrol", "small", "--personnummer", NUMBER).code == 0
    rotated = run(cli, "identity", "rotate-key", PATHWAY_IDENTITY_KEY=OTHER_IDENTITY_KEY,
                  PATHWAY_IDENTITY_OLD_KEYS=TEST_IDENTITY_KEY)
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.startswith("re-encrypted 1 identity number with the current key")
    again = run(cli, "participant", "enrol", "small", "--personnummer", NUMBER, PATHWAY_IDENTITY_KEY=OTHER_IDENTITY_KEY)
    assert again.returncode == 1 and "already enrolled" in again.stderr


def test_db_backup_writes_a_checked_owner_only_copy(cli: Cli) -> None:
    """`db backup FILE` copies the database with the online backup API (0600), and refuses to overwrite."""
    assert cli("participant", "enrol", "small", "--ref", "LU-1").code == 0
    target = cli.home / "backup.db"
    result = cli("db", "backup", str(target))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(f"backed up {cli.db_path} to {target}") and "integrity check ok" in result.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT ref FROM participants").fetchall() == [("LU-1",)]
    again = cli("db", "backup", str(target))
    assert again.code == 2 and "already exists" in again.stderr
    assert stat.S_IMODE(cli.db_path.stat().st_mode) == 0o600


def test_db_backup_is_refused_to_all_but_admins_and_service_accounts(cli: Cli) -> None:
    """Once users exist, a caseworker's `db backup` is exit 3 and makes no file; the admin's works."""
    from tests.e2e.test_users_cli import run as as_user

    assert as_user(cli, "db", "init", user="root").code == 0
    assert as_user(cli, "user", "add", "root", "--name", "Root", "--agency", "coordination", "--admin",
                   user="root").code == 0
    assert as_user(cli, "user", "add", "anna", "--name", "Anna", "--agency", "soc", "--role", "caseworker",
                   "--workflow", "small", user="root").code == 0
    target = cli.home / "copy.db"
    refused = as_user(cli, "db", "backup", str(target), user="anna")
    assert refused.code == 3 and "permission db.backup" in refused.stderr and "Traceback" not in refused.stderr
    assert not target.exists()
    done = as_user(cli, "db", "backup", str(target), user="root")
    assert done.code == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
