"""`pathway retention run [--dry-run]` through the CLI."""

from __future__ import annotations

import sqlite3

from tests.e2e.conftest import Cli


def test_retention_dry_run_then_run(cli: Cli) -> None:
    """Dry run names the old participant and writes nothing; the run purges it, logs it, and keeps the recent one."""
    assert cli("participant", "enrol", "small", "--ref", "OLD-1", "--personnummer", "19121212-1212",
               now="2019-03-01T09:00").code == 0
    assert cli("participant", "fire", "OLD-1", "exit", "--data", "reason=work", now="2019-06-01T09:00").code == 0
    assert cli("participant", "enrol", "small", "--ref", "NEW-1", now="2026-01-10T09:00").code == 0
    dry = cli("retention", "run", "--dry-run", now="2026-03-02T09:00")
    assert dry.code == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == ("would purge the personal data of 1 participant whose last entry is "
                                          "before 2021-03-02 (5 years)")
    assert "participant 1 (small), last entry 2019-06-01 09:00" in dry.stdout
    with sqlite3.connect(cli.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM retention_log").fetchone()[0] == 0
    done = cli("retention", "run", "--format", "json", now="2026-03-02T09:00")
    assert done.code == 0, done.stderr
    data = done.json()
    assert data["limit"] == "2021-03-02" and [p["participant_id"] for p in data["participants"]] == [1]  # type: ignore[index]
    with sqlite3.connect(cli.db_path) as conn:
        assert conn.execute("SELECT ref FROM participants ORDER BY id").fetchall() == [("purged-1",), ("NEW-1",)]
        assert conn.execute("SELECT kind, personnummer_enc FROM identities").fetchall() == [("pseudonymised", None)]
    assert "would purge the personal data of 0 participants" in cli("retention", "run", "--dry-run").stdout
