"""An unexpected error, on SQLite and PostgreSQL: one line with a reference, exit 70, and the trace
in the error log — with no statement parameter (personal data) in either.

The database is made to fail an enrolment in a way pathway does not expect (a CHECK constraint on
PostgreSQL, whose error DETAIL quotes the whole failing row; a trigger on SQLite), through the real
CLI as a subprocess (the enrolment that fails; the set-up and the check after it run the CLI in-process).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pathway.cli import crash
from tests.e2e.conftest import Result, run_in_process

SECRET_REF = "LU-SECRET-4711"
SECRET_NOTE = "hemligt-anteckning-8231"

WORKFLOW = """\
id: plain
version: 1
title: Plain
roles: [{id: coach, title: Coach}]
attributes: {note: {type: string}}
steps:
  - {id: start, title: Start, kind: assessment, owner: coach, initial: true, limit: {within: 14d}}
  - {id: done, title: Klar, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: finish, from: start, to: done, data: {reason: {type: exit_reason, required: true}}}
exit_reasons: [{code: work, label: Arbete, category: work}]
"""


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL the CLI can reach: a SQLite file, or a PostgreSQL schema of this test's own."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"pathway_crash_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(tmp_path: Path, url: str, *args: str, fresh: bool = False) -> Result:
    """``pathway ARGS`` on the test's database: in this interpreter (tests/e2e/conftest.py), or with
    ``fresh`` as a subprocess — the crash itself, whose handling (exit code, error log) is the process's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    env.update({"PATHWAY_DATABASE_URL": url, "PATHWAY_WORKFLOWS": str(tmp_path / "workflows"),
                "PATHWAY_NOW": "2026-03-02T09:00", "PATHWAY_ACTOR": "e2e",
                "PATHWAY_ERROR_LOG": str(tmp_path / "errors.log")})
    if not fresh:
        return run_in_process(list(args), env, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "pathway", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def test_an_unexpected_database_error_is_one_line_and_leaks_no_parameter(
        backend: str, database_url: str, tmp_path: Path) -> None:
    """Exit 70, `internal error; reference X; nothing was written`; neither stderr nor the log holds a value."""
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "plain.yaml").write_text(WORKFLOW, encoding="utf-8")
    assert run(tmp_path, database_url, "db", "upgrade").code == 0
    engine = create_engine(database_url)
    with engine.begin() as conn:
        if backend == "postgresql":
            conn.execute(text("ALTER TABLE participants ADD CONSTRAINT no_secrets CHECK (ref NOT LIKE '%SECRET%')"))
        else:
            conn.execute(text("CREATE TRIGGER no_secrets BEFORE INSERT ON participants "
                              "WHEN NEW.ref LIKE '%SECRET%' BEGIN SELECT RAISE(ABORT, 'no secrets'); END"))
    engine.dispose()

    result = run(tmp_path, database_url, "participant", "enrol", "plain", "--ref", SECRET_REF,
                 "--attr", f"note={SECRET_NOTE}", fresh=True)

    assert result.code == crash.INTERNAL_ERROR_EXIT == 70
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: internal error; reference "), result.stderr
    assert "nothing was written" in lines[0]
    reference = lines[0].split("reference ")[1].split(";")[0]
    log = (tmp_path / "errors.log").read_text(encoding="utf-8")
    assert f"reference {reference}" in log and "IntegrityError" in log and "INSERT INTO participants" in log
    for secret in (SECRET_REF, "SECRET", SECRET_NOTE):
        assert secret not in result.stderr and secret not in result.stdout
        assert secret not in log
    listed = run(tmp_path, database_url, "participant", "list", "--format", "json")
    assert listed.code == 0 and listed.stdout.strip() == "[]"


def test_describe_keeps_the_statement_and_drops_parameters_and_detail() -> None:
    """crash.describe: a database error becomes its statement and the driver's first line, nothing else."""
    from sqlalchemy.exc import IntegrityError

    class Orig(Exception):
        pass

    err = IntegrityError("INSERT INTO participants (ref) VALUES (%(ref)s)", {"ref": SECRET_REF},
                         Orig(f"violates check\nDETAIL: Failing row contains ({SECRET_REF})"))
    described = crash.describe(err)
    assert "INSERT INTO participants" in described and "violates check" in described
    assert SECRET_REF not in described
